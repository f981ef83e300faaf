/**
 * Where a carved HTTP file's URL and name come from: the request target and Host (RFC 9112 §3.2
 * forms), and Content-Disposition's filename / filename* (RFC 6266, RFC 8187). Environment-free.
 */
import { percentDecode, reinterpretUtf8 } from '../text.js';
import { headerParam } from './http-head.js';

const ABSOLUTE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)(.*)$/;

/** Host header text made safe to print (no controls or spaces), at most 255 chars. */
export function cleanHost(h: string | null): string | null {
  if (h === null) return null;
  const s = h.replace(/[\x00-\x20\x7f]/g, '').slice(0, 255);
  return s === '' ? null : s;
}

/** scheme://host/path?query for a request, from its target, Host, and the server address as a fallback. */
export function requestUrl(target: string, host: string | null, fallbackHost: string | null): { url: string | null; host: string | null } {
  const abs = ABSOLUTE.exec(target);
  if (abs) return { url: target, host: host ?? cleanHost(abs[2].replace(/^[^@]*@/, '')) };
  if (target === '*') return { url: null, host };
  const h = host ?? fallbackHost;
  if (target.startsWith('/')) return { url: h ? `http://${h}${target}` : target, host };
  // authority-form (CONNECT host:port) or a malformed target
  return { url: h && !/^[^/]*:\d+$/.test(target) ? `http://${h}/${target}` : target, host };
}

/** The last path segment of a request target, percent-decoded; null for "/" and the like. */
export function nameFromTarget(target: string): string | null {
  const abs = ABSOLUTE.exec(target);
  const pathAndQuery = abs ? abs[3] : target;
  const path = pathAndQuery.split(/[?#]/)[0];
  const seg = path.slice(path.lastIndexOf('/') + 1);
  if (seg === '') return null;
  const name = percentDecode(seg);
  return name === '' ? null : name;
}

/** filename* (RFC 8187 ext-value) wins over filename; raw UTF-8 in filename is recognized. */
export function dispositionFilename(value: string | null): string | null {
  if (value === null) return null;
  const ext = headerParam(value, 'filename*');
  if (ext !== null) {
    const m = /^([A-Za-z0-9!#$%&+^_`{}~-]*)'[^']*'(.*)$/.exec(ext);
    if (m) {
      const charset = m[1].toLowerCase();
      if (charset === 'utf-8' || charset === '') return percentDecode(m[2]);
      if (charset === 'iso-8859-1') return m[2].replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  const plain = headerParam(value, 'filename');
  if (plain === null || plain === '') return null;
  return reinterpretUtf8(plain);
}

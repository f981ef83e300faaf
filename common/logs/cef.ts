/**
 * ArcSight Common Event Format (CEF), parsed and written per the CEF Implementation Standard:
 *   CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension
 * Header fields escape "|" as "\|" and "\" as "\\" (newlines are not allowed there). Extension
 * values escape "=" as "\=", "\" as "\\" and newlines as "\n" / "\r"; a "|" in an extension is
 * literal. Keys are letters and digits; a value runs to the space before the next "key=".
 */
import { isIp } from './ip-text.js';
import { emptyEndpoints, portNumber, protoNumber, setField, type LogTime, type NamedEndpoints } from './parsed-log.js';
import { matchBsdTime } from './syslog-time.js';

export interface CefHeader {
  version: string;
  vendor: string;
  product: string;
  deviceVersion: string;
  signatureId: string;
  name: string;
  severity: string;
}

export interface CefMessage {
  header: CefHeader;
  /** Extension keys in order of appearance (a repeated key keeps its last value). */
  extension: Record<string, string>;
}

/**
 * Splits a CEF line (starting at "CEF:") into header and extension, or returns why it cannot.
 * headerFields: the extension object starts with the header's "cef.*" fields, then the
 * extension's keys (parseLog's fields of a CEF line without envelope fields, made as one object
 * instead of the extension's being copied key by key into another).
 */
export function parseCef(text: string, headerFields = false): CefMessage | string {
  if (!text.startsWith('CEF:')) return 'does not start with CEF:';
  const parts: string[] = [];
  // a header field is sliced from the text; only the rare escape builds it piece by piece
  let cur = '';
  let from = 4;
  let i = 4;
  const n = text.length;
  for (; i < n && parts.length < 7; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */ && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d === 0x7c || d === 0x5c) {
        // "\|" is "|", "\\" is "\"; any other backslash is kept as written
        cur += text.slice(from, i);
        i++;
        from = i;
      }
      continue;
    }
    if (c === 0x7c /* | */) {
      parts.push(cur + text.slice(from, i));
      cur = '';
      from = i + 1;
    }
  }
  if (parts.length < 7) return `CEF header has ${parts.length + 1} of 8 fields`;
  const [version, vendor, product, deviceVersion, signatureId, name, severity] = parts;
  if (!/^\d{1,3}$/.test(version.trim())) return `CEF version "${version.slice(0, 16)}" is not a number`;
  const header = { version, vendor, product, deviceVersion, signatureId, name, severity };
  return { header, extension: parseCefExtension(text.slice(i), headerFields ? cefHeaderFields(header) : {}) };
}

/** The header as a log's fields ("cef.*"), in the order parseLog lists them. */
export function cefHeaderFields(h: CefHeader): Record<string, string> {
  return { 'cef.version': h.version, 'cef.vendor': h.vendor, 'cef.product': h.product, 'cef.device_version': h.deviceVersion, 'cef.signature': h.signatureId, 'cef.severity': h.severity };
}

function isKeyChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x2d || c === 0x5b || c === 0x5d;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Where each "key=" starts: an unescaped "=" preceded by a key that follows a space or the start; pairs of [start, eq] offsets. */
function keyStarts(ext: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    const c = ext.charCodeAt(i);
    if (c === 0x5c) {
      i++; // an escaped character is never a separator
      continue;
    }
    if (c !== 0x3d) continue;
    let s = i;
    while (s > 0 && isKeyChar(ext.charCodeAt(s - 1))) s--;
    if (s === i) continue;
    if (s > 0 && !isSpace(ext.charCodeAt(s - 1))) continue;
    out.push(s, i);
  }
  return out;
}

export function unescapeCefValue(v: string): string {
  if (!v.includes('\\')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i];
    if (ch !== '\\' || i + 1 >= v.length) {
      out += ch;
      continue;
    }
    const n = v[++i];
    if (n === 'n') out += '\n';
    else if (n === 'r') out += '\r';
    else if (n === '=' || n === '\\' || n === '|') out += n;
    else out += `\\${n}`; // not an escape the standard defines: kept as written
  }
  return out;
}

export function parseCefExtension(ext: string, out: Record<string, string> = {}): Record<string, string> {
  const keys = keyStarts(ext);
  for (let k = 0; k < keys.length; k += 2) {
    const start = keys[k];
    const eq = keys[k + 1];
    const last = k + 2 >= keys.length;
    let end = last ? ext.length : keys[k + 2];
    // the separator before the next key is not part of the value (the last value keeps its spaces
    // only up to the end of the line, minus trailing line ends)
    if (!last) while (end > eq + 1 && isSpace(ext.charCodeAt(end - 1))) end--;
    else while (end > eq + 1 && (ext[end - 1] === '\n' || ext[end - 1] === '\r' || ext[end - 1] === '\0')) end--;
    setField(out, ext.slice(start, eq), unescapeCefValue(ext.slice(eq + 1, end)));
  }
  return out;
}

export function escapeCefHeader(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

export function escapeCefValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/** A CEF line from a header and extension pairs (keys must be letters and digits). */
export function formatCef(h: CefHeader, ext: [string, string | number][]): string {
  const head = [h.version, h.vendor, h.product, h.deviceVersion, h.signatureId, h.name, h.severity].map(escapeCefHeader).join('|');
  const body = ext.map(([k, v]) => {
    if (!/^[A-Za-z0-9]+$/.test(k)) throw new Error(`CEF extension key "${k}" must be letters and digits`);
    return `${k}=${escapeCefValue(String(v))}`;
  });
  return `CEF:${head}|${body.join(' ')}`;
}

/** Extension keys that may hold the source / destination address, first address wins. */
export const SRC_KEYS: readonly string[] = ['src', 'sourceAddress', 'c6a2', 'sourceIPv6Address'];
export const DST_KEYS: readonly string[] = ['dst', 'destinationAddress', 'c6a3', 'destinationIPv6Address'];

function firstIp(ext: Record<string, string>, keys: readonly string[]): string | null {
  for (const k of keys) {
    const v = ext[k]?.trim();
    if (v && isIp(v)) return v;
  }
  return null;
}

export function cefEndpoints(ext: Record<string, string>): NamedEndpoints {
  const e = emptyEndpoints();
  e.srcIp = firstIp(ext, SRC_KEYS);
  e.dstIp = firstIp(ext, DST_KEYS);
  e.srcPort = portNumber(ext.spt ?? ext.sourcePort);
  e.dstPort = portNumber(ext.dpt ?? ext.destinationPort);
  const p = ext.proto ?? ext.transportProtocol;
  e.proto = p !== undefined ? protoNumber(p) : null;
  return e;
}

/** CEF times: milliseconds since the epoch, or "MMM dd yyyy HH:mm:ss(.SSS)" (read as UTC). */
export function cefTime(ext: Record<string, string>, refSec: number): LogTime | null {
  const v = (ext.rt ?? ext.receiptTime ?? ext.start ?? ext.startTime ?? ext.end)?.trim();
  if (!v) return null;
  if (/^\d{10,15}$/.test(v)) {
    const ms = Number(v);
    return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6, zoned: true };
  }
  return matchBsdTime(v, refSec)?.time ?? null;
}

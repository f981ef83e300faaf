/**
 * The HTTP app-layer events this engine raises for `app-layer-event` rules, computed as
 * libhtp (Suricata's HTTP parser) decides them:
 * - http.request_header_host_invalid: the Host header's host (port split off) fails
 *   htp_validate_hostname (labels of [A-Za-z0-9_-], 1..63 bytes, single dots, ≤ 255 bytes;
 *   a bracketed IPv6 literal must parse), or its port is not 1..65535, or `[` has no `]`.
 * - http.too_many_encoding_layers: a Content-Encoding that lists more tokens than the
 *   decompression layer limit (Suricata's default response-body-decompress-layer-limit: 2;
 *   a single value is libhtp's fast path and never counts).
 * Environment-free.
 */
import type { HttpRequest, HttpResponse } from '../discovery/http-transactions.js';
import { parseIp } from '../packet/ip-address.js';

export const ENCODING_LAYER_LIMIT = 2;

export function httpEvents(req: HttpRequest | null, res: HttpResponse | null): Set<string> {
  const out = new Set<string>();
  if (req) {
    const host = req.head.headers.find((h) => h.name === 'host');
    if (host && !hostHeaderValid(host.value)) out.add('http.request_header_host_invalid');
  }
  if (res) {
    const ce = res.head.headers.filter((h) => h.name === 'content-encoding').map((h) => h.value);
    if (ce.length && encodingLayers(ce.join(', ')) > ENCODING_LAYER_LIMIT) out.add('http.too_many_encoding_layers');
  }
  return out;
}

/** Tokens of a Content-Encoding value (separated by commas and spaces); 0 or 1 for a plain single value. */
export function encodingLayers(value: string): number {
  const v = value.trim().toLowerCase();
  if (['gzip', 'x-gzip', 'deflate', 'x-deflate', 'lzma', 'inflate', ''].includes(v)) return v ? 1 : 0;
  return v.split(/[,\s]+/).filter((t) => t.length > 0).length;
}

export function hostHeaderValid(raw: string): boolean {
  const v = raw.trim();
  if (!v) return false;
  let host: string;
  let port: string | null = null;
  if (v.startsWith('[')) {
    const close = v.indexOf(']');
    if (close < 0) return false;
    host = v.slice(0, close + 1);
    const rest = v.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) return false;
      port = rest.slice(1);
    }
  } else {
    const colon = v.indexOf(':');
    if (colon >= 0) {
      host = v.slice(0, colon);
      port = v.slice(colon + 1);
    } else host = v;
  }
  if (port !== null) {
    const p = port.trim();
    if (!/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535) return false;
  }
  return hostnameValid(host);
}

export function hostnameValid(h: string): boolean {
  if (h.length === 0 || h.length > 255) return false;
  if (h.startsWith('[')) {
    if (h.length < 2 || h.length - 2 >= 100 || !h.endsWith(']')) return false;
    const ip = parseIp(h.slice(1, -1));
    return ip !== null && ip.version === 6;
  }
  let pos = 0;
  while (pos < h.length) {
    const start = pos;
    while (pos < h.length && h[pos] !== '.') {
      if (!/[A-Za-z0-9_-]/.test(h[pos])) return false;
      pos++;
    }
    if (pos - start === 0 || pos - start > 63) return false;
    if (pos >= h.length) return true;
    const dots = pos;
    while (pos < h.length && h[pos] === '.') pos++;
    if (pos - dots !== 1) return false;
  }
  return true;
}

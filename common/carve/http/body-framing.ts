/**
 * How long a message body is (RFC 9112 §6.3), decided from its head and, for a response, the
 * request it answers. Malformed or conflicting lengths are errors: the carver records them and
 * resynchronizes instead of guessing where the body ends. Environment-free.
 */
import { headerList, listTokens, type RequestHead, type ResponseHead } from './http-head.js';

export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' }
  /** The connection stops being HTTP (CONNECT tunnel, 101 Switching Protocols). */
  | { kind: 'tunnel'; why: string }
  | { kind: 'error'; message: string };

export interface FramingResult {
  framing: Framing;
  /** Transfer codings other than chunked, in order of application (to decode like content codings). */
  transferCodings: string[];
  notes: string[];
}

/** Content-Length: digits only, all list members equal (RFC 9110 §8.6), a safe integer. */
export function parseContentLength(values: string): number | { error: string } {
  const parts = values.split(',').map((v) => v.trim());
  let n: number | null = null;
  for (const p of parts) {
    if (!/^\d{1,16}$/.test(p)) return { error: `invalid Content-Length ${JSON.stringify(values.slice(0, 40))}` };
    const v = Number(p);
    if (!Number.isSafeInteger(v)) return { error: `Content-Length ${p} overflows` };
    if (n !== null && v !== n) return { error: `conflicting Content-Length values ${JSON.stringify(values.slice(0, 40))}` };
    n = v;
  }
  return n ?? { error: 'empty Content-Length' };
}

export function requestFraming(h: RequestHead): FramingResult {
  return framingOf(h, 'request');
}

/** `method` is the request's method, or null when the request was not seen. */
export function responseFraming(h: ResponseHead, method: string | null): FramingResult {
  const s = h.status;
  if (s === 101) return { framing: { kind: 'tunnel', why: '101 Switching Protocols' }, transferCodings: [], notes: [] };
  if (method === 'CONNECT' && s >= 200 && s < 300) return { framing: { kind: 'tunnel', why: `CONNECT answered ${s}` }, transferCodings: [], notes: [] };
  if (method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return { framing: { kind: 'none' }, transferCodings: [], notes: [] };
  return framingOf(h, 'response');
}

function framingOf(h: RequestHead | ResponseHead, role: 'request' | 'response'): FramingResult {
  const notes: string[] = [];
  const te = headerList(h.headers, 'transfer-encoding');
  const cl = headerList(h.headers, 'content-length');
  if (te !== null) {
    const codings = listTokens(te);
    // both headers: a classic request-smuggling signal worth keeping in the record
    if (cl !== null) notes.push('both Transfer-Encoding and Content-Length present; Transfer-Encoding wins');
    if (codings.length > 0 && codings[codings.length - 1] === 'chunked') {
      const others = codings.slice(0, -1).filter((c) => c !== 'chunked' && c !== 'identity');
      if (codings.slice(0, -1).includes('chunked')) notes.push('chunked applied more than once');
      return { framing: { kind: 'chunked' }, transferCodings: others, notes };
    }
    if (role === 'request') return { framing: { kind: 'error', message: `request Transfer-Encoding ${JSON.stringify(te.slice(0, 40))} does not end in chunked` }, transferCodings: [], notes };
    return { framing: { kind: 'close' }, transferCodings: codings.filter((c) => c !== 'identity'), notes };
  }
  if (cl !== null) {
    const n = parseContentLength(cl);
    if (typeof n !== 'number') return { framing: { kind: 'error', message: n.error }, transferCodings: [], notes };
    return { framing: n === 0 ? { kind: 'none' } : { kind: 'length', length: n }, transferCodings: [], notes };
  }
  if (role === 'request') return { framing: { kind: 'none' }, transferCodings: [], notes };
  return { framing: { kind: 'close' }, transferCodings: [], notes };
}

/** Content codings in order of application, lowercase, identity dropped. */
export function contentCodings(h: RequestHead | ResponseHead): string[] {
  return listTokens(headerList(h.headers, 'content-encoding')).filter((c) => c !== 'identity');
}


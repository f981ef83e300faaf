/**
 * Parsing one HTTP/1.x header section (start line + fields) that has already been cut out of the
 * stream. Lenient where real traffic is sloppy (bare LF, obs-fold, odd spacing), strict where a
 * carver could be misled (field names, status codes). Never throws. Environment-free.
 */
import { latin1 } from '../text.js';

export interface HeaderField {
  /** Lowercase. */
  name: string;
  /** Trimmed; obs-fold joined with a space. */
  value: string;
}

export interface RequestHead {
  kind: 'request';
  method: string;
  target: string;
  version: string;
  headers: HeaderField[];
  notes: string[];
}

export interface ResponseHead {
  kind: 'response';
  version: string;
  status: number;
  reason: string;
  headers: HeaderField[];
  notes: string[];
}

export type HeadResult = RequestHead | ResponseHead | { kind: 'error'; message: string };

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/(\d\.\d) +(\d{3})(?: (.*))?$/;

export interface HeadLimits {
  maxFields: number;
}

/** Parses `bytes` (the header section without its terminating empty line) as a request or response head. */
export function parseHead(bytes: Uint8Array, role: 'request' | 'response', limits: HeadLimits): HeadResult {
  const text = latin1(bytes);
  const lines = text.split('\n');
  const first = stripCr(lines[0]);
  const notes: string[] = [];
  const headers = parseFields(lines, 1, limits.maxFields, notes);
  if (headers === null) return { kind: 'error', message: `more than ${limits.maxFields} header fields` };
  if (role === 'request') {
    const r = splitRequestLine(first);
    if (!r) return { kind: 'error', message: `not an HTTP/1.x request line: ${JSON.stringify(first.slice(0, 80))}` };
    return { kind: 'request', ...r, headers, notes };
  }
  const m = STATUS_LINE.exec(first);
  if (!m) return { kind: 'error', message: `not an HTTP/1.x status line: ${JSON.stringify(first.slice(0, 80))}` };
  return { kind: 'response', version: m[1], status: Number(m[2]), reason: m[3] ?? '', headers, notes };
}

/**
 * "METHOD target HTTP/x.y", split by hand (a regex with a lazy middle group backtracks
 * quadratically on long runs of spaces). Targets with raw spaces are kept whole.
 */
function splitRequestLine(line: string): { method: string; target: string; version: string } | null {
  const sp = line.indexOf(' ');
  const last = line.lastIndexOf(' ');
  if (sp <= 0 || last <= sp) return null;
  const method = line.slice(0, sp);
  const proto = line.slice(last + 1);
  const target = line.slice(sp + 1, last).trim();
  if (method.length > 32 || !TOKEN.test(method) || !/^HTTP\/\d\.\d$/.test(proto) || target === '') return null;
  return { method, target, version: proto.slice(5) };
}

/** Header fields of lines[from..] (a trailer section or multipart part headers use this alone). Null when over maxFields. */
export function parseFields(lines: string[], from: number, maxFields: number, notes: string[]): HeaderField[] | null {
  const out: HeaderField[] = [];
  for (let i = from; i < lines.length; i++) {
    const line = stripCr(lines[i]);
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && out.length > 0) {
      // obs-fold: continuation of the previous field
      const prev = out[out.length - 1];
      prev.value = `${prev.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) {
      if (notes.length < 8) notes.push(`ignored a malformed header line: ${JSON.stringify(line.slice(0, 60))}`);
      continue;
    }
    if (out.length >= maxFields) return null;
    out.push({ name: name.toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return out;
}

export function parseFieldSection(bytes: Uint8Array, maxFields: number, notes: string[]): HeaderField[] | null {
  return parseFields(latin1(bytes).split('\n'), 0, maxFields, notes);
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

/** The first value of a singleton field, or null. */
export function header(h: readonly HeaderField[], name: string): string | null {
  for (const f of h) if (f.name === name) return f.value;
  return null;
}

/** All values of a list field joined with ", " (RFC 9110 §5.3), or null when absent. */
export function headerList(h: readonly HeaderField[], name: string): string | null {
  let out: string | null = null;
  for (const f of h) if (f.name === name) out = out === null ? f.value : `${out}, ${f.value}`;
  return out;
}

/** Comma-separated tokens of a list field, lowercase, empty elements dropped. */
export function listTokens(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** A parameter of a header value like `type/sub; a=b; name="x y"` (case-insensitive name), unquoted. */
export function headerParam(value: string, param: string): string | null {
  const want = param.toLowerCase();
  const re = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    if (m[1].toLowerCase() !== want) continue;
    const v = m[2].trim();
    if (v.startsWith('"')) return v.replace(/^"|"$/g, '').replace(/\\(.)/g, '$1');
    return v;
  }
  return null;
}

/** The media type of a Content-Type value, lowercase without parameters. */
export function mediaType(value: string | null): string | null {
  if (value === null) return null;
  const t = value.split(';')[0].trim().toLowerCase();
  return t === '' ? null : t;
}

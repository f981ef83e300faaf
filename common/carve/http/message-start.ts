/**
 * Recognizing where an HTTP/1.x message starts: to tell which side of a flow is the client, and
 * to resynchronize after a gap or a parse error by scanning for the next request line or status
 * line at the start of a line. Environment-free.
 */

export type Role = 'request' | 'response';

/** Methods accepted when resynchronizing (any token is accepted once a full request line parses). */
const METHODS = [
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'REPORT', 'SEARCH',
  'MKACTIVITY', 'CHECKOUT', 'MERGE', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PURGE',
  'SOURCE', 'BITS_POST', 'CCM_POST', 'RPC_IN_DATA', 'RPC_OUT_DATA', 'M-SEARCH', 'ACL', 'BIND',
];
const STARTS: Record<Role, Uint8Array[]> = {
  request: METHODS.map((m) => bytesOf(`${m} `)),
  response: [bytesOf('HTTP/1.')],
};
const LONGEST = Math.max(...[...STARTS.request, ...STARTS.response].map((s) => s.length));

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export type Match = 'yes' | 'no' | 'more';

/** Whether bytes[at..] begins a message of `role` ('more': too few bytes to tell). */
export function startsMessage(bytes: Uint8Array, at: number, role: Role): Match {
  let more = false;
  for (const p of STARTS[role]) {
    let k = 0;
    while (k < p.length && at + k < bytes.length && bytes[at + k] === p[k]) k++;
    if (k === p.length) return 'yes';
    if (at + k === bytes.length) more = true;
  }
  return more ? 'more' : 'no';
}

/** Bytes a start can begin with, to skip most positions with one lookup. */
const FIRST: Record<Role, Uint8Array> = { request: firstBytes(STARTS.request), response: firstBytes(STARTS.response) };

function firstBytes(starts: Uint8Array[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const s of starts) t[s[0]] = 1;
  return t;
}

/**
 * Scans a stream for the next message start of the given roles, anywhere (a body of unknown
 * length is followed directly by the next message, mid-line). Keeps the few bytes of a possible
 * start that straddles two chunks.
 */
export class StartScanner {
  private carry: Uint8Array = new Uint8Array(0);

  constructor(private readonly roles: readonly Role[]) {}

  /** Bytes went missing: a start cannot straddle them. */
  gap(): void {
    this.carry = new Uint8Array(0);
  }

  /**
   * Looks for a start in data[pos..]. On success returns the carried bytes that begin the
   * message (possibly empty), the index in data where the rest continues, and the role.
   */
  scan(data: Uint8Array, pos: number): { prefix: Uint8Array; index: number; role: Role } | null {
    const carried = this.carry.length;
    let buf = data;
    let from = pos;
    if (carried > 0) {
      buf = new Uint8Array(carried + data.length - pos);
      buf.set(this.carry);
      buf.set(data.subarray(pos), carried);
      from = 0;
      this.carry = new Uint8Array(0);
    }
    for (let i = from; i < buf.length; i++) {
      const b = buf[i];
      for (const role of this.roles) {
        if (!FIRST[role][b]) continue;
        const m = startsMessage(buf, i, role);
        if (m === 'more') {
          this.carry = buf.slice(i);
          return null;
        }
        if (m === 'yes') {
          if (carried === 0) return { prefix: new Uint8Array(0), index: i, role };
          return { prefix: i < carried ? buf.slice(i, carried) : new Uint8Array(0), index: pos + Math.max(0, i - carried), role };
        }
      }
    }
    return null;
  }
}

/** Start lines longer than this are not looked at further. */
export const MAX_LINE = 8192;

/** The line ends in "HTTP/d.d" (optionally CR): the cheap test that rules out HTTP/0.9 for almost every request. */
export function endsWithVersion(line: Uint8Array): boolean {
  let e = line.length;
  if (e > 0 && line[e - 1] === 13) e--;
  return e >= 8 && line[e - 8] === 0x48 && line[e - 4] === 0x2f && line[e - 2] === 0x2e;
}

export function isHttp09RequestLine(line: Uint8Array): boolean {
  let s = '';
  for (let i = 0; i < line.length && i < MAX_LINE; i++) s += String.fromCharCode(line[i]);
  return /^GET [^\s]+\r?$/.test(s);
}

/** "TOKEN SP ... SP HTTP/d.d": a request line with a method outside the resync list. */
export function looksLikeRequestLine(line: Uint8Array): boolean {
  let s = '';
  for (let i = 0; i < line.length && i < MAX_LINE; i++) s += String.fromCharCode(line[i]);
  if (s.endsWith('\r')) s = s.slice(0, -1);
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32} \S/.test(s) && /\sHTTP\/\d\.\d$/.test(s);
}

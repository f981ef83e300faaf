/**
 * DNS messages (RFC 1035): header, questions and the answer section's A, AAAA, CNAME, PTR, MX,
 * NS and TXT records. Name compression is followed with a hop limit (no loops). Never throws:
 * malformed input yields null or a partial answer list. Environment-free.
 */
import { ipToString } from '../packet/ip-address.js';

export interface DnsQuestion {
  name: string;
  type: number;
}

export interface DnsAnswer {
  name: string;
  type: number;
  ttl: number;
  /** Rendered data: an address, a name, or TXT text; null for other types. */
  data: string | null;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsAnswer[];
}

export const DNS_TYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 65: 'HTTPS', 255: 'ANY' };

const MAX_RECORDS = 256;

/** Reads a name at `at`; returns it and where the name ends in the message (before pointers). */
function readName(b: Uint8Array, at: number): { name: string; end: number } | null {
  const labels: string[] = [];
  let p = at;
  let end = -1;
  let hops = 0;
  let length = 0;
  for (;;) {
    if (p >= b.length) return null;
    const l = b[p];
    if (l === 0) {
      if (end < 0) end = p + 1;
      break;
    }
    if ((l & 0xc0) === 0xc0) {
      if (p + 1 >= b.length || ++hops > 32) return null;
      if (end < 0) end = p + 2;
      p = ((l & 0x3f) << 8) | b[p + 1];
      continue;
    }
    if (l & 0xc0) return null;
    if (p + 1 + l > b.length) return null;
    let s = '';
    for (let i = p + 1; i <= p + l; i++) {
      const c = b[i];
      s += c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c ? String.fromCharCode(c) : `\\${c.toString().padStart(3, '0')}`;
    }
    labels.push(s);
    length += l + 1;
    if (length > 255) return null;
    p += 1 + l;
  }
  return { name: labels.join('.'), end };
}

export function parseDnsMessage(b: Uint8Array): DnsMessage | null {
  if (b.length < 12) return null;
  const qd = (b[4] << 8) | b[5];
  const an = (b[6] << 8) | b[7];
  if (qd > MAX_RECORDS || an > MAX_RECORDS) return null;
  const msg: DnsMessage = { id: (b[0] << 8) | b[1], response: (b[2] & 0x80) !== 0, rcode: b[3] & 0x0f, questions: [], answers: [] };
  let p = 12;
  for (let i = 0; i < qd; i++) {
    const n = readName(b, p);
    if (!n || n.end + 4 > b.length) return msg.questions.length ? msg : null;
    msg.questions.push({ name: n.name, type: (b[n.end] << 8) | b[n.end + 1] });
    p = n.end + 4;
  }
  for (let i = 0; i < an; i++) {
    const n = readName(b, p);
    if (!n || n.end + 10 > b.length) break;
    const type = (b[n.end] << 8) | b[n.end + 1];
    const ttl = ((b[n.end + 4] << 24) | (b[n.end + 5] << 16) | (b[n.end + 6] << 8) | b[n.end + 7]) >>> 0;
    const rdlen = (b[n.end + 8] << 8) | b[n.end + 9];
    const rd = n.end + 10;
    if (rd + rdlen > b.length) break;
    let data: string | null = null;
    if (type === 1 && rdlen === 4) data = ipToString(4, b.subarray(rd, rd + 4));
    else if (type === 28 && rdlen === 16) data = ipToString(6, b.subarray(rd, rd + 16));
    else if (type === 5 || type === 12 || type === 2) data = readName(b, rd)?.name ?? null;
    else if (type === 15 && rdlen > 2) data = readName(b, rd + 2)?.name ?? null;
    else if (type === 33 && rdlen > 6) data = readName(b, rd + 6)?.name ?? null;
    else if (type === 16) {
      const parts: string[] = [];
      for (let q = rd; q < rd + rdlen; ) {
        const l = b[q];
        parts.push(String.fromCharCode(...b.subarray(q + 1, Math.min(q + 1 + l, rd + rdlen))));
        q += 1 + l;
      }
      // Zeek's rendering: each character-string as "TXT <length> <text>"
      data = parts.map((t) => `TXT ${t.length} ${t}`).join(' ');
    }
    msg.answers.push({ name: n.name, type, ttl, data });
    p = rd + rdlen;
  }
  return msg;
}

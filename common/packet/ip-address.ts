/**
 * IP address text conversion: canonical rendering (dotted quad; RFC 5952 for IPv6) and a strict
 * parser for user input (CLI filters, Community ID arguments).
 */

export interface ParsedIp {
  version: 4 | 6;
  bytes: Uint8Array;
}

/**
 * Renders the first 4 (IPv4) or 16 (IPv6) bytes. IPv6 follows RFC 5952: lowercase, no leading
 * zeros, the longest run (first on ties) of two or more zero groups as "::", and IPv4-mapped
 * addresses (::ffff:0:0/96) with a dotted-quad tail as §5 recommends.
 */
export function ipToString(ipVersion: 4 | 6, bytes: Uint8Array): string {
  if (ipVersion === 4) {
    if (bytes.length < 4) throw new RangeError('IPv4 address needs 4 bytes');
    return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  }
  if (bytes.length < 16) throw new RangeError('IPv6 address needs 16 bytes');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);

  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }

  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.map((g) => g.toString(16)).join(':');
  const head = groups.slice(0, bestStart).map((g) => g.toString(16)).join(':');
  const tail = groups.slice(bestStart + bestLen).map((g) => g.toString(16)).join(':');
  return `${head}::${tail}`;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** Parses "a.b.c.d" (no leading zeros, which some parsers read as octal) into 4 bytes. */
function parseIpv4(text: string, out: Uint8Array, at: number): boolean {
  // a char-code scan (log intake calls this per address): four dec-octets 0-255, no leading zeros
  const n = text.length;
  let part = 0;
  let val = 0;
  let digits = 0;
  let first = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0x2e; // the end closes the last octet like a dot
    if (c === 0x2e) {
      if (digits === 0 || part > 3 || val > 255 || (digits > 1 && first === 0x30)) return false;
      out[at + part++] = val;
      val = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) first = c;
      if (++digits > 3) return false;
      val = val * 10 + (c - 0x30);
    } else return false;
  }
  return part === 4;
}

/** Parses a list of hex groups (possibly empty, or ending in a dotted quad) into 16-bit words. */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | null {
  if (text === '') return [];
  const parts = text.split(':');
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && allowIpv4Tail && part.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIpv4(part, v4, 0)) return null;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else {
      if (!HEX_GROUP.test(part)) return null;
      words.push(parseInt(part, 16));
    }
  }
  return words;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let words: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0], false);
    const tail = parseGroups(halves[1], true);
    if (head === null || tail === null) return null;
    // "::" stands for at least one zero group.
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return null;
    words = all;
  }
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    bytes[i * 2] = words[i] >> 8;
    bytes[i * 2 + 1] = words[i] & 0xff;
  }
  return bytes;
}

/**
 * Strict parser: exactly a dotted-quad IPv4 address or an RFC 4291 IPv6 text form (optionally
 * with a dotted-quad tail). No whitespace, brackets, zone ids, prefixes or leading-zero octets.
 */
export function parseIp(text: string): ParsedIp | null {
  if (text.includes(':')) {
    const bytes = parseIpv6(text);
    return bytes === null ? null : { version: 6, bytes };
  }
  const bytes = new Uint8Array(4);
  return parseIpv4(text, bytes, 0) ? { version: 4, bytes } : null;
}

/** Address formatting/parsing shared by the generator, the pcap reader and the BPF builder. */

export function formatIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 canonical text (lower case, longest run of >= 2 zero groups compressed). */
export function formatIpv6(b: Uint8Array, off = 0): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

export function formatIp(b: Uint8Array, off = 0, len = b.length - off): string {
  return len === 4 ? formatIpv4(b, off) : formatIpv6(b, off);
}

/** Parses dotted IPv4 or any valid IPv6 text into 4 or 16 bytes. */
export function parseIp(text: string): Uint8Array {
  if (text.includes(':')) {
    const out = new Uint8Array(16);
    const [headText, tailText] = text.includes('::') ? text.split('::') : [text, ''];
    const head = headText ? headText.split(':') : [];
    const tail = tailText ? tailText.split(':') : [];
    if (!text.includes('::') && head.length !== 8) throw new Error(`invalid IPv6 address ${text}`);
    head.forEach((g, i) => {
      const v = parseInt(g, 16);
      out[2 * i] = v >> 8;
      out[2 * i + 1] = v & 255;
    });
    tail.forEach((g, i) => {
      const v = parseInt(g, 16);
      const k = 8 - tail.length + i;
      out[2 * k] = v >> 8;
      out[2 * k + 1] = v & 255;
    });
    return out;
  }
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid IPv4 address ${text}`);
  }
  return Uint8Array.from(parts);
}

export function protoNumber(proto: string | number): number {
  if (typeof proto === 'number') return proto;
  switch (proto.toLowerCase()) {
    case 'tcp':
      return 6;
    case 'udp':
      return 17;
    case 'icmp':
      return 1;
    case 'icmpv6':
      return 58;
    default: {
      const n = Number(proto);
      if (!Number.isInteger(n)) throw new Error(`unknown protocol ${proto}`);
      return n;
    }
  }
}

/** Decimal epoch-seconds string with exactly 6 fractional digits from integer microseconds. */
export function usToDecimal(us: number): string {
  const sec = Math.floor(us / 1e6);
  const frac = us - sec * 1e6;
  return `${sec}.${String(frac).padStart(6, '0')}`;
}

/** Inverse of usToDecimal that does not go through a float (exact for any digits count). */
export function decimalToUs(text: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`not a decimal timestamp: ${text}`);
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return Number(m[1]) * 1e6 + Number(frac);
}

/**
 * Small builders for hand-made packets used by the decoder tests. Each returns fresh bytes;
 * lengths and checksums are filled in only where the decoder reads them (checksums are not).
 */

export function bytes(...parts: Array<Uint8Array | number[]>): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

export function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function le16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}

export function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

// ---- transport ----

export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  /** 9 bits: FIN..CWR in the low byte, NS as 0x100. */
  flags?: number;
  options?: number[];
  /** Override the data-offset field (in 32-bit words). */
  dataOffsetWords?: number;
  payload?: number[];
}

export function tcp(s: TcpSpec): Uint8Array {
  const options = s.options ?? [];
  if (options.length % 4 !== 0) throw new Error('TCP options must be a multiple of 4 bytes');
  const words = s.dataOffsetWords ?? 5 + options.length / 4;
  const flags = s.flags ?? 0;
  return bytes(
    be16(s.sport), be16(s.dport), be32(s.seq ?? 0), be32(s.ack ?? 0),
    [(words << 4) | ((flags >> 8) & 1), flags & 0xff], be16(65535), [0, 0], [0, 0],
    options, s.payload ?? [],
  );
}

export function udp(sport: number, dport: number, payload: number[] = [], lengthOverride?: number): Uint8Array {
  return bytes(be16(sport), be16(dport), be16(lengthOverride ?? 8 + payload.length), [0, 0], payload);
}

export function sctp(sport: number, dport: number, chunks: number[] = []): Uint8Array {
  return bytes(be16(sport), be16(dport), be32(0x01020304), be32(0), chunks);
}

export function icmp(type: number, code: number, rest: number[] = [0, 0, 0, 0], payload: number[] = []): Uint8Array {
  return bytes([type, code, 0, 0], rest, payload);
}

// ---- IP ----

export interface Ipv4Spec {
  src?: number[];
  dst?: number[];
  proto: number;
  payload: Uint8Array;
  id?: number;
  /** More-fragments flag. */
  mf?: boolean;
  df?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  options?: number[];
  totalLength?: number;
  /** Override the whole first byte (version/IHL). */
  versionIhl?: number;
}

export const V4_SRC = [192, 0, 2, 1];
export const V4_DST = [198, 51, 100, 7];

export function ipv4(s: Ipv4Spec): Uint8Array {
  const options = s.options ?? [];
  if (options.length % 4 !== 0) throw new Error('IPv4 options must be a multiple of 4 bytes');
  const ihl = 5 + options.length / 4;
  const header = 20 + options.length;
  const flagsFrag = (s.df ? 0x4000 : 0) | (s.mf ? 0x2000 : 0) | ((s.fragOffset ?? 0) >> 3);
  return bytes(
    [s.versionIhl ?? 0x40 | ihl, 0], be16(s.totalLength ?? header + s.payload.length), be16(s.id ?? 0x1234),
    be16(flagsFrag), [64, s.proto], [0, 0], s.src ?? V4_SRC, s.dst ?? V4_DST, options, s.payload,
  );
}

export const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const V6_DST = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

export interface Ipv6Spec {
  src?: number[];
  dst?: number[];
  nextHeader: number;
  /** Extension headers followed by the upper-layer header. */
  payload: Uint8Array;
  payloadLength?: number;
}

export function ipv6(s: Ipv6Spec): Uint8Array {
  return bytes(
    [0x60, 0, 0, 0], be16(s.payloadLength ?? s.payload.length), [s.nextHeader, 64],
    s.src ?? V6_SRC, s.dst ?? V6_DST, s.payload,
  );
}

/** Hop-by-hop, routing, destination options or mobility header of `len` bytes (multiple of 8). */
export function extHeader(next: number, len = 8): number[] {
  if (len % 8 !== 0 || len < 8) throw new Error('extension header length must be a multiple of 8');
  const h = new Array<number>(len).fill(0);
  h[0] = next;
  h[1] = len / 8 - 1;
  return h;
}

/** Authentication header of `len` bytes (multiple of 4, at least 12). */
export function ahHeader(next: number, len = 16): number[] {
  const h = new Array<number>(len).fill(0);
  h[0] = next;
  h[1] = len / 4 - 2;
  return h;
}

export function fragmentHeader(next: number, offsetBytes: number, more: boolean, id: number): number[] {
  return [next, 0, ...be16((offsetBytes & 0xfff8) | (more ? 1 : 0)), ...be32(id)];
}

// ---- link layers ----

export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

export interface VlanTag {
  tpid: number;
  vid: number;
  pcp?: number;
}

export function ethernet(etherType: number, payload: Uint8Array, tags: VlanTag[] = []): Uint8Array {
  const parts: number[][] = [MAC_A, MAC_B];
  for (const t of tags) parts.push(be16(t.tpid), be16(((t.pcp ?? 0) << 13) | t.vid));
  parts.push(be16(etherType));
  return bytes(...parts, payload);
}

/** MPLS label stack entries; the last one gets the bottom-of-stack bit. */
export function mplsLabels(labels: number[]): number[] {
  const out: number[] = [];
  labels.forEach((label, i) => {
    const bos = i === labels.length - 1 ? 1 : 0;
    out.push((label >> 12) & 0xff, (label >> 4) & 0xff, ((label & 0xf) << 4) | bos, 64);
  });
  return out;
}

export function pppoeSession(pppProtocol: number, payload: Uint8Array): Uint8Array {
  return bytes([0x11, 0x00], be16(0x0042), be16(payload.length + 2), be16(pppProtocol), payload);
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL). */
export function sll(protocol: number, payload: Uint8Array, hatype = 1): Uint8Array {
  return bytes(be16(0), be16(hatype), be16(6), MAC_A, [0, 0], be16(protocol), payload);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2). */
export function sll2(protocol: number, payload: Uint8Array, hatype = 1): Uint8Array {
  return bytes(be16(protocol), [0, 0], be32(3), be16(hatype), [0, 6], MAC_A, [0, 0], payload);
}

/** BSD loopback header (NULL when `littleEndian` says so, LOOP = big-endian). */
export function bsdLoopback(af: number, payload: Uint8Array, littleEndian: boolean): Uint8Array {
  return bytes(littleEndian ? le32(af) : be32(af), payload);
}

/** NFLOG record: header, a packet-header TLV, a prefix TLV needing padding, then the payload TLV. */
export function nflog(family: number, payload: Uint8Array, littleEndian = true, withPayload = true): Uint8Array {
  const h16 = littleEndian ? le16 : be16;
  const tlv = (type: number, value: number[]): number[] => {
    const len = 4 + value.length;
    const pad = (4 - (len % 4)) % 4;
    return [...h16(len), ...h16(type), ...value, ...new Array<number>(pad).fill(0)];
  };
  const parts: Array<number[] | Uint8Array> = [
    [family, 0], be16(42),
    tlv(1, [0x08, 0x00, 2, 0]), // NFULA_PACKET_HDR: hw protocol, hook
    tlv(10, [0x61, 0x62, 0x63, 0]), // NFULA_PREFIX "abc\0"
    tlv(11, [0, 0, 3, 0xe8]), // NFULA_UID
  ];
  if (withPayload) parts.push(h16(4 + payload.length), h16(9), payload);
  return bytes(...parts);
}

/** A TCP/IPv4 packet over Ethernet, the decoder's most common input. */
export function ethIpv4Tcp(spec: Partial<TcpSpec> = {}): Uint8Array {
  return ethernet(0x0800, ipv4({ proto: 6, payload: tcp({ sport: 40000, dport: 80, ...spec }) }));
}

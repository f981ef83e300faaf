/**
 * Fast-path columns: per packet of a batch, the IPv4 fast path's flow key already decoded and
 * hashed (what decodeFastIpv4 reads plus the canonical key words and the hash FlowTable's lookup
 * of an IPv4 key computes), so that the store writer's thread indexes such a packet without
 * reading its headers again (CaptureIndexer.onPacketColumns). The native capture thread
 * (native/capture/src/fast-columns.h) fills them while it copies each packet into the batch; this
 * is the canonical definition, and tests/unit/flow/fast-columns.test.ts holds the C fill to it
 * byte for byte on generated, mutated and corpus packets.
 *
 * An entry is COLUMN_WORDS int32 words:
 *   0 meta: bit 0 set when the packet takes the fast path (decodeFastIpv4 accepts it; all other
 *     words are then 0 when it does not), bit 1 set when the source is endpoint A, bits 2-10 the
 *     TCP flags (NS as bit 8 of the flags, 0 for UDP), bits 16-23 the IP protocol (6 or 17)
 *   1 the key's VLAN word, 2 endpoint A's address, 3 endpoint B's, 4 the ports word (A's port
 *     high), all as FlowTable's key words, read as int32
 *   5 the key's hash (FlowTable's hash of an IPv4 key)
 * In a batch buffer the entries sit at its end, entry k (the batch's k-th record, over all its
 * runs) at bytes [end - (k + 1) * COLUMN_BYTES, end - k * COLUMN_BYTES), end = the buffer's length
 * rounded down to a multiple of 4; the records start at 0 and never reach them.
 */
import { createFastIpv4, decodeFastIpv4 } from '../packet/ipv4-fast-path.js';

export const COLUMN_WORDS = 6;
export const COLUMN_BYTES = COLUMN_WORDS * 4;
export const COLUMN_FAST = 1;
export const COLUMN_SRC_IS_A = 2;

/** The key hash of an IPv4 key (FlowTable's flowKeyHash with words 3-5, 7-9 and 11 zero). */
export function hashIpv4Key(w0: number, w1: number, a: number, b: number, ports: number): number {
  let h = Math.imul(w0 ^ 0x811c9dc5, 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ w1, 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ a, 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0x01000193);
  h = Math.imul(h ^ (h >>> 15) ^ ports, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Word 0 of the flow key of an IPv4 packet with ports (FlowKind.Ip, version 4, proto, ports). */
export function ipv4KeyWord0(proto: number): number {
  return (4 << 8) | (proto << 16) | (1 << 24);
}

/** Word index of entry k in `words`, the length of an Int32Array over a whole batch buffer. */
export function columnWord(words: number, k: number): number {
  return words - (k + 1) * COLUMN_WORDS;
}

const FAST = createFastIpv4();

/**
 * Fills the entry at cols[w, w + COLUMN_WORDS) for the frame buf[s, e) of link type linkType:
 * the canonical fill (the native capture thread's must equal it).
 */
export function fillFastColumn(linkType: number, buf: Uint8Array, s: number, e: number, cols: Int32Array, w: number): void {
  const p = FAST;
  if (linkType !== 1 || !decodeFastIpv4(buf, s, e, p)) {
    cols.fill(0, w, w + COLUMN_WORDS);
    return;
  }
  const sp = p.srcPort;
  const dp = p.dstPort;
  const s0 = p.src;
  const t0 = p.dst;
  const srcIsA = s0 < t0 || (s0 === t0 && sp <= dp);
  const a = (srcIsA ? s0 : t0) | 0;
  const b = (srcIsA ? t0 : s0) | 0;
  const ports = (srcIsA ? (sp << 16) | dp : (dp << 16) | sp) | 0;
  const w1 = ((p.vlan + 1) & 0xffff) | (((p.vlanInner + 1) & 0xffff) << 16);
  cols[w] = COLUMN_FAST | (srcIsA ? COLUMN_SRC_IS_A : 0) | (p.tcpFlags << 2) | (p.proto << 16);
  cols[w + 1] = w1;
  cols[w + 2] = a;
  cols[w + 3] = b;
  cols[w + 4] = ports;
  cols[w + 5] = hashIpv4Key(ipv4KeyWord0(p.proto), w1, a, b, ports);
}

/**
 * Synthetic packets for the writer thread's warm-up (writer-warm-up.ts): packet batches in the
 * layout the native capture thread fills (packet-batch.ts), one run of Ethernet records, made in
 * memory. The mix is what the hot path sees on a real link, so that V8's type feedback from the
 * warm-up matches real traffic: IPv4 and IPv6, TCP (handshake, data both ways, FIN or RST), UDP, ICMP
 * and ICMPv6, 802.1Q-tagged frames, an ARP now and then, addresses above 2^31 and full 32-bit
 * sequence numbers (the number representations real packets widen fields to), payloads from 0
 * to 1400 bytes, and enough flows per segment that the flow table grows and rehashes.
 */
import { BATCH_RECORD_HEADER, endBatchRun, startBatchRun } from './packet-batch.js';

/** Largest frame made: 14 Ethernet + 4 VLAN + 40 IPv6 + 32 TCP + 1436 payload (rounded up). */
const MAX_FRAME = 1530;

/** Deterministic state of the generator (no Math.random: the same warm-up every time). */
export interface WarmUpTraffic {
  /** Packets made so far. */
  n: number;
  /** Flows the packets are spread over. */
  flows: number;
  /** Timestamp of the next packet (ns since the epoch, as a float; µs steps). */
  tsUs: number;
}

export function warmUpTraffic(flows: number, nowMs: number): WarmUpTraffic {
  return { n: 0, flows, tsUs: nowMs * 1000 };
}

/** xorshift-multiply hash of a 32-bit number (spreads flows and sizes). */
function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Fills buf (a batch slot) with one run of link `linkId` holding as many packets as fit; returns
 * the batch's length.
 */
export function fillWarmUpBatch(buf: Uint8Array, view: DataView, linkId: number, t: WarmUpTraffic): number {
  const runAt = 0;
  let at = startBatchRun(view, runAt, linkId);
  while (at + BATCH_RECORD_HEADER + MAX_FRAME <= buf.length) {
    const frameAt = at + BATCH_RECORD_HEADER;
    const len = writeFrame(buf, view, frameAt, t.n, t.flows);
    const sec = Math.floor(t.tsUs / 1e6);
    view.setUint32(at, sec >>> 0, true);
    view.setUint32(at + 4, Math.round((t.tsUs - sec * 1e6) * 1000) >>> 0, true);
    view.setUint32(at + 8, len, true);
    view.setUint32(at + 12, len, true);
    at = frameAt + len;
    t.n++;
    t.tsUs += 1 + (mix(t.n) & 7);
  }
  endBatchRun(view, runAt, at);
  return at;
}

/** Writes packet n's frame at `at`; returns its length. */
function writeFrame(buf: Uint8Array, view: DataView, at: number, n: number, flows: number): number {
  const h = mix(n + 1);
  const f = h % flows;
  const fh = mix(f + 0x9e3779b9);
  // per-flow packet number: flows take turns, so each sees a handshake, data and a FIN
  const k = Math.floor(n / flows);
  const toServer = (k & 1) === 0;
  const kind = fh & 15; // 0-8 TCP/IPv4, 9-10 UDP/IPv4, 11-12 TCP/IPv6, 13 UDP/IPv6, 14 ICMP, 15 ICMPv6
  if ((h & 1023) === 7) return writeArp(buf, view, at, h);
  const vlan = (fh >>> 8) % 11 === 0;
  let p = at;
  // Ethernet
  for (let i = 0; i < 6; i++) buf[p + i] = (toServer ? 0x02 : 0x0a) + i;
  for (let i = 6; i < 12; i++) buf[p + i] = (toServer ? 0x0a : 0x02) + i;
  p += 12;
  if (vlan) {
    view.setUint16(p, 0x8100);
    view.setUint16(p + 2, 100 + ((fh >>> 12) & 7));
    p += 4;
  }
  const v6 = kind >= 11 && kind !== 14;
  view.setUint16(p, v6 ? 0x86dd : 0x0800);
  p += 2;
  const proto = kind === 14 ? 1 : kind === 15 ? 58 : kind >= 9 && kind !== 11 && kind !== 12 ? 17 : 6;
  // most TCP segments carry timestamps (12 bytes of options), as on real links
  const tcpOpts = proto === 6 && (fh & 0x30000) !== 0 ? 12 : 0;
  const payload = proto === 6 ? tcpPayload(k, h) : proto === 17 ? 20 + (h % 1200) : 56;
  const l4 = proto === 6 ? 20 + tcpOpts : 8;
  // clients in 10.0.0.0/8 or 192.168.0.0/16, servers anywhere: words above and below 2^31 in
  // every position of a flow key (a value V8 first meets mid-capture deoptimizes what assumed less)
  const client = ((fh & 4) === 0 ? 0x0a000000 | (fh & 0xffffff) : 0xc0a80000 | (fh & 0xffff)) >>> 0;
  const server = mix(fh ^ 0x5bd1e995);
  const src = toServer ? client : server;
  const dst = toServer ? server : client;
  if (!v6) {
    view.setUint8(p, 0x45);
    view.setUint8(p + 1, 0);
    view.setUint16(p + 2, 20 + l4 + payload);
    view.setUint16(p + 4, n & 0xffff);
    view.setUint16(p + 6, 0x4000);
    view.setUint8(p + 8, 64);
    view.setUint8(p + 9, proto);
    view.setUint16(p + 10, 0);
    view.setUint32(p + 12, src);
    view.setUint32(p + 16, dst);
    p += 20;
  } else {
    view.setUint32(p, 0x60000000);
    view.setUint16(p + 4, l4 + payload);
    view.setUint8(p + 6, proto);
    view.setUint8(p + 7, 64);
    // clients in 2001:db8::/32 or a ULA (fdxx: a first word above 2^31), servers in global
    // unicast (2000::/3), fe80::/10 or the client's own prefix: endpoints' words differ from the
    // first, second or last word on, as on a real link, so every word's comparison in a flow
    // key's ordering gets type feedback
    const cPrefix = (fh & 0x40) === 0 ? 0x20010db8 : (0xfd000000 | ((fh >>> 8) & 0xffffff)) >>> 0;
    const sKind = (fh >>> 6) & 3;
    const sPrefix = sKind === 0 ? cPrefix : sKind === 1 ? 0xfe800000 : (0x20000000 | (server & 0x1fffffff)) >>> 0;
    for (const [o, a, toC] of [[8, src, toServer], [24, dst, !toServer]] as const) {
      view.setUint32(p + o, toC ? cPrefix : sPrefix);
      view.setUint32(p + o + 4, toC ? fh : mix(fh ^ 0x2545f491));
      view.setUint32(p + o + 8, toC ? 0 : mix(fh + 0x3c6ef372));
      view.setUint32(p + o + 12, a);
    }
    p += 40;
  }
  const cport = 1024 + (mix(fh + 7) % 64511);
  const sport = proto === 17 ? (kind === 10 ? 53 : 443) : [80, 443, 22, 8080][(fh >>> 20) & 3];
  if (proto === 6) {
    view.setUint16(p, toServer ? cport : sport);
    view.setUint16(p + 2, toServer ? sport : cport);
    view.setUint32(p + 4, (mix(fh + (toServer ? 1 : 2)) + k * 1000) >>> 0);
    view.setUint32(p + 8, (mix(fh + (toServer ? 2 : 1)) + k * 1000) >>> 0);
    view.setUint8(p + 12, (5 + tcpOpts / 4) << 4);
    view.setUint8(p + 13, tcpFlags(k, ((fh >>> 24) & 3) === 0));
    view.setUint16(p + 14, 65535);
    view.setUint32(p + 16, 0);
    if (tcpOpts) {
      view.setUint32(p + 20, 0x0101080a);
      view.setUint32(p + 24, mix(n));
      view.setUint32(p + 28, mix(n + 1));
    }
  } else if (proto === 17) {
    view.setUint16(p, toServer ? cport : sport);
    view.setUint16(p + 2, toServer ? sport : cport);
    view.setUint16(p + 4, 8 + payload);
    view.setUint16(p + 6, 0);
  } else {
    // echo request / reply (ICMP 8/0, ICMPv6 128/129)
    view.setUint8(p, proto === 1 ? (toServer ? 8 : 0) : toServer ? 128 : 129);
    view.setUint8(p + 1, 0);
    view.setUint16(p + 2, 0);
    view.setUint16(p + 4, fh & 0xffff);
    view.setUint16(p + 6, k & 0xffff);
  }
  p += l4;
  buf.fill(0x61 + (n & 15), p, p + payload);
  p += payload;
  return p - at;
}

/** TCP packets of one connection (SYN to FIN); then the flow's 5-tuple starts a new one. */
const TCP_CYCLE = 8;

/** Payload of a TCP flow's k-th packet: none for the handshake and FIN, else 0-1400 bytes. */
function tcpPayload(k: number, h: number): number {
  const step = k % TCP_CYCLE;
  if (step < 3 || step === TCP_CYCLE - 1) return 0;
  // bulk data is mostly full-size segments, the rest acknowledgements and small requests
  const r = (h >>> 4) % 6;
  return r < 2 ? 0 : r < 4 ? 1448 - 12 : 1 + (h % 1400);
}

/**
 * SYN, SYN-ACK, ACK, data with PSH/ACK, then FIN-ACK, or RST-ACK in a quarter of the flows (real
 * links end many connections with a reset; the flow table's reset branch otherwise first runs
 * mid-capture); the cycle starts over (a new connection's SYN).
 */
function tcpFlags(k: number, reset: boolean): number {
  const step = k % TCP_CYCLE;
  if (step === 0) return 0x02;
  if (step === 1) return 0x12;
  if (step === TCP_CYCLE - 1) return reset ? 0x14 : 0x11;
  return step % 3 === 0 ? 0x18 : 0x10;
}

function writeArp(buf: Uint8Array, view: DataView, at: number, h: number): number {
  buf.fill(0xff, at, at + 6);
  for (let i = 6; i < 12; i++) buf[at + i] = 0x02 + i;
  view.setUint16(at + 12, 0x0806);
  const p = at + 14;
  view.setUint16(p, 1);
  view.setUint16(p + 2, 0x0800);
  view.setUint8(p + 4, 6);
  view.setUint8(p + 5, 4);
  view.setUint16(p + 6, 1);
  for (let i = 8; i < 14; i++) buf[p + i] = 0x02 + i;
  view.setUint32(p + 14, (0xc0a80000 | (h & 0xffff)) >>> 0);
  buf.fill(0, p + 18, p + 24);
  view.setUint32(p + 24, 0xc0a80001);
  buf.fill(0, p + 28, at + 60);
  return 14 + 28 + 18; // padded to the 60-byte minimum
}


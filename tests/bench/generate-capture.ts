/**
 * Deterministic synthetic pcap generator for the benchmarks.
 *
 *   node --import tsx tests/bench/generate-capture.ts --out FILE --size 2G [--seed N] [--flows N]
 *        [--duration SECONDS] [--start EPOCH_SECONDS] [--quiet]
 *
 * Traffic model (all randomness from a seeded PRNG, so a given seed/size/flows gives the same
 * bytes on every machine):
 * - Ethernet, ~25% of hosts behind 802.1Q tags, ~10% of flows IPv6.
 * - Flows arrive as a Poisson process; the simulation starts 10 minutes before the capture
 *   window so the capture opens in steady state (with flows already in progress, as real ones).
 * - TCP: 3-way handshake (or a refused SYN/RST), request/response exchanges separated by think
 *   times, responses cut into MSS segments paced at a per-flow rate, the receiver ACKing every
 *   second segment (capture point near the clients), FIN or RST teardown. TCP timestamps are on,
 *   so full frames are 1514 bytes (1518 tagged) and pure ACKs 66 bytes.
 * - UDP: DNS (real wire format), NTP, RTP voice calls (50 pps each way), QUIC-like bulk.
 * - ICMP/ICMPv6 echo request/reply series.
 * Each record is written once into a large reusable buffer; payload bytes come from a seeded
 * random pool, and L4 checksums use prefix sums over that pool, so all checksums are correct
 * at a fraction of the cost of summing every payload.
 *
 * Outputs FILE (written as FILE.partial and renamed when complete), FILE.flows.ndjson (every
 * flow that has at least one packet in the capture) and FILE.meta.json (parameters + stats).
 */
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { Rng } from './lib/prng.js';
import { formatIp, usToDecimal } from './lib/net.js';
import { formatBytes, parseSize } from './lib/size.js';

/** Bump when the output for a given seed/size/flows changes, so cached captures get rebuilt. */
export const GENERATOR_VERSION = 3;

export interface GenerateOptions {
  out: string;
  /** Target file size in bytes; the file ends at the last whole record that fits. */
  size: number;
  seed: number;
  /** Approximate number of flows starting within the capture window. */
  flows: number;
  durationSec: number;
  startEpochSec: number;
  quiet: boolean;
}

export interface GenerateStats {
  bytes: number;
  packets: number;
  flows: number;
  flowsByKind: Record<string, number>;
  ipv6Flows: number;
  vlanFlows: number;
  midstreamFlows: number;
  cutFlows: number;
  maxActiveFlows: number;
  firstTs: string;
  lastTs: string;
  elapsedMs: number;
  mbPerSec: number;
}

export interface CaptureMeta {
  generatorVersion: number;
  options: Omit<GenerateOptions, 'out' | 'quiet'>;
  stats: GenerateStats;
}

/** One line of FILE.flows.ndjson. */
export interface FlowRecord {
  id: number;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  protoNum: number;
  app: string;
  ipVersion: 4 | 6;
  vlan: number | null;
  clientIp: string;
  clientPort: number;
  serverIp: string;
  serverPort: number;
  /** Decimal epoch seconds (µs precision) of the first/last packet in the capture. */
  first: string;
  last: string;
  packets: number;
  bytes: number;
  packetsC2S: number;
  packetsS2C: number;
  /**
   * Longest gap between two consecutive packets of the flow, in seconds (ms precision). Long
   * idle keep-alive connections are common here; a flow table with an idle timeout splits them.
   */
  maxIdleSec: number;
  /** True when the flow started before the capture window (no handshake in the file). */
  midstream: boolean;
  /** How the flow ended: fin/rst (TCP), done (UDP/ICMP), cut (still active at end of file). */
  end: 'fin' | 'rst' | 'done' | 'cut';
}

export const DEFAULT_FLOWS_PER_GIB = 25_000; // ~50k flows for the 2G benchmark capture

export function defaultFlowCount(size: number): number {
  return Math.max(2000, Math.round((size / 1024 ** 3) * DEFAULT_FLOWS_PER_GIB));
}

// ---------------------------------------------------------------------------------------------
// Constants

const C2S = 0;
const S2C = 1;
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const OPT_NONE = 0; // 20-byte TCP header (RSTs)
const OPT_SYN = 1; // MSS, SACK_PERM, TS, NOP, WS: 40-byte header, as Linux sends
const OPT_TS = 2; // NOP, NOP, TS: 32-byte header
const TCP_OPT_LEN = [0, 20, 12];

const KIND_TCP = 0;
const KIND_INTERACTIVE = 1;
const KIND_DNS = 2;
const KIND_NTP = 3;
const KIND_ICMP = 4;
const KIND_UDP_BULK = 5;
const KIND_RTP = 6;
const KIND_NAMES = ['tcp', 'tcp-interactive', 'dns', 'ntp', 'icmp-echo', 'udp-bulk', 'rtp'];
/** Share of flows per kind (by count). */
const KIND_WEIGHTS = [0.5994, 0.015, 0.3, 0.02, 0.02, 0.045, 0.0006];
/** Share of file bytes given to bulk UDP; TCP gets what the small kinds leave. */
const UDP_BULK_BYTE_SHARE = 0.1;

const POOL_SIZE = 4 * 1024 * 1024;
const WARMUP_US = 600 * 1e6;
const BUF_SIZE = 8 * 1024 * 1024;
const SNAPLEN = 262144;
const LINKTYPE_ETHERNET = 1;
const MAX_RECORD = 16 + 18 + 40 + 60 + 1500; // generous upper bound of one record

// ---------------------------------------------------------------------------------------------
// Hosts

interface Client {
  v4: Uint8Array;
  v6: Uint8Array;
  mac: Uint8Array;
  vlan: number;
  nextPort: number;
  portsUsed: number;
  nextIcmpId: number;
}

interface Server {
  v4: Uint8Array;
  v6: Uint8Array;
  ttl: number;
}

const VLANS = [10, 20, 30, 100, 200];
const SERVER_V4_FIRST_OCTETS = [13, 23, 31, 34, 35, 44, 52, 54, 63, 64, 66, 69, 72, 74, 81, 85, 88, 91, 93, 104, 128, 130, 142, 151, 157, 185, 203, 204, 208, 216];
const SERVER_V6_PREFIXES = [
  [0x26, 0x06, 0x47, 0x00],
  [0x2a, 0x00, 0x14, 0x50],
  [0x2a, 0x03, 0x28, 0x80],
  [0x20, 0x01, 0x48, 0x60],
  [0x26, 0x00, 0x1f, 0x18],
];
const TCP_PORTS = [443, 80, 8080, 8443, 993, 445, 3306, 5432, 25, 587, 9000, 6379];
const TCP_PORT_WEIGHTS = [70, 12, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1];
const INTERACTIVE_PORTS = [22, 3389, 23];
const INTERACTIVE_PORT_WEIGHTS = [80, 15, 5];
const UDP_BULK_PORTS = [443, 51820, 5001];
const UDP_BULK_PORT_WEIGHTS = [60, 20, 20];

function macFor(kind: number, a: number, b: number): Uint8Array {
  // Locally administered unicast MACs (0x02 bit set).
  return Uint8Array.of(0x02, kind, (a >> 8) & 255, a & 255, (b >> 8) & 255, b & 255);
}

class Topology {
  readonly clients: Client[] = [];
  readonly servers: Server[] = [];
  readonly resolvers4: Uint8Array[];
  readonly resolvers6: Uint8Array[];
  readonly ntp4: Uint8Array[];
  readonly ntp6: Uint8Array[];
  readonly media4: Uint8Array[];
  readonly media6: Uint8Array[];
  /** Gateway MAC per VLAN (index in VLANS, or VLANS.length for untagged). */
  readonly routerMacs: Uint8Array[];

  constructor(r: Rng, nClients: number, nServers: number) {
    for (let i = 0; i < nClients; i++) {
      const tagged = r.chance(0.25);
      const vlanIdx = tagged ? r.int(VLANS.length) : VLANS.length;
      const subnet = vlanIdx * 16 + Math.floor(i / (254 * 256));
      const hi = Math.floor(i / 254) % 256;
      const lo = (i % 254) + 1;
      const v6 = new Uint8Array(16);
      v6.set([0x20, 0x01, 0x0d, 0xb8, 0x00, subnet & 255, 0x00, hi]);
      for (let k = 8; k < 16; k++) v6[k] = r.int(256); // privacy-style interface ids
      this.clients.push({
        v4: Uint8Array.of(10, subnet & 255, hi, lo),
        v6,
        mac: macFor(0x10, i & 0xffff, r.int(65536)),
        vlan: tagged ? VLANS[vlanIdx] : -1,
        nextPort: r.range(32768, 60999),
        portsUsed: 0,
        nextIcmpId: r.range(1, 65535),
      });
    }
    const seen = new Set<string>();
    while (this.servers.length < nServers) {
      const v4 = Uint8Array.of(r.pick(SERVER_V4_FIRST_OCTETS), r.int(256), r.int(256), r.range(1, 254));
      const key = formatIp(v4);
      if (seen.has(key)) continue;
      seen.add(key);
      const v6 = new Uint8Array(16);
      v6.set(r.pick(SERVER_V6_PREFIXES));
      for (let k = 4; k < 16; k++) v6[k] = k < 8 || r.chance(0.5) ? r.int(256) : 0;
      v6[15] |= 1;
      this.servers.push({ v4, v6, ttl: r.pick([52, 54, 56, 57, 58, 59, 114, 116, 117, 118, 243, 245]) });
    }
    this.resolvers4 = [Uint8Array.of(10, 255, 0, 53), Uint8Array.of(10, 255, 1, 53), Uint8Array.of(9, 9, 9, 9)];
    this.resolvers6 = [
      Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53),
      Uint8Array.of(0x26, 0x20, 0x00, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe),
    ];
    this.ntp4 = [Uint8Array.of(10, 255, 0, 123), Uint8Array.of(162, 159, 200, 1)];
    this.ntp6 = [Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23)];
    this.media4 = [Uint8Array.of(10, 255, 2, 10), Uint8Array.of(10, 255, 2, 11), Uint8Array.of(10, 255, 2, 12)];
    this.media6 = [Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x10)];
    this.routerMacs = [];
    for (let i = 0; i <= VLANS.length; i++) this.routerMacs.push(macFor(0xfe, i, 1));
  }

  routerMac(vlan: number): Uint8Array {
    const idx = VLANS.indexOf(vlan);
    return this.routerMacs[idx < 0 ? VLANS.length : idx];
  }

  /** A client with an unused ephemeral port; ports are never reused so 5-tuples are unique. */
  allocClient(r: Rng): { client: Client; port: number } {
    for (;;) {
      const client = this.clients[r.int(this.clients.length)];
      if (client.portsUsed >= 28000) continue;
      const port = client.nextPort;
      client.nextPort = port >= 60999 ? 32768 : port + 1;
      client.portsUsed++;
      return { client, port };
    }
  }

  /** Popular servers get most flows (a rough Zipf). */
  pickServer(r: Rng): Server {
    return this.servers[Math.floor(this.servers.length * Math.pow(r.float(), 2.5))];
  }
}

// ---------------------------------------------------------------------------------------------
// Payload pool with prefix sums of big-endian 16-bit words, for O(1) payload checksums.

// Allocated on first use: other modules import this one for its types and constants.
let POOL = new Uint8Array(0);
let POOL_PREFIX = new Float64Array(0);

function initPool(seed: number): void {
  POOL = new Uint8Array(POOL_SIZE);
  POOL_PREFIX = new Float64Array(POOL_SIZE / 2 + 1);
  const r = new Rng(seed, 0x5eed);
  const words = new Uint32Array(POOL.buffer, POOL.byteOffset, POOL_SIZE / 4);
  for (let i = 0; i < words.length; i++) words[i] = r.u32();
  let s = 0;
  for (let w = 0; w < POOL_SIZE / 2; w++) {
    POOL_PREFIX[w] = s;
    s += (POOL[2 * w] << 8) | POOL[2 * w + 1];
  }
  POOL_PREFIX[POOL_SIZE / 2] = s;
}

/** Sum of 16-bit words of POOL[off, off+len), off even; an odd tail byte is zero-padded. */
function poolSum(off: number, len: number): number {
  const w0 = off >>> 1;
  const nw = len >>> 1;
  let s = POOL_PREFIX[w0 + nw] - POOL_PREFIX[w0];
  if (len & 1) s += POOL[off + len - 1] << 8;
  return s;
}

function bufSum(b: Uint8Array, start: number, len: number): number {
  let s = 0;
  const end = start + (len & ~1);
  for (let i = start; i < end; i += 2) s += (b[i] << 8) | b[i + 1];
  if (len & 1) s += b[start + len - 1] << 8;
  return s;
}

function fold(s: number): number {
  // s stays far below 2^53; folding via division keeps it exact for values above 2^32.
  while (s > 0xffff) s = (s % 65536) + Math.floor(s / 65536);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Flows

type Script = Generator<undefined, void, unknown>;

class Flow {
  readonly rng: Rng;
  script: Script | null = null;
  // Static properties
  proto = 6;
  v6 = false;
  vlan = -1;
  vlanPrio = 0;
  cIp: Uint8Array = new Uint8Array(4);
  sIp: Uint8Array = new Uint8Array(4);
  cPort = 0;
  sPort = 0;
  cMac: Uint8Array = new Uint8Array(6);
  rMac: Uint8Array = new Uint8Array(6);
  mss = 1448;
  /** Sum of the address words + protocol: the constant part of the L4 pseudo-header sum. */
  pseudoSum = 0;
  ttl = [64, 64];
  ipId = [0, 0];
  flowLabel = [0, 0];
  // TCP state per direction
  seq = [0, 0];
  win = [502, 501];
  synWin = [64240, 65160];
  tsOff = [0, 0];
  lastTsval = [0, 0];
  wscale = [7, 9];
  icmpId = 0;
  /** Scratch payload prefix (DNS/NTP messages, RTP headers, ICMP echo data). */
  msg: Buffer = Buffer.alloc(0);
  // The planned next packet
  pTs = 0;
  pDir = 0;
  pFlags = 0;
  pLen = 0;
  pMsgLen = 0;
  pOpt = 0;
  pAux = 0;
  // Bookkeeping
  first = -1;
  last = -1;
  packets = 0;
  bytes = 0;
  packetsDir = [0, 0];
  maxIdle = 0;
  midstream = false;
  end: FlowRecord['end'] = 'cut';
  heapIdx = -1;

  constructor(
    readonly id: number,
    readonly kind: number,
    readonly start: number,
    seed: number,
  ) {
    this.rng = new Rng(seed, id + 1);
  }

  plan(ts: number, dir: number, flags: number, len: number, msgLen: number, opt: number): void {
    this.pTs = ts;
    this.pDir = dir;
    this.pFlags = flags;
    this.pLen = len;
    this.pMsgLen = msgLen;
    this.pOpt = opt;
  }

  /** 14/18-byte Ethernet(+VLAN) + IP header length; set once the flow is configured. */
  l23Len = 34;
  /** IPv4 header checksum sum of the fields that never change (all but length and id) per direction. */
  ipSum = [0, 0];
}

// --- Binary min-heap of flows by planned timestamp (ties by id, for determinism) ---------------

class FlowHeap {
  private readonly a: Flow[] = [];
  get size(): number {
    return this.a.length;
  }
  top(): Flow {
    return this.a[0];
  }
  items(): readonly Flow[] {
    return this.a;
  }
  private less(x: Flow, y: Flow): boolean {
    return x.pTs < y.pTs || (x.pTs === y.pTs && x.id < y.id);
  }
  push(f: Flow): void {
    this.a.push(f);
    this.up(this.a.length - 1);
  }
  pop(): void {
    const last = this.a.pop();
    if (last !== undefined && this.a.length > 0) {
      this.a[0] = last;
      this.down(0);
    }
  }
  /** Call after the top's key increased. */
  updateTop(): void {
    this.down(0);
  }
  private up(i: number): void {
    const a = this.a;
    const x = a[i];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, a[p])) break;
      a[i] = a[p];
      i = p;
    }
    a[i] = x;
  }
  private down(i: number): void {
    const a = this.a;
    const n = a.length;
    const x = a[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(a[c + 1], a[c])) c++;
      if (!this.less(a[c], x)) break;
      a[i] = a[c];
      i = c;
    }
    a[i] = x;
  }
}

// --- Per-kind parameters ----------------------------------------------------------------------

interface Calibration {
  /** Mean TCP payload budget per flow (bytes, server->client mostly). */
  tcpBudgetMean: number;
  udpBulkBudgetMean: number;
  /** Upper bound of one flow's budget, so small captures are not dominated by one flow. */
  budgetCap: number;
}

function calibrate(size: number, flows: number): Calibration {
  const perFlow = size / flows;
  // Rough file bytes per flow of the small kinds (record header + frame), see the scripts.
  const rtpMeanSec = 60 * Math.exp(0.8 ** 2 / 2);
  const other =
    KIND_WEIGHTS[KIND_DNS] * 230 +
    KIND_WEIGHTS[KIND_NTP] * 212 +
    KIND_WEIGHTS[KIND_ICMP] * 4900 +
    KIND_WEIGHTS[KIND_INTERACTIVE] * 45_000 +
    KIND_WEIGHTS[KIND_RTP] * rtpMeanSec * 100 * 230;
  const udpBulkFile = (UDP_BULK_BYTE_SHARE * perFlow) / KIND_WEIGHTS[KIND_UDP_BULK];
  const tcpFile = Math.max(4000, (perFlow * (1 - UDP_BULK_BYTE_SHARE) - other) / KIND_WEIGHTS[KIND_TCP]);
  // Overheads: headers, record headers, ACKs, handshake/teardown (~9% for TCP, ~8% for UDP).
  return {
    tcpBudgetMean: Math.max(2000, tcpFile / 1.09 - 600),
    udpBulkBudgetMean: Math.max(2000, udpBulkFile / 1.08),
    budgetCap: Math.min(size / 8, 1024 ** 3),
  };
}

/** Lognormal with the given mean (not median): median = mean / e^(sigma^2 / 2). */
function lognormalMean(r: Rng, mean: number, sigma: number): number {
  return r.lognormal(mean / Math.exp((sigma * sigma) / 2), sigma);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Inter-segment gap in µs for a frame of `bytes` at `mbps`; never below 100 µs so ACKs fit between. */
function segGap(bytes: number, mbps: number): number {
  return Math.max(100, Math.round((bytes * 8) / mbps));
}

// --- Scripts: each yields once per packet after planning it -----------------------------------

/**
 * `bytes` of data from `dir` in MSS-sized segments (occasionally a shorter one, as application
 * writes produce), paced `gapUs` apart; the other side ACKs every second segment and the last.
 */
function* tcpBurst(
  f: Flow,
  r: Rng,
  t0: number,
  dir: number,
  bytes: number,
  gapUs: number,
  headLen = 0,
): Generator<undefined, number, unknown> {
  let t = t0;
  let left = bytes;
  let n = 0;
  while (left > 0) {
    let seg = Math.min(left, f.mss);
    if (seg === f.mss && left > f.mss && r.chance(0.04)) seg = r.range(Math.max(200, headLen), f.mss - 1);
    left -= seg;
    if (n > 0) t += Math.max(1, Math.round(gapUs * (0.7 + 0.6 * r.float())));
    // The first segment starts with the f.msg head (HTTP headers), if any.
    f.plan(t, dir, left === 0 ? PSH | ACK : ACK, seg, n === 0 ? Math.min(headLen, seg) : 0, OPT_TS);
    yield;
    n++;
    if ((n & 1) === 0 || left === 0) {
      t += r.range(8, 60);
      f.plan(t, dir ^ 1, ACK, 0, 0, OPT_TS);
      yield;
    }
  }
  return t;
}

function* tcpHandshake(f: Flow, r: Rng, rttUs: number): Generator<undefined, number, unknown> {
  let t = f.start;
  f.plan(t, C2S, SYN, 0, 0, OPT_SYN);
  yield;
  t += rttUs;
  f.plan(t, S2C, SYN | ACK, 0, 0, OPT_SYN);
  yield;
  t += r.range(15, 150);
  f.plan(t, C2S, ACK, 0, 0, OPT_TS);
  yield;
  return t;
}

function* tcpTeardown(f: Flow, r: Rng, t0: number, rttUs: number, rstProb: number): Script {
  let t = t0;
  if (r.chance(rstProb)) {
    f.plan(t, r.chance(0.5) ? C2S : S2C, RST | ACK, 0, 0, OPT_NONE);
    yield;
    f.end = 'rst';
    return;
  }
  const closer = r.chance(0.6) ? C2S : S2C;
  f.plan(t, closer, FIN | ACK, 0, 0, OPT_TS);
  yield;
  // The capture point is near the client: a client FIN is answered one RTT later, a server
  // FIN is answered by the client right away and ACKed by the server one RTT after that.
  t += closer === C2S ? rttUs : r.range(50, 3000);
  f.plan(t, closer ^ 1, FIN | ACK, 0, 0, OPT_TS);
  yield;
  t += closer === C2S ? r.range(10, 80) : rttUs;
  f.plan(t, closer, ACK, 0, 0, OPT_TS);
  yield;
  f.end = 'fin';
}

const HTTP_PATHS = ['/', '/index.html', '/api/v1/items', '/static/app.js', '/img/logo.png', '/download/data.bin', '/update/manifest.json'];
const HTTP_AGENTS = ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'Wget/1.21.4', 'python-requests/2.31.0'];

/** Writes an ASCII header block into f.msg, padded to an even length with a header when a body follows. */
function writeHead(f: Flow, text: string, bodyFollows: boolean): number {
  let head = text;
  // Pool bytes must start word-aligned for the prefix-sum checksum: add a 7-byte header line.
  if (bodyFollows && (head.length & 1) === 1) head = `${head.slice(0, -2)}X: 12\r\n\r\n`;
  if (f.msg.length < head.length) f.msg = Buffer.alloc(1024);
  f.msg.write(head, 0, 'latin1');
  return head.length;
}

/** [total request bytes, header bytes] of a GET (body 0) or POST. */
function httpRequest(f: Flow, r: Rng, body: number): [number, number] {
  const host = `${formatIp(f.sIp).includes(':') ? `[${formatIp(f.sIp)}]` : formatIp(f.sIp)}`;
  const line = body > 0 ? `POST /upload/${r.int(100000)} HTTP/1.1` : `GET ${r.pick(HTTP_PATHS)} HTTP/1.1`;
  const extra = body > 0 ? `Content-Type: application/octet-stream\r\nContent-Length: ${body}\r\n` : '';
  const head = writeHead(f, `${line}\r\nHost: ${host}\r\nUser-Agent: ${r.pick(HTTP_AGENTS)}\r\nAccept: */*\r\n${extra}\r\n`, body > 0);
  return [head + body, head];
}

/** [total response bytes, header bytes]; the body is what is left of `bytes` after the headers. */
function httpResponse(f: Flow, bytes: number): [number, number] {
  const guess = 90; // header length without the digits of Content-Length
  const body = Math.max(0, bytes - guess);
  const status = body > 0 ? '200 OK' : '204 No Content';
  const head = writeHead(f, `HTTP/1.1 ${status}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body}\r\n\r\n`, body > 0);
  return [head + body, head];
}

function* tcpAppScript(f: Flow, r: Rng, cal: Calibration): Script {
  const rtt = Math.round(clamp(r.lognormal(30_000, 0.9), 500, 400_000));
  if (r.chance(0.01)) {
    // Refused connection: SYN answered by RST.
    f.plan(f.start, C2S, SYN, 0, 0, OPT_SYN);
    yield;
    f.plan(f.start + rtt, S2C, RST | ACK, 0, 0, OPT_NONE);
    yield;
    f.end = 'rst';
    return;
  }
  const durationUs = clamp(r.lognormal(200, 1.5), 0.05, 3600) * 1e6;
  const budget = Math.round(clamp(lognormalMean(r, cal.tcpBudgetMean, 2.0), 100, cal.budgetCap));
  // A few request/response exchanges (keep-alive) separated by idle time filling the duration.
  const exchanges = Math.round(clamp(r.lognormal(2.5, 1.0), 1, 100));
  const gapMean = durationUs / exchanges;
  const upload = r.chance(0.08);
  const http = f.sPort === 80 || f.sPort === 8080;
  const mbps = clamp(r.lognormal(25, 1.0), 2, 900);
  const gap = segGap(f.mss + 66, mbps);
  let t = yield* tcpHandshake(f, r, rtt);
  for (let i = 0; i < exchanges; i++) {
    t += i === 0 ? r.range(30, 3000) : Math.max(50_000, Math.round(r.exp(gapMean)));
    const share = Math.max(1, Math.round((budget / exchanges) * (0.25 + 1.5 * r.float())));
    let req = upload ? share : r.range(120, 900);
    let resp = upload ? r.range(60, 400) : share;
    let head = 0;
    if (http) {
      // Plain HTTP gets real headers so dissectors see HTTP, not garbage; bodies stay random.
      [req, head] = httpRequest(f, r, upload ? req : 0);
    }
    t = yield* tcpBurst(f, r, t, C2S, req, gap, head);
    t += rtt + Math.round(r.exp(upload ? 2000 : 8000));
    if (http) [resp, head] = httpResponse(f, upload ? 0 : resp);
    t = yield* tcpBurst(f, r, t, S2C, resp, gap, head);
  }
  t += 1000 + Math.round(r.exp(Math.min(gapMean, 30e6)));
  yield* tcpTeardown(f, r, t, rtt, 0.12);
}

function* tcpInteractiveScript(f: Flow, r: Rng): Script {
  const rtt = Math.round(clamp(r.lognormal(20_000, 0.8), 500, 300_000));
  const durationUs = clamp(r.lognormal(120, 1.0), 5, 3600) * 1e6;
  let t = yield* tcpHandshake(f, r, rtt);
  const end = t + durationUs;
  while (t < end) {
    t += 20_000 + Math.round(r.exp(3_000_000));
    t = yield* tcpBurst(f, r, t, C2S, r.range(36, 120), 200);
    t += rtt + r.range(100, 2000);
    t = yield* tcpBurst(f, r, t, S2C, r.chance(0.1) ? r.range(500, 6000) : r.range(36, 300), 150);
  }
  yield* tcpTeardown(f, r, t + 50_000, rtt, 0.05);
}

// DNS names: fixed label lists + seeded combinations.
const DNS_PREFIXES = ['www', 'api', 'cdn', 'static', 'img', 'login', 'auth', 'mail', 'edge', 'app', 'assets', 'telemetry', 'update', 'push', 'media'];
const DNS_SYLLABLES = ['ka', 'lo', 'mi', 'net', 'tra', 'vo', 'zen', 'pix', 'bit', 'cor', 'dat', 'fly', 'geo', 'hub', 'io', 'lux', 'nova', 'sky', 'tek', 'wave'];
const DNS_TLDS = ['com', 'net', 'org', 'io', 'de', 'co.uk', 'cloud'];

function buildDnsNames(r: Rng, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const word = r.pick(DNS_SYLLABLES) + r.pick(DNS_SYLLABLES) + (r.chance(0.3) ? String(r.int(100)) : '');
    const labels = [...(r.chance(0.8) ? [r.pick(DNS_PREFIXES)] : []), word, ...r.pick(DNS_TLDS).split('.')];
    const bytes: number[] = [];
    for (const l of labels) {
      bytes.push(l.length);
      for (let k = 0; k < l.length; k++) bytes.push(l.charCodeAt(k));
    }
    bytes.push(0);
    out.push(Uint8Array.from(bytes));
  }
  return out;
}

function* dnsScript(f: Flow, r: Rng, names: readonly Uint8Array[]): Script {
  const id = r.int(65536);
  const qname = names[Math.floor(names.length * Math.pow(r.float(), 2))];
  const qtype = r.pick([1, 1, 1, 28, 28, 65]);
  f.msg = Buffer.alloc(512);
  const m = f.msg;
  const writeQuestion = (flags: number, an: number): number => {
    m.writeUInt16BE(id, 0);
    m.writeUInt16BE(flags, 2);
    m.writeUInt16BE(1, 4);
    m.writeUInt16BE(an, 6);
    m.writeUInt32BE(0, 8);
    m.set(qname, 12);
    let p = 12 + qname.length;
    m.writeUInt16BE(qtype, p);
    m.writeUInt16BE(1, p + 2);
    return p + 4;
  };
  let t = f.start;
  const qlen = writeQuestion(0x0100, 0);
  f.plan(t, C2S, 0, qlen, qlen, 0);
  yield;
  if (r.chance(0.02)) {
    // Lost first query: the stub resolver retries after a second.
    t += 1_000_000;
    f.plan(t, C2S, 0, qlen, qlen, 0);
    yield;
  }
  if (r.chance(0.01)) {
    f.end = 'done'; // never answered
    return;
  }
  t += Math.round(clamp(r.lognormal(15_000, 1.0), 300, 900_000));
  const nx = r.chance(0.05);
  const an = nx || qtype === 65 ? 0 : r.range(1, 4);
  let p = writeQuestion(nx ? 0x8183 : 0x8180, an);
  for (let i = 0; i < an; i++) {
    m.writeUInt16BE(0xc00c, p);
    m.writeUInt16BE(qtype, p + 2);
    m.writeUInt16BE(1, p + 4);
    m.writeUInt32BE(r.range(30, 3600), p + 6);
    const rdlen = qtype === 28 ? 16 : 4;
    m.writeUInt16BE(rdlen, p + 10);
    for (let k = 0; k < rdlen; k++) m[p + 12 + k] = r.int(256);
    p += 12 + rdlen;
  }
  f.plan(t, S2C, 0, p, p, 0);
  yield;
  f.end = 'done';
}

function* ntpScript(f: Flow, r: Rng): Script {
  f.msg = Buffer.alloc(48);
  const m = f.msg;
  for (let i = 0; i < 48; i++) m[i] = r.int(256);
  m[0] = 0x23; // LI 0, version 4, mode 3 (client)
  m[1] = 0;
  f.plan(f.start, C2S, 0, 48, 48, 0);
  yield;
  m[0] = 0x24; // mode 4 (server)
  m[1] = 2;
  f.plan(f.start + Math.round(clamp(r.lognormal(20_000, 0.7), 500, 500_000)), S2C, 0, 48, 48, 0);
  yield;
  f.end = 'done';
}

function* icmpEchoScript(f: Flow, r: Rng): Script {
  f.msg = Buffer.alloc(56);
  for (let i = 8; i < 56; i++) f.msg[i] = 0x10 + i - 8; // iputils ping pattern
  const count = r.range(3, 40);
  const rtt = Math.round(clamp(r.lognormal(25_000, 0.8), 200, 800_000));
  let t = f.start;
  for (let seq = 1; seq <= count; seq++) {
    f.msg.writeUInt32LE(Math.floor(t / 1e6) >>> 0, 0);
    f.msg.writeUInt32LE(t % 1e6, 4);
    f.pAux = seq;
    f.plan(t, C2S, 0, 56, 56, 0);
    yield;
    if (!r.chance(0.02)) {
      f.plan(t + rtt + r.range(0, 2000), S2C, 0, 56, 56, 0);
      yield;
    }
    t += 1_000_000 + r.range(0, 3000);
  }
  f.end = 'done';
}

function* udpBulkScript(f: Flow, r: Rng, cal: Calibration): Script {
  const durationUs = clamp(r.lognormal(40, 1.3), 0.5, 3600) * 1e6;
  const budget = Math.round(clamp(lognormalMean(r, cal.udpBulkBudgetMean, 1.6), 2000, cal.budgetCap));
  const exchanges = Math.round(clamp(durationUs / 1e6 / r.lognormal(6, 0.8), 1, 300));
  const gapMean = durationUs / exchanges;
  const rtt = Math.round(clamp(r.lognormal(30_000, 0.9), 500, 400_000));
  const mbps = clamp(r.lognormal(30, 1.0), 2, 900);
  const gap = segGap(1400, mbps);
  f.msg = Buffer.alloc(2);
  let t = f.start;
  for (let i = 0; i < exchanges; i++) {
    if (i > 0) t += Math.max(20_000, Math.round(r.exp(gapMean)));
    f.plan(t, C2S, 0, i === 0 ? r.range(1200, 1350) : r.range(40, 300), 0, 0);
    yield;
    t += rtt;
    let left = Math.max(1, Math.round((budget / exchanges) * (0.25 + 1.5 * r.float())));
    let n = 0;
    while (left > 0) {
      const len = Math.min(left, r.range(1200, 1350));
      left -= len;
      if (n > 0) t += Math.max(1, Math.round(gap * (0.7 + 0.6 * r.float())));
      f.plan(t, S2C, 0, len, 0, 0);
      yield;
      if ((++n & 1) === 0 || left === 0) {
        t += r.range(8, 60);
        f.plan(t, C2S, 0, r.range(30, 60), 0, 0);
        yield;
      }
    }
  }
  f.end = 'done';
}

function* rtpScript(f: Flow, r: Rng): Script {
  const packets = Math.round(clamp(r.lognormal(60, 0.8), 3, 3600) * 50);
  const offset = r.range(3000, 12000);
  const ssrc = [r.u32(), r.u32()];
  const seq = [r.int(65536), r.int(65536)];
  const ts = [r.u32(), r.u32()];
  f.msg = Buffer.alloc(12);
  const m = f.msg;
  let t = f.start;
  for (let i = 0; i < packets; i++) {
    const base = f.start + i * 20_000;
    for (const dir of [C2S, S2C]) {
      t = Math.max(t + 1, base + (dir === S2C ? offset : 0) + r.range(0, 1500));
      m[0] = 0x80;
      m[1] = i === 0 ? 0x80 : 0x00; // marker on the first packet, PT 0 (PCMU)
      m.writeUInt16BE(seq[dir], 2);
      m.writeUInt32BE(ts[dir], 4);
      m.writeUInt32BE(ssrc[dir], 8);
      seq[dir] = (seq[dir] + 1) & 0xffff;
      ts[dir] = (ts[dir] + 160) >>> 0;
      f.plan(t, dir, 0, 172, 12, 0);
      yield;
    }
  }
  f.end = 'done';
}

// ---------------------------------------------------------------------------------------------
// Frame encoding

function l4HeaderLen(f: Flow): number {
  return f.proto === 6 ? 20 + TCP_OPT_LEN[f.pOpt] : 8;
}

function frameLength(f: Flow): number {
  return f.l23Len + l4HeaderLen(f) + f.pLen;
}

function tsval(f: Flow, dir: number, ts: number): number {
  return (f.tsOff[dir] + Math.floor(ts / 1000)) >>> 0;
}

function put16(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 8) & 255;
  b[p + 1] = v & 255;
}

function put32(b: Uint8Array, p: number, v: number): void {
  b[p] = (v >>> 24) & 255;
  b[p + 1] = (v >>> 16) & 255;
  b[p + 2] = (v >>> 8) & 255;
  b[p + 3] = v & 255;
}

/** Writes the frame of f's planned packet at b[p]; returns its length. Reads state, does not advance it. */
function writeFrame(f: Flow, b: Buffer, out8: Uint8Array, p: number, ts: number): number {
  const start = p;
  const dir = f.pDir;
  const srcMac = dir === C2S ? f.cMac : f.rMac;
  const dstMac = dir === C2S ? f.rMac : f.cMac;
  for (let i = 0; i < 6; i++) {
    b[p + i] = dstMac[i];
    b[p + 6 + i] = srcMac[i];
  }
  p += 12;
  if (f.vlan >= 0) {
    b[p] = 0x81;
    b[p + 1] = 0x00;
    put16(b, p + 2, (f.vlanPrio << 13) | f.vlan);
    p += 4;
  }
  const src = dir === C2S ? f.cIp : f.sIp;
  const dst = dir === C2S ? f.sIp : f.cIp;
  const l4Len = l4HeaderLen(f) + f.pLen;
  const ipProto = f.proto;
  if (!f.v6) {
    b[p] = 0x08;
    b[p + 1] = 0x00;
    p += 2;
    const ip = p;
    b[ip] = 0x45;
    b[ip + 1] = 0;
    put16(b, ip + 2, 20 + l4Len);
    put16(b, ip + 4, f.ipId[dir]);
    put16(b, ip + 6, ipProto === 6 ? 0x4000 : 0); // DF on TCP, as Linux does
    b[ip + 8] = f.ttl[dir];
    b[ip + 9] = ipProto;
    b[ip + 10] = 0;
    b[ip + 11] = 0;
    for (let i = 0; i < 4; i++) {
      b[ip + 12 + i] = src[i];
      b[ip + 16 + i] = dst[i];
    }
    put16(b, ip + 10, ~fold(f.ipSum[dir] + 20 + l4Len + f.ipId[dir]) & 0xffff);
    p += 20;
  } else {
    b[p] = 0x86;
    b[p + 1] = 0xdd;
    p += 2;
    const ip = p;
    put32(b, ip, (0x60000000 | f.flowLabel[dir]) >>> 0);
    put16(b, ip + 4, l4Len);
    b[ip + 6] = ipProto;
    b[ip + 7] = f.ttl[dir];
    for (let i = 0; i < 16; i++) {
      b[ip + 8 + i] = src[i];
      b[ip + 24 + i] = dst[i];
    }
    p += 40;
  }
  const l4 = p;
  let ckOff: number; // where the L4 checksum goes
  if (ipProto === 6) {
    const flags = f.pFlags;
    put16(b, l4, dir === C2S ? f.cPort : f.sPort);
    put16(b, l4 + 2, dir === C2S ? f.sPort : f.cPort);
    put32(b, l4 + 4, f.seq[dir]);
    put32(b, l4 + 8, flags & ACK ? f.seq[dir ^ 1] : 0);
    const hlen = 20 + TCP_OPT_LEN[f.pOpt];
    b[l4 + 12] = (hlen >> 2) << 4;
    b[l4 + 13] = flags;
    put16(b, l4 + 14, flags & SYN ? f.synWin[dir] : flags & RST ? 0 : f.win[dir]);
    b[l4 + 16] = 0;
    b[l4 + 17] = 0;
    b[l4 + 18] = 0;
    b[l4 + 19] = 0;
    let o = l4 + 20;
    if (f.pOpt === OPT_SYN) {
      b[o] = 2; b[o + 1] = 4; put16(b, o + 2, f.mss); // MSS
      b[o + 4] = 4; b[o + 5] = 2; // SACK permitted
      b[o + 6] = 8; b[o + 7] = 10; put32(b, o + 8, tsval(f, dir, ts)); put32(b, o + 12, flags & ACK ? f.lastTsval[dir ^ 1] : 0);
      b[o + 16] = 1; // NOP
      b[o + 17] = 3; b[o + 18] = 3; b[o + 19] = f.wscale[dir]; // window scale
      o += 20;
    } else if (f.pOpt === OPT_TS) {
      b[o] = 1; b[o + 1] = 1; b[o + 2] = 8; b[o + 3] = 10;
      put32(b, o + 4, tsval(f, dir, ts));
      put32(b, o + 8, f.lastTsval[dir ^ 1]);
      o += 12;
    }
    ckOff = l4 + 16;
    p = o;
  } else if (ipProto === 17) {
    put16(b, l4, dir === C2S ? f.cPort : f.sPort);
    put16(b, l4 + 2, dir === C2S ? f.sPort : f.cPort);
    put16(b, l4 + 4, l4Len);
    b[l4 + 6] = 0;
    b[l4 + 7] = 0;
    ckOff = l4 + 6;
    p = l4 + 8;
  } else {
    // ICMP / ICMPv6 echo request or reply
    b[l4] = f.v6 ? (dir === C2S ? 128 : 129) : dir === C2S ? 8 : 0;
    b[l4 + 1] = 0;
    b[l4 + 2] = 0;
    b[l4 + 3] = 0;
    put16(b, l4 + 4, f.icmpId);
    put16(b, l4 + 6, f.pAux);
    ckOff = l4 + 2;
    p = l4 + 8;
  }
  // Payload: a message prefix (even length when pool bytes follow), then pool bytes.
  const hdrLen = p - l4;
  let sum = bufSum(b, l4, hdrLen);
  const msgLen = f.pMsgLen;
  if (msgLen > 0) {
    f.msg.copy(b, p, 0, msgLen);
    sum += bufSum(f.msg, 0, msgLen);
    p += msgLen;
  }
  const poolLen = f.pLen - msgLen;
  if (poolLen > 0) {
    const off = (f.rng.u32() % ((POOL_SIZE - poolLen) >>> 1)) * 2;
    // Uint8Array.set is a plain memmove; Buffer.copy goes through more JS per call.
    out8.set(POOL.subarray(off, off + poolLen), p);
    sum += poolSum(off, poolLen);
    p += poolLen;
  }
  if (ipProto !== 1) sum += f.pseudoSum + l4Len; // ICMPv4 has no pseudo-header
  let ck = ~fold(sum) & 0xffff;
  if (ck === 0 && ipProto === 17) ck = 0xffff; // 0 means "no checksum" in UDP
  put16(b, ckOff, ck);
  return p - start;
}

/** Advances per-direction state after f's planned packet (written or not). */
function advanceState(f: Flow, ts: number): void {
  const d = f.pDir;
  f.ipId[d] = (f.ipId[d] + 1) & 0xffff;
  if (f.proto === 6) {
    const flags = f.pFlags;
    let adv = f.pLen;
    if (flags & SYN) adv++;
    if (flags & FIN) adv++;
    f.seq[d] = (f.seq[d] + adv) >>> 0;
    if (f.pOpt !== OPT_NONE) f.lastTsval[d] = tsval(f, d, ts);
  }
}

// ---------------------------------------------------------------------------------------------
// Generator

function sumAddressWords(a: Uint8Array, b: Uint8Array): number {
  return bufSum(a, 0, a.length) + bufSum(b, 0, b.length);
}

export async function generateCapture(opts: GenerateOptions): Promise<GenerateStats> {
  const t0 = performance.now();
  const log = (s: string): void => {
    if (!opts.quiet) process.stderr.write(`${s}\n`);
  };
  initPool(opts.seed);
  const g = new Rng(opts.seed, 0);
  const cal = calibrate(opts.size, opts.flows);
  const topo = new Topology(g, Math.max(256, Math.round(opts.flows / 20)), Math.max(64, Math.round(opts.flows / 60)));
  const names = buildDnsNames(g, 3000);
  const captureStart = opts.startEpochSec * 1e6;
  const arrivalMeanUs = (opts.durationSec * 1e6) / opts.flows;

  const tmp = `${opts.out}.partial`;
  const fh = await open(tmp, 'w');
  const flowsPath = `${opts.out}.flows.ndjson`;
  const flowsOut: WriteStream = createWriteStream(`${flowsPath}.partial`);
  let flowLines: string[] = [];
  let flowLineBytes = 0;

  let buf = Buffer.alloc(BUF_SIZE);
  let spare = Buffer.alloc(BUF_SIZE);
  let buf8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  let pos = 0;
  let written = 0;
  let pending: Promise<unknown> | null = null;
  const flush = async (): Promise<void> => {
    const chunk = buf.subarray(0, pos);
    if (pending) await pending;
    pending = fh.write(chunk, 0, chunk.length, null);
    written += pos;
    const t = buf;
    buf = spare;
    spare = t;
    buf8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    pos = 0;
  };

  const header = encodePcapGlobalHeader({ linkType: LINKTYPE_ETHERNET, snapLen: SNAPLEN, nanosecond: false });
  buf.set(header, 0);
  pos = header.length;

  const stats = {
    packets: 0,
    flows: 0,
    flowsByKind: {} as Record<string, number>,
    ipv6Flows: 0,
    vlanFlows: 0,
    midstreamFlows: 0,
    cutFlows: 0,
    maxActiveFlows: 0,
  };
  let active = 0;
  let firstTs = -1;
  let lastTs = -1;
  let nextProgress = 256 * 1024 * 1024;

  const finish = (f: Flow): void => {
    if (f.packets === 0) return;
    active--;
    stats.flows++;
    const kindName = KIND_NAMES[f.kind];
    stats.flowsByKind[kindName] = (stats.flowsByKind[kindName] ?? 0) + 1;
    if (f.v6) stats.ipv6Flows++;
    if (f.vlan >= 0) stats.vlanFlows++;
    if (f.midstream) stats.midstreamFlows++;
    if (f.end === 'cut') stats.cutFlows++;
    const rec: FlowRecord = {
      id: f.id,
      proto: f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : f.proto === 1 ? 'icmp' : 'icmpv6',
      protoNum: f.proto,
      app: kindName,
      ipVersion: f.v6 ? 6 : 4,
      vlan: f.vlan >= 0 ? f.vlan : null,
      clientIp: formatIp(f.cIp),
      clientPort: f.cPort,
      serverIp: formatIp(f.sIp),
      serverPort: f.sPort,
      first: usToDecimal(f.first),
      last: usToDecimal(f.last),
      packets: f.packets,
      bytes: f.bytes,
      packetsC2S: f.packetsDir[C2S],
      packetsS2C: f.packetsDir[S2C],
      maxIdleSec: Math.round(f.maxIdle / 1000) / 1000,
      midstream: f.midstream,
      end: f.end,
    };
    const line = `${JSON.stringify(rec)}\n`;
    flowLines.push(line);
    flowLineBytes += line.length;
    if (flowLineBytes > 1 << 20) {
      flowsOut.write(flowLines.join(''));
      flowLines = [];
      flowLineBytes = 0;
    }
  };

  let nextId = 0;
  const spawn = (startUs: number): Flow | null => {
    const kind = g.weighted(KIND_WEIGHTS);
    const f = new Flow(nextId++, kind, Math.round(startUs), opts.seed);
    const r = f.rng;
    const { client, port } = topo.allocClient(g);
    f.v6 = kind === KIND_RTP ? g.chance(0.05) : g.chance(0.1);
    f.vlan = client.vlan;
    f.vlanPrio = kind === KIND_RTP ? 5 : 0;
    f.cMac = client.mac;
    f.rMac = topo.routerMac(client.vlan);
    f.cIp = f.v6 ? client.v6 : client.v4;
    f.cPort = port;
    f.mss = f.v6 ? 1428 : 1448;
    f.ttl = [64, 64];
    f.ipId = [r.int(65536), r.int(65536)];
    f.flowLabel = [r.int(1 << 20), r.int(1 << 20)];
    f.seq = [r.u32(), r.u32()];
    f.tsOff = [r.u32(), r.u32()];
    f.win = [r.range(400, 2000), r.range(235, 1000)];
    let sIp: Uint8Array;
    switch (kind) {
      case KIND_TCP:
      case KIND_INTERACTIVE: {
        const s = topo.pickServer(g);
        sIp = f.v6 ? s.v6 : s.v4;
        f.ttl[S2C] = s.ttl;
        f.proto = 6;
        f.sPort = kind === KIND_TCP ? TCP_PORTS[g.weighted(TCP_PORT_WEIGHTS)] : INTERACTIVE_PORTS[g.weighted(INTERACTIVE_PORT_WEIGHTS)];
        break;
      }
      case KIND_DNS:
        sIp = f.v6 ? g.pick(topo.resolvers6) : g.pick(topo.resolvers4);
        f.ttl[S2C] = 63;
        f.proto = 17;
        f.sPort = 53;
        break;
      case KIND_NTP:
        sIp = f.v6 ? g.pick(topo.ntp6) : g.pick(topo.ntp4);
        f.ttl[S2C] = 55;
        f.proto = 17;
        f.sPort = 123;
        break;
      case KIND_ICMP: {
        const s = topo.pickServer(g);
        sIp = f.v6 ? s.v6 : s.v4;
        f.ttl[S2C] = s.ttl;
        f.proto = f.v6 ? 58 : 1;
        f.icmpId = client.nextIcmpId;
        client.nextIcmpId = (client.nextIcmpId % 65535) + 1;
        // ICMP has no ports; give the sidecar zeros, not the allocated ephemeral port.
        f.cPort = 0;
        f.sPort = 0;
        break;
      }
      case KIND_UDP_BULK: {
        const s = topo.pickServer(g);
        sIp = f.v6 ? s.v6 : s.v4;
        f.ttl[S2C] = s.ttl;
        f.proto = 17;
        f.sPort = UDP_BULK_PORTS[g.weighted(UDP_BULK_PORT_WEIGHTS)];
        break;
      }
      default:
        sIp = f.v6 ? g.pick(topo.media6) : g.pick(topo.media4);
        f.ttl[S2C] = 63;
        f.proto = 17;
        f.sPort = 10000 + 2 * g.int(5000);
        break;
    }
    f.sIp = sIp;
    f.pseudoSum = sumAddressWords(f.cIp, f.sIp) + f.proto;
    f.l23Len = (f.vlan >= 0 ? 18 : 14) + (f.v6 ? 40 : 20);
    for (const d of [C2S, S2C]) {
      // 0x4500 + flags/fragment + ttl/proto + addresses; length and id are added per packet.
      f.ipSum[d] = 0x4500 + (f.proto === 6 ? 0x4000 : 0) + ((f.ttl[d] << 8) | f.proto) + f.pseudoSum - f.proto;
    }
    switch (kind) {
      case KIND_TCP:
        f.script = tcpAppScript(f, r, cal);
        break;
      case KIND_INTERACTIVE:
        f.script = tcpInteractiveScript(f, r);
        break;
      case KIND_DNS:
        f.script = dnsScript(f, r, names);
        break;
      case KIND_NTP:
        f.script = ntpScript(f, r);
        break;
      case KIND_ICMP:
        f.script = icmpEchoScript(f, r);
        break;
      case KIND_UDP_BULK:
        f.script = udpBulkScript(f, r, cal);
        break;
      default:
        f.script = rtpScript(f, r);
        break;
    }
    if (f.script.next().done === true) return null;
    return f;
  };

  const heap = new FlowHeap();
  let nextArrival = captureStart - WARMUP_US + g.exp(arrivalMeanUs);

  for (;;) {
    // Admit every flow that starts before the earliest planned packet.
    while (heap.size === 0 || nextArrival <= heap.top().pTs) {
      const f = spawn(nextArrival);
      if (f) heap.push(f);
      nextArrival += g.exp(arrivalMeanUs);
    }
    const f = heap.top();
    let ts = f.pTs;
    if (ts >= captureStart) {
      if (ts <= lastTs) ts = lastTs + 1; // strictly increasing timestamps
      const frameLen = frameLength(f);
      const recLen = 16 + frameLen;
      if (written + pos + recLen > opts.size) break;
      if (pos + MAX_RECORD > BUF_SIZE) {
        await flush();
        if (written >= nextProgress) {
          const el = performance.now() - t0;
          log(`  generated ${formatBytes(written)} (${(written / 1e6 / (el / 1000)).toFixed(0)} MB/s)`);
          nextProgress += 256 * 1024 * 1024;
        }
      }
      const sec = Math.floor(ts / 1e6);
      writePcapRecordHeader(buf, pos, sec, ts - sec * 1e6, frameLen, frameLen);
      const n = writeFrame(f, buf, buf8, pos + 16, ts);
      if (n !== frameLen) throw new Error(`internal: frame length ${n} != ${frameLen} (flow ${f.id})`);
      pos += recLen;
      lastTs = ts;
      if (firstTs < 0) firstTs = ts;
      stats.packets++;
      if (f.packets === 0) {
        f.first = ts;
        f.midstream = f.start < captureStart;
        if (++active > stats.maxActiveFlows) stats.maxActiveFlows = active;
      }
      if (f.packets > 0 && ts - f.last > f.maxIdle) f.maxIdle = ts - f.last;
      f.last = ts;
      f.packets++;
      f.packetsDir[f.pDir]++;
      f.bytes += frameLen;
    }
    advanceState(f, ts);
    const script = f.script;
    const planned = f.pTs;
    if (script === null || script.next().done === true) {
      heap.pop();
      finish(f);
    } else {
      // The heap only sifts down: a script must never plan earlier than its previous packet.
      if (f.pTs < planned) throw new Error(`internal: flow ${f.id} (${KIND_NAMES[f.kind]}) went back in time`);
      heap.updateTop();
    }
  }
  // Flows still running when the file is full end "cut"; list them in time order of their id.
  for (const f of [...heap.items()].sort((a, b) => a.id - b.id)) finish(f);

  await flush();
  if (pending) await pending;
  await fh.close();
  flowsOut.write(flowLines.join(''));
  await new Promise<void>((resolve, reject) => {
    flowsOut.on('error', reject);
    flowsOut.end(() => resolve());
  });
  await rename(tmp, opts.out);
  await rename(`${flowsPath}.partial`, flowsPath);

  const elapsedMs = performance.now() - t0;
  const result: GenerateStats = {
    bytes: written,
    ...stats,
    firstTs: usToDecimal(firstTs),
    lastTs: usToDecimal(lastTs),
    elapsedMs: Math.round(elapsedMs),
    mbPerSec: Math.round((written / 1e6 / (elapsedMs / 1000)) * 10) / 10,
  };
  const meta: CaptureMeta = {
    generatorVersion: GENERATOR_VERSION,
    options: {
      size: opts.size,
      seed: opts.seed,
      flows: opts.flows,
      durationSec: opts.durationSec,
      startEpochSec: opts.startEpochSec,
    },
    stats: result,
  };
  await writeFile(`${opts.out}.meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// CLI

function parseArgs(argv: readonly string[]): GenerateOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const out = get('--out');
  const sizeText = get('--size');
  if (!out || !sizeText) {
    throw new Error('usage: generate-capture.ts --out FILE --size 2G [--seed N] [--flows N] [--duration SEC] [--start EPOCH] [--quiet]');
  }
  const size = parseSize(sizeText);
  const int = (name: string, dflt: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
    return n;
  };
  return {
    out,
    size,
    seed: int('--seed', 1),
    flows: Math.max(1, int('--flows', defaultFlowCount(size))),
    durationSec: Math.max(1, int('--duration', 3600)),
    startEpochSec: int('--start', 1_700_000_000),
    quiet: argv.includes('--quiet'),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.quiet) {
    process.stderr.write(`generating ${opts.out}: ${formatBytes(opts.size)}, seed ${opts.seed}, ~${opts.flows} flows over ${opts.durationSec}s\n`);
  }
  try {
    const s = await generateCapture(opts);
    process.stdout.write(`${JSON.stringify(s)}\n`);
  } catch (e) {
    await rm(`${opts.out}.partial`, { force: true });
    throw e;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

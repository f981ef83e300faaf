/**
 * Runs a RuleSet over one flow: packet rules on each packet's payload, HTTP rules on each
 * request and response, DNS rules on each query, TLS rules on each ClientHello. Keeps the flow's
 * state (established, flowbits) and reports matches through onAlert. A rule alerts at most once
 * per packet, per HTTP transaction side, per DNS query name or per ClientHello. Environment-free:
 * the store walk (node/rules) and, later, the live pipeline feed it.
 */
import type { AppLayerHandlers } from '../discovery/app-layer.js';
import type { DnsMessage } from '../discovery/dns-message.js';
import type { HttpRequest, HttpResponse, PacketRef } from '../discovery/http-transactions.js';
import type { ClientHello } from '../discovery/tls-handshake.js';
import { ipToString } from '../packet/ip-address.js';
import type { Direction, StreamChunk } from '../reassembly/stream-types.js';
import type { ByteVars } from './byte-keywords.js';
import { applyFlowint, fileChecksHold } from './file-flow-keywords.js';
import { httpEvents } from './http-events.js';
import { BufferText, matchBuffer } from './pattern-match.js';
import { SEAM_BYTES, type CompiledRule, type GroupKind, type InspectionKind, type RuleSet } from './rule-set.js';
import { BANNER_PROTOS, type BufferName, type Rule } from './rule-types.js';
import type { ThresholdState } from './threshold-state.js';
import { addressKey } from './net-list.js';

export interface DetectFlow {
  id: string;
  ipVersion: 4 | 6;
  /** IP protocol number. */
  proto: number;
  /** Address bytes (4 or 16 used). */
  client: Uint8Array;
  server: Uint8Array;
  clientPort: number;
  serverPort: number;
}

/** One file of the flow, as the carving module found it (file keywords inspect these). */
export interface DetectFile {
  /** Direction the file travelled (0 = client → server: an upload). */
  dir: Direction;
  /** The carver's protocol: http, smtp, pop3, imap, ftp-data, tftp. */
  protocol: string;
  name: string | null;
  /** libmagic's description (`file -b`), null when not computed. */
  magic: string | null;
  /** The first bytes of the content (file.data). */
  head: Uint8Array;
  size: number;
  md5: string;
  sha1: string;
  sha256: string;
  url: string | null;
  host: string | null;
  userAgent: string | null;
  method: string | null;
  ref: PacketRef;
}

export interface RuleHit {
  rule: Rule;
  /** Direction of the data that matched (0 = client → server). */
  dir: Direction;
  ref: PacketRef;
  inspection: InspectionKind;
  /** File inspections: the file's sha256 (two files may end in the same packet). */
  file?: string;
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMP6 = 58;
const SYN = 0x02;
const ACK = 0x10;

const enc = new TextEncoder();

export class FlowDetector implements AppLayerHandlers {
  private readonly bits = new Set<string>();
  private readonly ints = new Map<string, number>();
  private readonly byteVars: ByteVars = new Map();
  /** app-layer events of the transaction being inspected, and per transaction the rules that fired on them. */
  private events: ReadonlySet<string> = new Set();
  private readonly eventFired = new WeakMap<object, Set<number>>();
  private curTx: object | null = null;
  private curFile: DetectFile | null = null;
  private established = false;
  private readonly seenDir: [boolean, boolean] = [false, false];
  private readonly keys: [Uint8Array, Uint8Array];
  private readonly text: [string, string];
  private readonly cands: CompiledRule[] = [];
  private readonly buffers = new Map<BufferName, Uint8Array>();
  alerts = 0;
  private recognised: string | null = null;
  /** Stream inspection: chunks seen per direction, the last bytes of each, and per rule the
   * chunk number it last fired on (to keep seam matches from repeating a chunk's alert). */
  private readonly chunkNo: [number, number] = [0, 0];
  private readonly tail: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly firedAt: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
  private readonly hasStreamRules: boolean;
  private readonly hasSeamRules: boolean;

  /** False when no packet rule exists: the caller may skip decoding packets for us. */
  get wantsPackets(): boolean {
    return this.set.groups.packet.rules.length > 0;
  }

  constructor(
    private readonly set: RuleSet,
    private readonly flow: DetectFlow,
    /** null: every match alerts (the caller applies thresholds itself, e.g. in flow order). */
    private readonly thresholds: ThresholdState | null,
    private readonly onAlert: (hit: RuleHit) => void,
  ) {
    this.keys = [addressKey(flow.ipVersion, flow.client), addressKey(flow.ipVersion, flow.server)];
    this.hasStreamRules = flow.proto === TCP && set.groups.stream.rules.length > 0;
    this.hasSeamRules = this.hasStreamRules && set.groups.stream.rules.some((x) => x.seam);
    const n = flow.ipVersion === 6 ? 16 : 4;
    this.text = [ipToString(flow.ipVersion, flow.client.subarray(0, n)), ipToString(flow.ipVersion, flow.server.subarray(0, n))];
  }

  /** One packet of the flow (payload = transport payload, or the IP payload for other protocols). */
  packet(dir: Direction, payload: Uint8Array, tcpFlags: number, ref: PacketRef): void {
    const f = this.flow;
    if (f.proto === TCP) {
      if ((tcpFlags & ACK) !== 0 && (tcpFlags & SYN) === 0) this.established = true;
    } else {
      this.seenDir[dir] = true;
      if (this.seenDir[0] && this.seenDir[1]) this.established = true;
    }
    if (!this.set.groups[this.hasStreamRules ? 'packet-nonstream' : 'packet'].rules.length) return;
    this.buffers.clear();
    this.buffers.set('payload', payload);
    this.inspect('packet', dir, ref, payload.length, 'packet');
  }

  /**
   * Reassembled TCP data (each byte once, in order): stream rules run on the chunk, then on the
   * seam (the last SEAM_BYTES of the previous chunk + the first of this one) for matches split
   * across segments. A rule that fired on either chunk does not fire again on their seam.
   */
  streamData(c: StreamChunk): void {
    if (!this.hasStreamRules || !c.data.length) return;
    const dir = c.dir;
    const n = ++this.chunkNo[dir];
    const ref: PacketRef = { tsSec: c.tsSec, tsNsec: c.tsNsec, packet: c.packet };
    this.buffers.clear();
    this.buffers.set('payload', c.data);
    this.inspect('packet', dir, ref, -1, 'stream');
    const tail = c.gapBefore > 0 ? new Uint8Array(0) : this.tail[dir];
    if (tail.length && this.hasSeamRules) {
      const head = c.data.subarray(0, SEAM_BYTES);
      const seam = new Uint8Array(tail.length + head.length);
      seam.set(tail);
      seam.set(head, tail.length);
      this.buffers.clear();
      this.buffers.set('payload', seam);
      this.inspect('packet', dir, ref, -1, 'seam');
    }
    const keep = Math.min(SEAM_BYTES, c.data.length + tail.length);
    const next = new Uint8Array(keep);
    const fromChunk = Math.min(keep, c.data.length);
    next.set(tail.subarray(tail.length - (keep - fromChunk)), 0);
    next.set(c.data.subarray(c.data.length - fromChunk), keep - fromChunk);
    this.tail[dir] = next;
  }

  httpRequest(r: HttpRequest): void {
    const g = this.set.groups;
    if (!g['http-request'].rules.length && !g['http-response'].rules.length && !g['http-event'].rules.length) return;
    this.buffers.clear();
    this.requestBuffers(r);
    this.buffers.set('payload', r.rawHead);
    this.buffers.set('file.data', r.body);
    this.buffers.set('http.header', normalizedHeaders(r.head.headers, false));
    this.buffers.set('http.request_header', normalizedHeaders(r.head.headers, true));
    this.buffers.set('http.header.raw', rawHeaderLines(r.rawHead));
    this.inspect('http-request', 0, r.ref, -1);
    this.inspectEvents(r, null, r.ref);
  }

  httpResponse(r: HttpResponse): void {
    if (!this.set.groups['http-response'].rules.length && !this.set.groups['http-event'].rules.length) return;
    this.buffers.clear();
    if (r.request) this.requestBuffers(r.request);
    this.buffers.set('payload', r.rawHead);
    this.buffers.set('file.data', r.body);
    this.buffers.set('http.stat_code', enc.encode(String(r.head.status)));
    this.buffers.set('http.header', normalizedHeaders(r.head.headers, false));
    this.buffers.set('http.header.raw', rawHeaderLines(r.rawHead));
    this.inspect('http-response', 1, r.ref, -1);
    this.inspectEvents(r.request, r, r.ref);
  }

  /**
   * app-layer-event rules: once when the request is complete and again when its response is
   * (Suricata re-inspects a transaction as it progresses), alerting at most once per transaction.
   */
  private inspectEvents(req: HttpRequest | null, res: HttpResponse | null, ref: PacketRef): void {
    if (!this.set.groups['http-event'].rules.length) return;
    const ev = httpEvents(req, res);
    if (!ev.size) return;
    this.events = ev;
    // the buffers of the side just inspected stay set (app-event rules may also match content)
    this.curTx = req ?? res;
    this.inspect('http-event', req ? 0 : 1, ref, -1);
    this.events = new Set();
    this.curTx = null;
  }

  /** One file of the flow (after the flow's packets: flowbits set by its transactions hold). */
  file(f: DetectFile): void {
    if (!this.set.groups.file.rules.length) return;
    const b = this.buffers;
    b.clear();
    if (f.name !== null) b.set('file.name', latin1Bytes(f.name));
    if (f.magic !== null) b.set('file.magic', latin1Bytes(f.magic));
    b.set('file.data', f.head);
    if (f.protocol === 'http') {
      if (f.url !== null) b.set('http.uri', latin1Bytes(normalizeUri(pathOf(f.url))));
      if (f.host !== null) b.set('http.host', latin1Bytes(f.host.toLowerCase()));
      if (f.userAgent !== null) b.set('http.user_agent', latin1Bytes(f.userAgent));
      if (f.method !== null) b.set('http.method', latin1Bytes(f.method));
    }
    this.curFile = f;
    this.inspect('file', f.dir, f.ref, -1);
    this.curFile = null;
  }

  dns(m: DnsMessage, raw: Uint8Array, dir: Direction, ref: PacketRef): void {
    if (m.response || !this.set.groups.dns.rules.length) return;
    for (const q of m.questions) {
      this.buffers.clear();
      this.buffers.set('payload', raw);
      this.buffers.set('dns.query', enc.encode(q.name));
      this.inspect('dns', dir, ref, -1);
    }
  }

  clientHello(h: ClientHello, ref: PacketRef): void {
    if (!this.set.groups.tls.rules.length) return;
    this.buffers.clear();
    this.buffers.set('payload', h.raw);
    if (h.sni !== null) this.buffers.set('tls.sni', enc.encode(h.sni));
    this.inspect('tls', 0, ref, -1);
  }

  private requestBuffers(r: HttpRequest): void {
    const h = r.head;
    const b = this.buffers;
    b.set('http.method', enc.encode(h.method));
    b.set('http.uri.raw', latin1Bytes(h.target));
    b.set('http.uri', latin1Bytes(normalizeUri(h.target)));
    const host = h.headers.find((x) => x.name === 'host');
    if (host) b.set('http.host', latin1Bytes(host.value.toLowerCase()));
    const ua = h.headers.find((x) => x.name === 'user-agent');
    if (ua) b.set('http.user_agent', latin1Bytes(ua.value));
    const cookie = h.headers.filter((x) => x.name === 'cookie');
    if (cookie.length) b.set('http.cookie', latin1Bytes(cookie.map((c) => c.value).join('; ')));
    b.set('http.client_body', r.body);
  }

  private inspect(kind: InspectionKind, dir: Direction, ref: PacketRef, dsize: number, mode: 'packet' | 'stream' | 'seam' = 'packet'): void {
    if (this.set.needsStripped && !this.buffers.has('file.data.stripped')) {
      const fd = this.buffers.get('file.data');
      if (fd) this.buffers.set('file.data.stripped', stripWhitespace(fd));
    }
    // TCP flows with stream rules: packets see only the per-packet rules, chunks and seams only
    // the stream rules (each prefiltered by its own automaton)
    const group: GroupKind = mode !== 'packet' ? 'stream' : kind === 'packet' && this.hasStreamRules ? 'packet-nonstream' : kind;
    const cands = this.set.candidates(group, this.buffers, this.cands);
    if (!cands.length) return;
    const texts = new Map<BufferName, BufferText>();
    const fired = this.firedAt[dir];
    const chunk = this.chunkNo[dir];
    const txFired = kind === 'http-event' && this.curTx ? (this.eventFired.get(this.curTx) ?? new Set<number>()) : null;
    if (txFired && this.curTx) this.eventFired.set(this.curTx, txFired);
    for (const c of cands) {
      if (mode === 'seam' && (!c.seam || (fired.get(c.index) ?? -9) >= chunk - 1)) continue;
      const r = c.rule;
      // a transaction's events are inspected in the direction the rule asks for
      const rdir: Direction = kind === 'http-event' && r.flow?.dir != null ? r.flow.dir : dir;
      if (txFired?.has(c.index)) continue;
      if (kind === 'file' ? !this.fileHeaderMatches(r, rdir) : !this.headerMatches(r, rdir)) continue;
      if (r.flow && !r.flow.stateless) {
        if (r.flow.dir !== null && r.flow.dir !== rdir) continue;
        if (r.flow.established !== null && r.flow.established !== (kind === 'packet' ? this.established : true)) continue;
      }
      if (r.dsize && (dsize < 0 || !dsizeHolds(r.dsize.op, r.dsize.a, r.dsize.b, dsize))) continue;
      if (!this.bitsHold(r)) continue;
      if (kind === 'http-event' && !r.appEvents.every((e) => this.events.has(e.name) !== e.negated)) continue;
      if (kind === 'file' && (!this.curFile || !fileChecksHold(r.files, this.curFile))) continue;
      let ok = true;
      this.byteVars.clear();
      for (const [b, list] of c.byBuffer) {
        const bytes = this.buffers.get(b);
        if (!bytes) {
          // an absent buffer cannot satisfy a positive match; all-negated lists hold vacuously
          if (list.some((m) => !m.negated)) ok = false;
          if (!ok) break;
          continue;
        }
        let t = texts.get(b);
        if (!t) texts.set(b, (t = new BufferText(bytes)));
        if (!matchBuffer(list, t, this.byteVars)) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      if (!applyFlowint(r.flowint, this.ints, true)) continue;
      txFired?.add(c.index);
      this.applyBits(r);
      if (mode !== 'packet') fired.set(c.index, chunk);
      if (r.noalert) continue;
      const src = this.text[rdir];
      const dst = this.text[rdir === 0 ? 1 : 0];
      if (this.thresholds && !this.thresholds.allow(r, ref.tsSec, src, dst)) continue;
      this.alerts++;
      this.onAlert(kind === 'file' && this.curFile ? { rule: r, dir: rdir, ref, inspection: kind, file: this.curFile.sha256 } : { rule: r, dir: rdir, ref, inspection: kind });
    }
  }

  /** The flow's protocol as recognised from its first lines (FlowAppLayer), for ssh/ftp/smtp/… rules. */
  appProto(name: string): void {
    this.recognised = name;
  }

  /** File rules: the rule's protocol names the carver (ftp = ftp-data), tcp/ip any file. */
  private fileHeaderMatches(r: Rule, dir: Direction): boolean {
    const f = this.curFile;
    if (!f) return false;
    if (r.proto !== 'tcp' && r.proto !== 'ip' && (r.proto === 'ftp' ? 'ftp-data' : r.proto) !== f.protocol) return false;
    return this.addressesMatch(r, dir);
  }

  private headerMatches(r: Rule, dir: Direction): boolean {
    const p = this.flow.proto;
    if (BANNER_PROTOS.has(r.proto) && (p !== TCP || this.recognised !== r.proto)) return false;
    if (r.proto === 'tcp' && p !== TCP) return false;
    if (r.proto === 'udp' && p !== UDP) return false;
    if (r.proto === 'icmp' && p !== ICMP && p !== ICMP6) return false;
    return this.addressesMatch(r, dir);
  }

  private addressesMatch(r: Rule, dir: Direction): boolean {
    const p = this.flow.proto;
    const sk = this.keys[dir];
    const dk = this.keys[dir === 0 ? 1 : 0];
    const sp = dir === 0 ? this.flow.clientPort : this.flow.serverPort;
    const dp = dir === 0 ? this.flow.serverPort : this.flow.clientPort;
    const ports = p === TCP || p === UDP;
    const fwd = r.src.matches(sk) && r.dst.matches(dk) && (!ports || (r.srcPorts.matches(sp) && r.dstPorts.matches(dp)));
    if (fwd) return true;
    if (!r.bidirectional) return false;
    return r.src.matches(dk) && r.dst.matches(sk) && (!ports || (r.srcPorts.matches(dp) && r.dstPorts.matches(sp)));
  }

  private bitsHold(r: Rule): boolean {
    for (const f of r.flowbits) {
      if (f.op === 'isset') {
        if (f.any ? !f.names.some((n) => this.bits.has(n)) : !f.names.every((n) => this.bits.has(n))) return false;
      } else if (f.op === 'isnotset') {
        if (f.any ? !f.names.some((n) => !this.bits.has(n)) : f.names.some((n) => this.bits.has(n))) return false;
      }
    }
    return true;
  }

  private applyBits(r: Rule): void {
    for (const f of r.flowbits) {
      if (f.op === 'set') for (const n of f.names) this.bits.add(n);
      else if (f.op === 'unset') for (const n of f.names) this.bits.delete(n);
      else if (f.op === 'toggle') for (const n of f.names) this.bits.has(n) ? this.bits.delete(n) : this.bits.add(n);
    }
  }
}

function dsizeHolds(op: string, a: number, b: number, n: number): boolean {
  switch (op) {
    case '<':
      return n < a;
    case '>':
      return n > a;
    case '!':
      return n !== a;
    case '<>':
      return n > a && n < b;
    default:
      return n === a;
  }
}

/** strip_whitespace: every isspace() byte (space, \t \n \v \f \r) removed. */
function stripWhitespace(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(b.length);
  let n = 0;
  for (const c of b) if (c !== 0x20 && (c < 0x09 || c > 0x0d)) o[n++] = c;
  return o.subarray(0, n);
}

/** The path and query of a URL (carved records keep the absolute URL). */
function pathOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  const rest = m ? url.slice(m[0].length) : url;
  return rest || '/';
}

function latin1Bytes(s: string): Uint8Array {
  const o = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) o[i] = s.charCodeAt(i) & 0xff;
  return o;
}

/** http.uri: percent-decoding of unreserved characters and `/./`, `//` collapsed (a subset of
 * libhtp's normalisation; the raw target is http.uri.raw). */
export function normalizeUri(target: string): string {
  let s = target.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const c = parseInt(h, 16);
    return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e ? String.fromCharCode(c) : m;
  });
  const q = s.indexOf('?');
  let path = q < 0 ? s : s.slice(0, q);
  const rest = q < 0 ? '' : s.slice(q);
  path = path.replace(/\/{2,}/g, '/').replace(/\/(\.\/)+/g, '/');
  s = path + rest;
  return s;
}

/** http.header: "Name: value\r\n" per field (Suricata's normalised form), Cookie excluded as
 * Suricata does (it has its own buffer); http.request_header keeps every field. */
function normalizedHeaders(h: readonly { name: string; value: string }[], withCookie: boolean): Uint8Array {
  let s = '';
  for (const f of h) if (withCookie || f.name !== 'cookie') s += `${canonicalName(f.name)}: ${f.value}\r\n`;
  return latin1Bytes(s);
}

function canonicalName(n: string): string {
  return n.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/** http.header.raw: the header lines as sent (start line and final blank line removed). */
function rawHeaderLines(rawHead: Uint8Array): Uint8Array {
  let i = 0;
  while (i < rawHead.length && rawHead[i] !== 0x0a) i++;
  let end = rawHead.length;
  if (rawHead[end - 1] === 0x0a) end--;
  if (rawHead[end - 1] === 0x0d) end--;
  return rawHead.subarray(Math.min(i + 1, end), end);
}

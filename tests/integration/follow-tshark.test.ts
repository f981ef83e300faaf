/**
 * `tapline follow --format raw` against `tshark -q -z follow,<tcp|udp>,raw,<stream>` on real
 * captures of the shared corpus (tshark is run here; skipped with the reason when absent).
 *
 * What is compared, for each flow:
 *  - the header: "Follow: tcp,raw" (or udp), and the "Node 0"/"Node 1" lines. Tapline's Node 0 is
 *    the flow's client; tshark's is the sender of the stream's first packet. When they differ
 *    (capture starting with a server packet), the nodes are compared swapped, and so are the
 *    directions below. The "Filter:" line is not compared (ours names the flow id);
 *  - the bytes of each direction: the concatenation of all its lines' hex (tshark's gap markers
 *    "[N bytes missing in capture file]\0" included, which we print at the same places);
 *  - the sequence of direction changes: consecutive lines of one direction merged into a run, the
 *    list of runs (direction and byte count) must be equal. Line boundaries inside a run are not
 *    compared: tshark prints one line per packet, we print one per delivered chunk, and a segment
 *    that fills a hole may legitimately be cut differently.
 * The tshark stream index of a flow is found from its 5-tuple with
 * `tshark -T fields -e tcp.stream -e udp.stream -e ip.src …` (several streams on one 5-tuple are
 * paired with our flows in time order).
 *
 * The last test compares every TCP and UDP flow of every corpus capture: the only differences
 * allowed are the deliberate ones listed in DELIBERATE.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FlowKind } from '../../common/flow/flow-table.js';
import { flowStreamInfo } from '../../node/store/flow-stream.js';
import type { FoundFlow } from '../../node/store/store.js';
import { Store } from '../../node/store/store.js';
import { follow } from '../../electron/cli/follow-command.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../helpers/corpus.js';

const tsharkVersion = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const tsharkSkip = tsharkVersion.status === 0 ? undefined : 'tshark is not installed (needed as the follow-stream oracle)';
const skip = corpusSkipReason ?? tsharkSkip;

/** Flows where we differ from tshark on purpose (common/reassembly/README.md), by capture. */
const DELIBERATE: { capture: string; difference: RegExp; why: string }[] = [
  { capture: 'community-id-spec__combined.pcap', difference: /direction 1: \d+ vs \d+ bytes/, why: 'snaplen-cut segments: we print a gap marker for the cut bytes' },
  { capture: 'community-id-spec__tcp.pcap', difference: /direction 1: \d+ vs \d+ bytes/, why: 'snaplen-cut segments: we print a gap marker for the cut bytes' },
  { capture: 'zeek__tunnels_vxlan-encapsulated-http.pcap', difference: /nodes differ/, why: 'tshark names the VXLAN flow by its inner addresses; we keep the outer flow' },
];

/** Captures and protocols checked by default (flows of other protocols in them are ignored). */
const NAMED: { capture: string; proto: 'tcp' | 'udp'; why: string }[] = [
  { capture: 'zeek__http_get.pcap', proto: 'tcp', why: 'one HTTP GET, SYN to FIN' },
  { capture: 'zeek__http_pipelined-requests.pcap', proto: 'tcp', why: 'pipelined HTTP requests' },
  { capture: 'chrissanders__tcp_retransmissions.pcapng', proto: 'tcp', why: 'retransmissions' },
  { capture: 'zeek__smtp.pcap', proto: 'tcp', why: 'SMTP; out-of-order segment, retransmissions, ACKed-but-uncaptured data' },
  { capture: 'suricata-verify__bug-3616-smtp_input.pcap', proto: 'tcp', why: 'out-of-order segment and retransmissions' },
  { capture: 'tcpdump__dns_tcp.pcap', proto: 'tcp', why: 'DNS over TCP' },
  { capture: 'zeek__http_get-gzip.pcap', proto: 'tcp', why: 'retransmitted FIN' },
  { capture: 'zeek__ipv6-http-atomic-frag.pcap', proto: 'tcp', why: 'IPv6, spurious retransmission' },
  { capture: 'zeek__dns53.pcap', proto: 'udp', why: 'one DNS datagram' },
  { capture: 'tcpdump__quic_handshake.pcap', proto: 'udp', why: 'QUIC handshake datagrams' },
  { capture: 'zeek__ipv6-fragmented-dns.pcap', proto: 'udp', why: 'fragmented IPv6 DNS (reassembled like tshark)' },
];

interface FollowBlock {
  follow: string;
  filter: string;
  node0: string;
  node1: string;
  /** One per line: node 1 (tab-indented) or node 0, and the line's hex. */
  lines: { node: 0 | 1; hex: string }[];
}

/** Parses every "=====" block of tshark's (or our) raw follow output. */
function parseRawFollow(text: string): FollowBlock[] {
  const blocks: FollowBlock[] = [];
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    if (!rows[i].startsWith('=====') || !rows[i + 1]?.startsWith('Follow: ')) continue;
    const b: FollowBlock = { follow: rows[i + 1], filter: rows[i + 2], node0: rows[i + 3], node1: rows[i + 4], lines: [] };
    i += 5;
    for (; i < rows.length && !rows[i].startsWith('====='); i++) {
      const r = rows[i];
      b.lines.push(r.startsWith('\t') ? { node: 1, hex: r.slice(1) } : { node: 0, hex: r });
    }
    blocks.push(b);
  }
  return blocks;
}

interface Shape {
  bytes: [string, string];
  runs: string[];
}

/** Per-direction bytes and runs, with tshark's node numbers mapped to ours when `swap`. */
function shape(b: FollowBlock, swap: boolean): Shape {
  const bytes: [string[], string[]] = [[], []];
  const runs: { dir: number; len: number }[] = [];
  for (const l of b.lines) {
    const dir = swap ? 1 - l.node : l.node;
    bytes[dir].push(l.hex);
    const last = runs[runs.length - 1];
    if (last && last.dir === dir) last.len += l.hex.length / 2;
    else runs.push({ dir, len: l.hex.length / 2 });
  }
  return { bytes: [bytes[0].join(''), bytes[1].join('')], runs: runs.map((r) => `${r.dir}:${r.len}`) };
}

interface Tuple {
  proto: 'tcp' | 'udp';
  stream: number;
  key: string;
}

function endpointsKey(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}|${ap}`;
  const y = `${b}|${bp}`;
  return `${proto}/${x < y ? `${x}/${y}` : `${y}/${x}`}`;
}

/** tshark's stream indexes by 5-tuple, in order of first appearance. */
function tsharkStreams(file: string): Map<string, Tuple[]> {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-e', 'tcp.stream', '-e', 'udp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport'],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  const byKey = new Map<string, Tuple[]>();
  const seen = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    let f = line.split('\t');
    if (f.length < 10) continue;
    // Several values: a tunnel (VXLAN: the outer UDP flow is ours, the inner TCP is not) or an ICMP
    // error quoting a header. Keep the outer UDP values only.
    const layered = line.includes(',');
    if (layered) f = f.map((v) => v.split(',')[0]);
    const [tcpStream, udpStream, s4, s6, d4, d6, tsp, tdp, usp, udp] = f;
    const proto = tcpStream !== '' && !layered ? 'tcp' : udpStream !== '' ? 'udp' : null;
    if (!proto) continue;
    const stream = Number(proto === 'tcp' ? tcpStream : udpStream);
    if (seen.has(`${proto}${stream}`)) continue;
    seen.add(`${proto}${stream}`);
    const key = endpointsKey(proto, s4 || s6, Number(proto === 'tcp' ? tsp : usp), d4 || d6, Number(proto === 'tcp' ? tdp : udp));
    const list = byKey.get(key) ?? [];
    list.push({ proto, stream, key });
    byKey.set(key, list);
  }
  return byKey;
}

async function ourRaw(storeDir: string, id: string): Promise<string> {
  const parts: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  const errors: string[] = [];
  const code = await follow(storeDir, id, 'raw', undefined, out, (l) => errors.push(l));
  assert.equal(code, 0, errors.join('\n'));
  return Buffer.concat(parts).toString('latin1');
}

interface Pair {
  flow: FoundFlow;
  tuple: Tuple;
}

async function pairFlows(store: Store, file: string, only?: 'tcp' | 'udp'): Promise<{ pairs: Pair[]; unpaired: string[] }> {
  const streams = tsharkStreams(file);
  const flows = (await store.findFlows({})).filter((f) => f.record.kind === FlowKind.Ip && f.record.hasPorts && (f.record.proto === 6 || f.record.proto === 17));
  flows.sort((a, b) => a.record.firstSec - b.record.firstSec || a.record.firstNsec - b.record.firstNsec || a.record.index - b.record.index);
  const byKey = new Map<string, FoundFlow[]>();
  for (const f of flows) {
    const info = flowStreamInfo(f);
    if (only && info.protocol !== only) continue;
    const key = endpointsKey(info.protocol, info.client.ip, info.client.port, info.server.ip, info.server.port);
    const l = byKey.get(key) ?? [];
    l.push(f);
    byKey.set(key, l);
  }
  const pairs: Pair[] = [];
  const unpaired: string[] = [];
  for (const [key, fl] of byKey) {
    const ts = streams.get(key) ?? [];
    if (ts.length === 0) {
      // tshark sees no stream (e.g. a TCP datagram whose fragments never all arrived): ours must be empty too
      for (const f of fl) pairs.push({ flow: f, tuple: { proto: flowStreamInfo(f).protocol, stream: -1, key } });
      continue;
    }
    if (ts.length !== fl.length) {
      unpaired.push(`${key}: ${fl.length} flow(s), ${ts.length} tshark stream(s)`);
      continue;
    }
    fl.forEach((f, i) => pairs.push({ flow: f, tuple: ts[i] }));
  }
  return { pairs, unpaired };
}

function tsharkRaw(file: string, tuples: Tuple[]): Map<string, FollowBlock> {
  const args = ['-r', file, '-q'];
  for (const t of tuples) if (t.stream >= 0) args.push('-z', `follow,${t.proto},raw,${t.stream}`);
  const r = spawnSync('tshark', args, { encoding: 'latin1', maxBuffer: 1 << 30 });
  assert.equal(r.status, 0, `tshark failed on ${file}: ${r.stderr}`);
  const m = new Map<string, FollowBlock>();
  for (const b of parseRawFollow(r.stdout)) m.set(b.filter.replace('Filter: ', ''), b);
  return m;
}

const MARKER_HEX = /^5b(?:3[0-9])+206279746573206d697373696e6720696e20636170747572652066696c655d00$/;

/** Our lines without gap markers ("[N bytes missing in capture file]\0"). */
function withoutMarkers(b: FollowBlock): FollowBlock {
  return { ...b, lines: b.lines.filter((l) => !MARKER_HEX.test(l.hex)) };
}

/** null when equal under the comparison described at the top; else what differs. */
function compare(ours: FollowBlock, theirs: FollowBlock): string | null {
  if (ours.follow !== theirs.follow) return `"${ours.follow}" vs "${theirs.follow}"`;
  const swap = ours.node0 !== theirs.node0;
  if (swap && (ours.node0.slice(8) !== theirs.node1.slice(8) || ours.node1.slice(8) !== theirs.node0.slice(8))) {
    return `nodes differ: ${ours.node0} ${ours.node1} vs ${theirs.node0} ${theirs.node1}`;
  }
  if (!swap && ours.node1 !== theirs.node1) return `nodes differ: ${ours.node1} vs ${theirs.node1}`;
  const a = shape(ours, false);
  const b = shape(theirs, swap);
  for (const d of [0, 1]) {
    if (a.bytes[d] !== b.bytes[d]) {
      let i = 0;
      while (i < a.bytes[d].length && a.bytes[d][i] === b.bytes[d][i]) i++;
      return `direction ${d}: ${a.bytes[d].length / 2} vs ${b.bytes[d].length / 2} bytes, first difference at byte ${Math.floor(i / 2)}`;
    }
  }
  if (a.runs.join(' ') !== b.runs.join(' ')) return `direction runs differ:\n  ours   ${a.runs.join(' ')}\n  tshark ${b.runs.join(' ')}`;
  return null;
}

describe('follow raw output equals tshark follow on corpus flows', { skip }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-follow-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function check(capture: string, proto: 'tcp' | 'udp' | undefined, strict: boolean): Promise<{ equal: number; diffs: string[] }> {
    const file = capturePath(capture);
    const storeDir = join(dir, capture);
    const store = await Store.open(storeDir, { create: true });
    try {
      await store.import([file]);
      const { pairs, unpaired } = await pairFlows(store, file, proto);
      const theirs = tsharkRaw(file, pairs.map((p) => p.tuple));
      const diffs: string[] = unpaired.map((u) => `${capture}: not paired: ${u}`);
      let equal = 0;
      for (const p of pairs) {
        const ours = parseRawFollow(await ourRaw(storeDir, p.flow.id));
        assert.equal(ours.length, 1);
        if (p.tuple.stream < 0) {
          if (ours[0].lines.length === 0) equal++;
          else diffs.push(`${capture} flow ${p.flow.id}: tshark has no stream, we print ${ours[0].lines.length} lines`);
          continue;
        }
        const t = theirs.get(`${p.tuple.proto}.stream eq ${p.tuple.stream}`);
        assert.ok(t, `no tshark output for ${p.tuple.proto}.stream ${p.tuple.stream}`);
        const d = compare(ours[0], t);
        if (d === null) equal++;
        else diffs.push(`${capture} flow ${p.flow.id} (${p.tuple.proto}.stream eq ${p.tuple.stream}): ${d}`);
      }
      if (strict) {
        assert.deepEqual(diffs, []);
        assert.ok(pairs.length > 0, `no ${proto ?? ''} flow of ${capture} was compared`);
      }
      return { equal, diffs };
    } finally {
      await store.close();
    }
  }

  for (const n of NAMED) {
    test(`${n.capture} (${n.proto}: ${n.why})`, async () => {
      await check(n.capture, n.proto, true);
    });
  }

  /** tshark's and our full output in one mode, Filter lines removed. */
  async function bothOutputs(capture: string, proto: 'tcp' | 'udp', mode: 'ascii' | 'hex' | 'raw'): Promise<[string, string]> {
    const file = capturePath(capture);
    const storeDir = join(dir, `${capture}-${mode}`);
    const store = await Store.open(storeDir, { create: true });
    try {
      await store.import([file]);
      const { pairs } = await pairFlows(store, file, proto);
      assert.equal(pairs.length, 1, `${capture} should hold one ${proto} flow`);
      const p = pairs[0];
      const r = spawnSync('tshark', ['-r', file, '-q', '-z', `follow,${proto},${mode},${p.tuple.stream}`], { encoding: 'latin1', maxBuffer: 1 << 30 });
      const parts: Buffer[] = [];
      const out = new Writable({
        write(chunk: Buffer, _enc, cb) {
          parts.push(chunk);
          cb();
        },
      });
      assert.equal(await follow(storeDir, p.flow.id, mode, undefined, out, () => undefined), 0);
      const dropFilter = (t: string): string => t.replace(/^Filter: .*$/m, 'Filter:');
      return [dropFilter(Buffer.concat(parts).toString('latin1')), dropFilter(r.stdout)];
    } finally {
      await store.close();
    }
  }

  for (const [capture, proto] of [
    ['zeek__http_get.pcap', 'tcp'],
    ['zeek__http_pipelined-requests.pcap', 'tcp'],
    ['tcpdump__dns_tcp.pcap', 'tcp'],
    ['tcpdump__quic_handshake.pcap', 'udp'],
  ] as const) {
    test(`${capture}: ascii and hex outputs equal tshark's whole (gapless flow, Filter line aside)`, async () => {
      for (const mode of ['ascii', 'hex'] as const) {
        const [ours, theirs] = await bothOutputs(capture, proto, mode);
        assert.equal(ours, theirs, `${mode} differs`);
      }
    });
  }

  test('community-id-spec__tcp.pcap (snaplen-cut segments): equal to tshark once our gap markers are removed', async () => {
    // The deliberate difference: tshark joins a cut segment's captured bytes to the next ones;
    // we print its marker for the bytes the snaplen removed (common/reassembly/README.md).
    const [ours, theirs] = await bothOutputs('community-id-spec__tcp.pcap', 'tcp', 'raw');
    const a = parseRawFollow(ours)[0];
    const b = parseRawFollow(theirs)[0];
    assert.notEqual(compare(a, b), null, 'the markers make a difference');
    assert.equal(compare(withoutMarkers(a), b), null);
  });

  test('every TCP and UDP flow of every corpus capture equals tshark, but for the deliberate differences', async () => {
    let equal = 0;
    const unexpected: string[] = [];
    const seen = new Set<string>();
    for (const c of corpusCaptures()) {
      const r = await check(c, undefined, false);
      equal += r.equal;
      for (const d of r.diffs) {
        const known = DELIBERATE.find((k) => k.capture === c && k.difference.test(d));
        if (known) seen.add(known.capture);
        else unexpected.push(d);
      }
    }
    assert.deepEqual(unexpected, [], 'differences from tshark that are not deliberate');
    assert.deepEqual([...seen].sort(), DELIBERATE.map((k) => k.capture).sort(), 'each deliberate difference still occurs (else drop it from the list)');
    assert.ok(equal >= 140, `${equal} flows equal to tshark`);
  });
});

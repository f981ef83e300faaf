/**
 * Live capture on a real link: two namespaces joined by a veth pair, an HTTP server
 * (python3 -m http.server) and a DNS responder in one, curl, dig and ICMP echo from the other.
 * `tapline capture --iface` (through the capture worker) and tcpdump capture the same veth end at
 * the same time; between two marker datagrams the store must hold exactly tcpdump's packets:
 * the same packets (bytes and lengths, each as many times), timestamps equal within the kernel's
 * per-socket stamping (see comparePacketLists). The flows must be indexed in the store.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flowToJson, type FlowJson } from '../../common/flow/flow-json.js';
import { Store } from '../../node/store/store.js';
import { createNetnsPair, netnsSkipReason, type NetnsPair } from '../helpers/netns.js';
import { betweenMarkers, cliMain, collect, comparePacketLists, driveTraffic, readPackets, readStoreSegments, sendMarker, tcpdumpAvailable, waitForExit, waitForOutput, writeTrafficScripts } from './capture-harness.js';

const skip = netnsSkipReason() ?? (tcpdumpAvailable() ? undefined : 'tcpdump is not installed');
const HTTP_PORT = 8080;
const DNS_PORT = 5353;

function flowsJson(store: string, filters: string[]): FlowJson[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', cliMain, 'flows', '--store', store, ...filters, '--json'], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FlowJson);
}

describe('capture --iface on a veth pair, compared with tcpdump', { skip, timeout: 120_000 }, () => {
  let pair: NetnsPair;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-cap-local-'));
    pair = createNetnsPair('l', 77);
    const www = join(dir, 'www');
    const scripts = writeTrafficScripts(dir);
    mkdirSync(www);
    writeFileSync(join(www, 'payload.bin'), Buffer.alloc(200_000, 0x5a));
    const http = pair.spawnIn(pair.nsB, 'python3', ['-m', 'http.server', String(HTTP_PORT), '--bind', '::', '--directory', www], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(http);
    await waitForOutput(http, 'stdout', /Serving HTTP/);
    const dns = pair.spawnIn(pair.nsB, 'python3', [scripts.dns, pair.ipB, String(DNS_PORT)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(dns);
    await waitForOutput(dns, 'stdout', /dns ready/);
    (pair as NetnsPair & { scripts?: typeof scripts }).scripts = scripts;
  });

  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    pair?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores the same packets as tcpdump, byte for byte, and indexes their flows', async (t) => {
    const store = join(dir, 'store');
    const ref = join(dir, 'tcpdump.pcap');
    const tcpdump = pair.spawnIn(pair.nsA, 'tcpdump', ['-i', pair.ifA, '-n', '-U', '-s', '262144', '-Z', 'root', '-w', ref], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(tcpdump);
    const cap = pair.spawnIn(pair.nsA, process.execPath, ['--import', 'tsx', cliMain, 'capture', '--iface', pair.ifA, '--store', store, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(cap);
    const capOut = collect(cap);
    await Promise.all([waitForOutput(tcpdump, 'stderr', /listening on/), waitForOutput(cap, 'stderr', /capturing from libpcap/)]);
    const start = sendMarker(pair, 'start');
    driveTraffic(pair, (pair as NetnsPair & { scripts: { icmp: string } }).scripts, HTTP_PORT, DNS_PORT);
    // Let the last packets reach both capture buffers (bounded; not a timing assertion).
    const end = sendMarker(pair, 'end');
    // While the capture runs, the live index answers queries from another process (bounded wait).
    let live: FlowJson[] = [];
    for (let i = 0; i < 40 && live.length < 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      live = flowsJson(store, ['--port', String(HTTP_PORT)]);
    }
    assert.equal(live.length, 4, 'the four HTTP connections are queryable during the capture');
    await new Promise((r) => setTimeout(r, 500));
    cap.kill('SIGINT');
    tcpdump.kill('SIGINT');
    assert.equal(await waitForExit(cap), 0, capOut.text());
    await waitForExit(tcpdump);

    const expected = await readPackets(ref);
    const got = await readStoreSegments(store);
    assert.ok(expected.length >= 40, `tcpdump saw only ${expected.length} packets`);
    const { mismatch, maxSkewNs, reordered } = comparePacketLists(betweenMarkers(got, start, end), betweenMarkers(expected, start, end));
    assert.equal(mismatch, null);
    assert.ok(got.some((p) => !p.ts.endsWith('000000')), 'timestamps keep microseconds');
    t.diagnostic(`${betweenMarkers(got, start, end).length} packets equal to tcpdump's; largest timestamp skew ${maxSkewNs} ns; ${reordered} positions in another order`);

    const s = await Store.open(store);
    try {
      const flows = (await s.findFlows({}, 1000)).map((f) => flowToJson(f.id, f.record));
      const http = flows.filter((f) => f.proto === 6 && f.server_port === HTTP_PORT);
      assert.equal(http.length, 4, 'four HTTP connections (three IPv4, one IPv6)');
      assert.ok(flows.some((f) => f.proto === 17 && f.server_port === DNS_PORT), 'the DNS exchange is a flow');
      assert.ok(flows.some((f) => f.proto === 1), 'the ICMP echo is a flow');
    } finally {
      await s.close();
    }
  });

  it('conditional mode keeps only the flow that carried the trigger', async () => {
    const store = join(dir, 'store-conditional');
    const cap = pair.spawnIn(pair.nsA, process.execPath, ['--import', 'tsx', cliMain, 'capture', '--iface', pair.ifA, '--store', store, '--quiet', '--mode', 'conditional', '--trigger-payload', 'tapline-alert-me'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(cap);
    const out = collect(cap);
    await waitForOutput(cap, 'stderr', /capturing from libpcap/);
    pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://${pair.ipB}:${HTTP_PORT}/payload.bin`]);
    pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://${pair.ipB}:${HTTP_PORT}/payload.bin?tapline-alert-me`]);
    await new Promise((r) => setTimeout(r, 1000));
    cap.kill('SIGINT');
    assert.equal(await waitForExit(cap), 0, out.text());
    const flows = flowsJson(store, ['--port', String(HTTP_PORT)]);
    assert.equal(flows.length, 1, JSON.stringify(flows));
    assert.ok(flows[0].packets > 10, 'the alerting flow is kept with its pre-alert packets (handshake) and the response');
    assert.match(out.text(), /stored \d+/);
  });
});

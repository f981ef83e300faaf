/**
 * Remote capture over ssh against a real sshd (openssh-server) that the test starts inside a
 * network namespace with its own sshd_config, host key and authorized_keys. The remote side runs
 * tcpdump (started by our ssh command); a second tcpdump on the same interface is the reference.
 * Also: a host key that does not match known_hosts or the pinned fingerprint is refused with a
 * clear error before anything is stored; a dropped session reconnects and records the gap.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetnsPair, netnsSkipReason, type NetnsPair } from '../helpers/netns.js';
import { betweenMarkers, cliMain, collect, comparePacketLists, readPackets, readStoreSegments, segmentFiles, sendMarker, tcpdumpAvailable, waitForExit, waitForOutput } from './capture-harness.js';
import { fingerprint, keygen, sshdSkipReason, startTestSshd } from './sshd-fixture.js';

const skip = netnsSkipReason() ?? sshdSkipReason() ?? (tcpdumpAvailable() ? undefined : 'tcpdump is not installed');
const SSH_PORT = 2222;
const HTTP_PORT = 8080;

/** Processes whose parent chain reaches `root` (for ending only what our sshd started). */
function descendants(root: number): { pid: number; comm: string }[] {
  const out: { pid: number; comm: string }[] = [];
  const walk = (pid: number): void => {
    let kids = '';
    try {
      kids = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' });
    } catch {
      return; // no children
    }
    for (const line of kids.trim().split('\n')) {
      const [p, comm] = line.trim().split(/\s+/);
      if (!p) continue;
      out.push({ pid: Number(p), comm });
      walk(Number(p));
    }
  };
  walk(root);
  return out;
}

describe('capture --ssh against a real sshd in a namespace', { skip, timeout: 180_000 }, () => {
  let pair: NetnsPair;
  let dir: string;
  let sshd: ChildProcess;
  const children: ChildProcess[] = [];
  let knownHosts: string;
  let identity: string;
  let hostFingerprint: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-cap-ssh-'));
    pair = createNetnsPair('s', 78);
    keygen(join(dir, 'other_host_key'));
    const server = await startTestSshd(pair, dir, SSH_PORT);
    sshd = server.process;
    children.push(sshd);
    identity = server.identity;
    knownHosts = server.knownHosts;
    hostFingerprint = server.hostFingerprint;
    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'x'.repeat(50_000));
    const http = pair.spawnIn(pair.nsB, 'python3', ['-m', 'http.server', String(HTTP_PORT), '--bind', pair.ipB, '--directory', www], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(http);
    await waitForOutput(http, 'stdout', /Serving HTTP/);
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    pair?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function startCapture(store: string, auth: string[], extra: string[] = []): ChildProcess {
    const cap = pair.spawnIn(
      pair.nsA,
      process.execPath,
      ['--import', 'tsx', cliMain, 'capture', '--ssh', `root@${pair.ipB}:${SSH_PORT}`, '--remote-iface', pair.ifB, '--identity', identity, ...auth, '--store', store, '--quiet', ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(cap);
    return cap;
  }

  function curl(n: number): void {
    for (let i = 0; i < n; i++) pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://${pair.ipB}:${HTTP_PORT}/`]);
  }

  it('stores what a tcpdump on the remote interface sees, without its own ssh session', async (t) => {
    const store = join(dir, 'store-ok');
    const ref = join(dir, 'remote-ref.pcap');
    const tcpdump = pair.spawnIn(pair.nsB, 'tcpdump', ['-i', pair.ifB, '-n', '-U', '-Z', 'root', '-w', ref, `not tcp port ${SSH_PORT}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(tcpdump);
    const cap = startCapture(store, ['--known-hosts', knownHosts]);
    const out = collect(cap);
    await Promise.all([waitForOutput(tcpdump, 'stderr', /listening on/), waitForOutput(cap, 'stderr', /capturing from ssh:/)]);
    const start = sendMarker(pair, 'start');
    curl(3);
    const end = sendMarker(pair, 'end');
    await new Promise((r) => setTimeout(r, 1500));
    cap.kill('SIGINT');
    tcpdump.kill('SIGINT');
    assert.equal(await waitForExit(cap), 0, out.text());
    await waitForExit(tcpdump);
    const got = betweenMarkers(await readStoreSegments(store), start, end);
    const expected = betweenMarkers(await readPackets(ref), start, end);
    assert.ok(expected.length >= 20, `reference saw only ${expected.length} packets`);
    const { mismatch, maxSkewNs } = comparePacketLists(got, expected);
    assert.equal(mismatch, null);
    t.diagnostic(`${got.length} packets equal to the remote tcpdump's; largest timestamp skew ${maxSkewNs} ns`);
  });

  it('accepts the host key by a pinned SHA-256 fingerprint', async () => {
    const store = join(dir, 'store-pin');
    const cap = startCapture(store, ['--host-key-fingerprint', hostFingerprint], ['--duration', '2']);
    const out = collect(cap);
    assert.equal(await waitForExit(cap), 0, out.text());
    assert.match(out.text(), /capturing from ssh:/);
  });

  it('refuses a host key that does not match known_hosts, and stores nothing', async () => {
    const store = join(dir, 'store-mismatch');
    const wrong = join(dir, 'wrong_known_hosts');
    const otherPub = readFileSync(join(dir, 'other_host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(wrong, `[${pair.ipB}]:${SSH_PORT} ${otherPub}\n`);
    const cap = startCapture(store, ['--known-hosts', wrong], ['--duration', '5']);
    const out = collect(cap);
    assert.equal(await waitForExit(cap), 1);
    assert.match(out.text(), /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.doesNotMatch(out.text(), /capturing from/);
    assert.deepEqual(segmentFiles(store), []);
  });

  it('refuses a host key whose fingerprint is not the pinned one', async () => {
    const store = join(dir, 'store-wrong-pin');
    const cap = startCapture(store, ['--host-key-fingerprint', fingerprint(join(dir, 'other_host_key.pub'))], ['--duration', '5']);
    const out = collect(cap);
    assert.equal(await waitForExit(cap), 1);
    assert.match(out.text(), /Host key verification failed/);
    assert.doesNotMatch(out.text(), /capturing from/);
  });

  it('reconnects when the remote capture dies and records the gap', async () => {
    const store = join(dir, 'store-reconnect');
    const cap = startCapture(store, ['--known-hosts', knownHosts]);
    const out = collect(cap);
    await waitForOutput(cap, 'stderr', /capturing from ssh:/);
    curl(1);
    // End the remote tcpdump our ssh session started (found under our own sshd, by pid).
    const remote = descendants(sshd.pid!).filter((p) => p.comm === 'tcpdump');
    assert.equal(remote.length, 1, JSON.stringify(remote));
    process.kill(remote[0].pid, 'SIGKILL');
    await waitForOutput(cap, 'stderr', /reconnecting in/);
    // Bounded wait for the new session (backoff starts at 1 s).
    for (let i = 0; i < 50 && descendants(sshd.pid!).filter((p) => p.comm === 'tcpdump').length === 0; i++) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 500));
    const marker = sendMarker(pair, 'after');
    curl(1);
    await new Promise((r) => setTimeout(r, 1000));
    cap.kill('SIGINT');
    assert.equal(await waitForExit(cap), 0, out.text());
    const packets = await readStoreSegments(store);
    assert.ok(packets.some((p) => p.marker === marker), 'packets after the reconnect are stored');
    // The live store writer keeps gaps in STORE/segments/gaps.ndjson, times as decimal seconds.
    const gaps = readFileSync(join(store, 'segments', 'gaps.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { from: string; to: string; reason: string });
    assert.equal(gaps.length, 1);
    assert.ok(Number(gaps[0].to) > Number(gaps[0].from), `the gap has a positive length: ${JSON.stringify(gaps[0])}`);
    assert.match(gaps[0].reason, /ssh capture interrupted/);
    assert.match(out.text(), /gap .*ssh capture interrupted/, 'the gap is reported while capturing');
  });
});

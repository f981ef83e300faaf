/**
 * The packaged capture worker (npm run build:worker → dist/capture-worker-bin/): built by the
 * test into a root-owned temporary folder, then run as an unprivileged user (nobody, through
 * setpriv) in a network namespace, capturing on a veth the test creates:
 *  - with cap_net_raw,cap_net_admin set on a copy of the executable (setcap, as the deb/rpm
 *    after-install does): the packets sent from the other namespace are stored, in files owned
 *    by nobody (the worker never ran as root);
 *  - without the capabilities: the clear 403 "permission-denied" error, nothing stored; and with
 *    `elevate`, the pkexec fallback runs exactly `pkexec WORKER` (a stand-in pkexec first on
 *    PATH records its argv and runs the worker as root with PKEXEC_UID) and the capture works,
 *    as that user again (the root worker drops to it, keeping only the two capabilities);
 *  - a privileged copy whose writer-thread.js others could change refuses to run;
 *  - NODE_OPTIONS reaches an unprivileged copy but not one with capabilities (secure execution).
 * Skipped with the reason when not root (namespaces, setcap and setpriv need it).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildCaptureWorker, WORKER_EXECUTABLE } from '../../build/scripts/build-capture-worker.mjs';
import { flowToJson } from '../../common/flow/flow-json.js';
import type { CaptureStats } from '../../common/worker/capture-worker-protocol.js';
import { CaptureController, CaptureRequestError } from '../../electron/services/capture-controller.js';
import { CaptureService } from '../../electron/services/capture-service.js';
import { ServiceError } from '../../electron/services/sensor-backend.js';
import { Store } from '../../node/store/store.js';
import { takesDirectIo } from '../helpers/direct-io.js';
import { createNetnsPair, netnsSkipReason, type NetnsPair } from '../helpers/netns.js';
import { segmentFiles, waitForExit, waitForOutput } from './capture-harness.js';

const NOBODY = 65534;
const PORT = 5555;
const DATAGRAMS = 12;

function toolMissing(): string | undefined {
  for (const [tool, args] of [
    ['setcap', ['-v', 'cap_net_raw=p', '/nonexistent']],
    ['getcap', ['/bin/sh']],
    ['setpriv', ['--version']],
  ] as const) {
    const r = spawnSync(tool, [...args], { stdio: 'ignore' });
    if (r.error) return `${tool} is not installed (libcap2-bin / util-linux)`;
  }
  return undefined;
}

const skip = netnsSkipReason() ?? toolMissing();

describe('packaged capture worker: file capabilities, no capabilities, pkexec fallback', { skip, timeout: 420_000 }, () => {
  let dir = '';
  let pair: NetnsPair;
  /** As built: no capabilities. */
  let plain = '';
  /** A copy with cap_net_raw,cap_net_admin=eip. */
  let capped = '';
  let stores = '';

  /** Runs the worker executable in nsB as nobody (uid and gid 65534, no groups). */
  const asNobody = (exe: string): { command: string; args: string[] } => ({
    command: 'ip',
    args: ['netns', 'exec', pair.nsB, 'setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', exe],
  });

  function copyLayout(from: string, name: string): string {
    const to = join(dir, name);
    cpSync(from, to, { recursive: true });
    chmodSync(to, 0o755);
    return join(to, WORKER_EXECUTABLE);
  }

  function sendDatagrams(): void {
    pair.exec(pair.nsA, 'python3', [
      '-c',
      `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(${DATAGRAMS}): s.sendto(b"tapline-packaged-worker-%d" % i, ("${pair.ipB}", ${PORT}))`,
    ]);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-pkg-worker-'));
    chmodSync(dir, 0o755); // nobody must reach the executables and the stores
    const built = await buildCaptureWorker({ outDir: join(dir, 'built') });
    plain = join(built, WORKER_EXECUTABLE);
    capped = copyLayout(built, 'capped');
    execFileSync('setcap', ['cap_net_raw,cap_net_admin=eip', capped]);
    stores = join(dir, 'stores');
    mkdirSync(stores);
    chownSync(stores, NOBODY, NOBODY);
    pair = createNetnsPair('k', 81);
  });

  after(() => {
    pair?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('builds one executable with its writer thread, the pcap addon and package.json beside it; capabilities only on the copy', () => {
    const folder = join(dir, 'built');
    for (const f of ['package.json', 'pcap_binding.node', 'tapline_capture.node', 'tapline_flow_index.node', WORKER_EXECUTABLE, 'writer-thread.js']) assert.ok(existsSync(join(folder, f)), `${f} is in the folder`);
    assert.equal(statSync(plain).mode & 0o777, 0o755);
    assert.equal(execFileSync('getcap', [plain], { encoding: 'utf8' }).trim(), '', 'the build itself grants nothing');
    assert.match(execFileSync('getcap', [capped], { encoding: 'utf8' }), /cap_net_admin,cap_net_raw[=+]eip/);
  });

  it('with cap_net_raw,cap_net_admin, run as nobody: captures the datagrams into a store it owns', async () => {
    const store = join(stores, 'capped');
    const ctl = new CaptureController({ launch: asNobody(capped) });
    const stats: CaptureStats[] = [];
    ctl.on('stats', (s) => stats.push(s));
    const stderr: string[] = [];
    ctl.on('stderr', (l) => stderr.push(l));
    try {
      const list = await ctl.interfaces();
      assert.ok(list.interfaces.some((i) => i.name === pair.ifB), `the namespace's veth is listed: ${JSON.stringify(list.interfaces.map((i) => i.name))}`);
      const started = await ctl.start({ source: { kind: 'libpcap', iface: pair.ifB, filter: `udp port ${PORT}` }, store: { dir: store } });
      assert.match(started.source, /\(native capture thread\)$/, 'the addon beside the executable was loaded');
      sendDatagrams();
      for (let i = 0; i < 100 && !stats.some((s) => s.packets >= DATAGRAMS); i++) await new Promise((r) => setTimeout(r, 100));
      const r = await ctl.stop();
      assert.equal(r.stats.packets, DATAGRAMS, JSON.stringify(r.stats));
      assert.equal(r.stats.kernelDrops, 0);
      assert.equal(r.stats.durablePackets, DATAGRAMS);
      if (takesDirectIo(stores)) assert.equal(r.stats.segmentWrites, 'direct', 'the writer thread found the addon beside the executable (O_DIRECT segment writes)');
    } finally {
      await ctl.close();
    }
    // the writer thread found the flow-index addon beside its bundle (it says so when it does not)
    assert.ok(!stderr.some((l) => l.includes('indexed in TypeScript')), stderr.join('\n'));
    const segments = segmentFiles(store);
    assert.equal(segments.length, 1);
    assert.equal(statSync(join(store, 'segments', segments[0])).uid, NOBODY, 'written by nobody: the worker never ran as root');
    const s = await Store.open(store);
    try {
      const flows = await s.findFlows({}, 10);
      assert.equal(flows.length, 1);
      const f = flowToJson(flows[0].id, flows[0].record);
      assert.equal(f.packets, DATAGRAMS);
      assert.equal(f.server_port, PORT);
      assert.equal(f.client_ip, pair.ipA);
    } finally {
      await s.close();
    }
  });

  it('without the capabilities, run as nobody: a clear permission error (403 in the service), nothing stored', async () => {
    const store = join(stores, 'plain');
    const ctl = new CaptureController({ launch: asNobody(plain) });
    try {
      await assert.rejects(ctl.start({ source: { kind: 'libpcap', iface: pair.ifB }, store: { dir: store } }), (e: unknown) => {
        assert.ok(e instanceof CaptureRequestError);
        assert.equal(e.code, 'permission-denied');
        assert.match(e.message, new RegExp(`cannot capture on ${pair.ifB}: .*(Operation not permitted|permission).*cap_net_raw,cap_net_admin`, 'i'));
        return true;
      });
    } finally {
      await ctl.close();
    }
    assert.deepEqual(segmentFiles(store), []);

    const svc = new CaptureService({ storeDir: store, sensorId: 'pkg', launch: asNobody(plain), pkexecWorker: null, publish: () => {} });
    await assert.rejects(svc.start({ source: { kind: 'iface', iface: pair.ifB } }), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.status, 403);
      assert.match(e.hint ?? '', /setcap cap_net_raw,cap_net_admin=eip/);
      return true;
    });
  });

  it('without the capabilities and with elevate: `pkexec WORKER` runs the real worker, which captures as the user who asked', async () => {
    const bin = join(dir, 'fake-pkexec');
    mkdirSync(bin);
    const argvLog = join(dir, 'pkexec-argv');
    // pkexec's job here: record its arguments, then run them as root (in the capture namespace)
    // with PKEXEC_UID naming the user who asked, as pkexec does
    writeFileSync(join(bin, 'pkexec'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> ${JSON.stringify(argvLog)}; done\nPKEXEC_UID=${NOBODY} exec ip netns exec ${pair.nsB} "$@"\n`);
    chmodSync(join(bin, 'pkexec'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
    const store = join(stores, 'pkexec');
    const events: number[] = [];
    const svc = new CaptureService({
      storeDir: store,
      sensorId: 'pkg',
      launch: asNobody(plain),
      pkexecWorker: plain,
      publish: (e) => {
        if (e.kind === 'capture') events.push(e.capture.packets);
      },
    });
    try {
      const st = await svc.start({ source: { kind: 'iface', iface: pair.ifB, filter: `udp port ${PORT}` }, elevate: true });
      assert.equal(st.state, 'running');
      assert.deepEqual(readFileSync(argvLog, 'utf8').split('\n').filter(Boolean), [plain], 'pkexec ran the worker executable, with no other argument');
      sendDatagrams();
      for (let i = 0; i < 100 && !events.some((n) => n >= DATAGRAMS); i++) await new Promise((r) => setTimeout(r, 100));
      const done = await svc.stop(st.id);
      assert.equal(done.state, 'stopped');
      assert.equal(done.packets, DATAGRAMS);
      // started as root by pkexec, the worker ran itself again as PKEXEC_UID with the two capabilities only
      const segments = segmentFiles(store);
      assert.equal(segments.length, 1);
      assert.equal(statSync(join(store, 'segments', segments[0])).uid, NOBODY, 'the store belongs to the user who asked, not to root');
    } finally {
      process.env.PATH = savedPath;
      await svc.close();
    }
  });

  it('with capabilities, refuses to run when a file beside it is writable by others', async () => {
    const tampered = copyLayout(join(dir, 'built'), 'tampered');
    chmodSync(join(dir, 'tampered', 'writer-thread.js'), 0o666);
    execFileSync('setcap', ['cap_net_raw,cap_net_admin=eip', tampered]);
    const { command, args } = asNobody(tampered);
    const w = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    w.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const err = waitForOutput(w, 'stderr', /refusing to run with capture privileges/, 30_000).catch((e: unknown) => String(e));
    assert.equal(await waitForExit(w, 30_000), 78);
    assert.match(await err, /writer-thread\.js is writable by group or others \(mode 666\)/);
    assert.doesNotMatch(out, /"ready"/, 'it never spoke the protocol');
  });

  it('ignores NODE_OPTIONS when it runs with capabilities (an unprivileged copy honours them)', async () => {
    const evil = join(dir, 'evil.cjs');
    const markers = join(dir, 'markers');
    mkdirSync(markers, { mode: 0o777 });
    chmodSync(markers, 0o777);
    const run = async (exe: string, markerFile: string): Promise<boolean> => {
      writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(markerFile)}, String(process.pid));\n`);
      chmodSync(evil, 0o644);
      const { command, args } = asNobody(exe);
      const w = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: `--require ${evil}` } });
      await waitForOutput(w, 'stdout', /"type":"ready"/, 30_000);
      w.stdin.end(); // stdin EOF: the worker exits
      await waitForExit(w, 30_000);
      return existsSync(markerFile);
    };
    assert.equal(await run(plain, join(markers, 'plain')), true, 'control: NODE_OPTIONS reaches an unprivileged worker');
    assert.equal(await run(capped, join(markers, 'capped')), false, 'a worker with capabilities ran code from NODE_OPTIONS');
  });
});

/**
 * The pkexec fallback of CaptureService: when the worker reports no capture privilege and the
 * start request allows elevation, the service starts the packaged worker again as exactly
 * `pkexec WORKER` (a stand-in pkexec first on PATH records its argv, then runs WORKER as a
 * "privileged" fixture worker); without `elevate` it never runs pkexec; a refused
 * authentication or a missing packaged worker is a 403 in words. Also where the packaged worker
 * executable is looked for.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_WORKER, standInPkexec } from '../../helpers/stand-in-pkexec.js';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CaptureService } from '../../../electron/services/capture-service.js';
import { captureWorkerLaunch, packagedWorkerExecutable, pkexecWorkerLaunch, CaptureWorkerLaunchError } from '../../../electron/services/capture-controller.js';
import { ServiceError } from '../../../electron/services/sensor-backend.js';

const FIXTURE = FIXTURE_WORKER;
const launch = { command: process.execPath, args: [FIXTURE] };

let dir = '';
let pkexecLog = '';
/** The "packaged worker" the fallback runs: a script starting the fixture worker. */
let worker = '';
const savedPath = process.env.PATH;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-pkexec-'));
  const standIn = await standInPkexec(dir);
  ({ pkexecLog, worker } = standIn);
  const bin = standIn.bin;
  process.env.PATH = `${bin}:${savedPath ?? '/usr/bin:/bin'}`;
});

after(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

async function pkexecCalls(): Promise<string[]> {
  if (!existsSync(pkexecLog)) return [];
  const text = await readFile(pkexecLog, 'utf8');
  await rm(pkexecLog);
  return text.split('\n').filter((l) => l !== '');
}

function service(pkexecWorker: string | null = worker): { svc: CaptureService; logs: string[]; packetsSeen: () => Promise<void> } {
  const logs: string[] = [];
  let onPackets: (() => void) | null = null;
  let seen = false;
  const svc = new CaptureService({
    storeDir: join(dir, 'store'),
    sensorId: 'tap1',
    launch,
    pkexecWorker,
    publish: (e) => {
      if (e.kind === 'capture' && e.capture.state === 'running' && e.capture.packets > 0) {
        seen = true;
        onPackets?.();
      }
    },
    log: (l) => logs.push(l),
  });
  // the first status with packets (the fixture worker "receives" some every 100 ms), bounded by 10 s
  const packetsSeen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (seen) return resolve();
      const timer = setTimeout(() => reject(new Error('no packets reported within 10 s')), 10_000);
      onPackets = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return { svc, logs, packetsSeen };
}

describe('CaptureService pkexec fallback', () => {
  test('no privilege + elevate: the capture runs in a worker started as exactly `pkexec WORKER`', async () => {
    const { svc, logs, packetsSeen } = service();
    const st = await svc.start({ source: { kind: 'iface', iface: 'denied' }, elevate: true });
    await packetsSeen();
    assert.equal(st.state, 'running');
    assert.deepEqual(await pkexecCalls(), [worker], 'pkexec got the worker path and nothing else');
    assert.ok(logs.some((l) => l.includes(`starting it again through pkexec ${worker}`)), logs.join('\n'));
    const stopped = await svc.stop(st.id);
    assert.equal(stopped.state, 'stopped');
    assert.ok(stopped.packets > 0, 'the elevated worker reported packets');
  });

  test('no privilege without elevate: 403 naming the ways to get it, and pkexec is never run', async () => {
    const { svc } = service();
    await assert.rejects(svc.start({ source: { kind: 'iface', iface: 'denied' } }), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.status, 403);
      assert.match(e.message, /Operation not permitted/);
      assert.match(e.hint ?? '', /setcap cap_net_raw,cap_net_admin=eip/);
      assert.match(e.hint ?? '', /elevate/);
      return true;
    });
    assert.deepEqual(await pkexecCalls(), []);
    assert.equal(svc.status()[0].state, 'failed');
  });

  test('elevate on a worker that has its privilege: no pkexec', async () => {
    const { svc } = service();
    const st = await svc.start({ source: { kind: 'iface', iface: 'lo' }, elevate: true });
    await svc.stop(st.id);
    assert.deepEqual(await pkexecCalls(), []);
  });

  test('pkexec refuses (authentication dismissed): 403 with pkexec\'s words', async () => {
    const { svc } = service();
    await writeFile(join(dir, 'refuse'), '');
    try {
      await assert.rejects(svc.start({ source: { kind: 'iface', iface: 'denied' }, elevate: true }), (e: unknown) => {
        assert.ok(e instanceof ServiceError);
        assert.equal(e.status, 403);
        assert.match(e.message, /^pkexec did not start the capture worker .*Not authorized/);
        assert.match(e.hint ?? '', /authentication/);
        return true;
      });
      assert.deepEqual(await pkexecCalls(), [worker]);
      const failed = svc.status()[0];
      assert.equal(failed.state, 'failed');
      assert.match(failed.error ?? '', /Not authorized/);
    } finally {
      await rm(join(dir, 'refuse'));
    }
  });

  test('no packaged worker on this installation: 403 saying so, no pkexec', async () => {
    const { svc } = service(null);
    await assert.rejects(svc.start({ source: { kind: 'iface', iface: 'denied' }, elevate: true }), (e: unknown) => {
      assert.ok(e instanceof ServiceError);
      assert.equal(e.status, 403);
      assert.match(e.message, /no packaged worker executable/);
      return true;
    });
    assert.deepEqual(await pkexecCalls(), []);
  });
});

describe('where the packaged worker is', () => {
  const moduleUrl = pathToFileURL('/repo/electron/services/capture-controller.ts').href;
  const builtUrl = pathToFileURL('/repo/dist/electron/services/capture-controller.js').href;

  test('the installed app\'s resources first, then this tree\'s dist/capture-worker-bin, else none', () => {
    const all = new Set(['/opt/Tapline/resources/capture-worker/tapline-capture-worker', '/repo/dist/capture-worker-bin/tapline-capture-worker']);
    const exists = (p: string): boolean => all.has(p);
    assert.equal(packagedWorkerExecutable({ resourcesPath: '/opt/Tapline/resources', moduleUrl, exists }), '/opt/Tapline/resources/capture-worker/tapline-capture-worker');
    assert.equal(packagedWorkerExecutable({ moduleUrl, exists }), '/repo/dist/capture-worker-bin/tapline-capture-worker');
    assert.equal(packagedWorkerExecutable({ moduleUrl: builtUrl, exists }), '/repo/dist/capture-worker-bin/tapline-capture-worker');
    assert.equal(packagedWorkerExecutable({ moduleUrl, exists: () => false }), null);
  });

  test('pkexec runs only an absolute worker path; the installed desktop app runs its packaged worker by default', async () => {
    assert.deepEqual(pkexecWorkerLaunch('/opt/Tapline/resources/capture-worker/tapline-capture-worker'), { command: 'pkexec', args: ['/opt/Tapline/resources/capture-worker/tapline-capture-worker'] });
    assert.throws(() => pkexecWorkerLaunch('tapline-capture-worker'), CaptureWorkerLaunchError);
    const resources = join(dir, 'resources');
    assert.equal(captureWorkerLaunch({}, resources).command, process.execPath, 'no packaged worker there: node and the script');
    await mkdir(join(resources, 'capture-worker'), { recursive: true });
    await writeFile(join(resources, 'capture-worker', 'tapline-capture-worker'), '');
    assert.deepEqual(captureWorkerLaunch({}, resources), { command: join(resources, 'capture-worker', 'tapline-capture-worker'), args: [] });
    assert.deepEqual(captureWorkerLaunch({ TAPLINE_CAPTURE_WORKER: '/x/w' }, resources), { command: '/x/w', args: [] }, 'the variable still wins');
  });
});

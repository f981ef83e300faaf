/**
 * `tapline capture --elevate`: when the worker has no capture privilege, the CLI starts it again
 * as exactly `pkexec WORKER`, the same fallback as the app's capture service
 * (electron/services/pkexec-fallback.ts). A stand-in pkexec first on PATH records its argv and
 * runs WORKER as a "privileged" fixture worker (tests/fixtures/workers/capture-fixture-worker.mjs,
 * whose interface "denied" fails as libpcap does without cap_net_raw). Without --elevate pkexec
 * never runs; a dismissed authentication is an error in words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE_WORKER, standInPkexec } from '../helpers/stand-in-pkexec.js';
import { fileURLToPath } from 'node:url';

const FIXTURE = FIXTURE_WORKER;
const CLI = fileURLToPath(new URL('../../electron/cli/main.ts', import.meta.url));

let dir = '';
let bin = '';
let pkexecLog = '';
/** The "packaged worker" pkexec runs: a script starting the fixture worker. */
let worker = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-cap-elevate-'));
  ({ bin, pkexecLog, worker } = await standInPkexec(dir));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'capture', '--iface', 'denied', '--store', join(dir, 'store'), '--duration', '1', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      TAPLINE_CAPTURE_WORKER: JSON.stringify([process.execPath, FIXTURE]),
      TAPLINE_PKEXEC_WORKER: worker,
    },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function pkexecCalls(): Promise<string[]> {
  if (!existsSync(pkexecLog)) return [];
  const text = await readFile(pkexecLog, 'utf8');
  await rm(pkexecLog);
  return text.split('\n').filter((l) => l !== '');
}

describe('tapline capture --elevate', () => {
  test('without privilege and without --elevate: the permission error names --elevate, pkexec never runs', async () => {
    const r = capture();
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Operation not permitted/);
    assert.match(r.stderr, /--elevate runs the worker through pkexec/);
    assert.deepEqual(await pkexecCalls(), []);
  });

  test('with --elevate: `pkexec WORKER` runs the worker, which captures until --duration', async () => {
    const r = capture('--elevate');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await pkexecCalls(), [worker], 'pkexec ran the worker executable with no other argument');
    assert.match(r.stderr, /no capture privilege; starting it again through pkexec/);
    assert.match(r.stderr, /capturing from denied/);
    const m = /captured (\d+) packets/.exec(r.stdout);
    assert.ok(m && Number(m[1]) > 0, `the elevated worker's packets are reported: ${r.stdout}`);
  });

  test('with --elevate and authentication dismissed: an error in words, exit 1', async () => {
    await writeFile(join(dir, 'refuse'), '');
    try {
      const r = capture('--elevate');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pkexec did not start the capture worker/);
      assert.match(r.stderr, /administrator authentication failed or was dismissed/);
      assert.deepEqual(await pkexecCalls(), [worker]);
    } finally {
      await rm(join(dir, 'refuse'));
    }
  });

  test('--elevate with a stdin capture is a usage error', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'capture', '--read', '-', '--store', join(dir, 's2'), '--elevate'], { encoding: 'utf8', timeout: 60_000, input: '' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--elevate applies to captures through the capture worker/);
  });
});

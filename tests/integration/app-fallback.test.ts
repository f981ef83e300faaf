/**
 * `tapline app` as a user runs it (the built CLI in a child process):
 * - without an Electron binary (as on this machine: installed with ELECTRON_SKIP_BINARY_DOWNLOAD)
 *   it prints the one fallback line, serves on loopback, answers /api/info with the printed
 *   token, and stops cleanly on SIGTERM;
 * - with a (fake) Electron binary and a desktop, it starts it on this package with the store and
 *   the deep link, and passes its exit status back.
 * ELECTRON_OVERRIDE_DIST_PATH points the electron package at a folder of our choosing, so the
 * outcome does not depend on whether the machine running the test has Electron.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundlePreload } from '../../build/scripts/bundle-preload.mjs';
import { repoRoot } from '../helpers/corpus.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');
const skip = !existsSync(CLI) ? 'dist/ is not built (npm run build)' : false;

let work: string;

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'data'), ...extra };
  delete e.DISPLAY;
  delete e.WAYLAND_DISPLAY;
  delete e.ELECTRON_RUN_AS_NODE;
  return e;
}

/** Collects a stream's text and resolves when a pattern shows up. */
function watch(child: ChildProcessWithoutNullStreams) {
  let out = '';
  let errText = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (errText += b.toString('utf8')));
  return {
    get stdout() {
      return out;
    },
    get stderr() {
      return errText;
    },
    until(re: RegExp, which: 'stdout' | 'stderr', ms = 30_000): Promise<RegExpExecArray> {
      return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const tick = (): void => {
          const m = re.exec(which === 'stdout' ? out : errText);
          if (m) return resolve(m);
          if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode} before ${re}: ${errText}`));
          if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${re}\nstdout: ${out}\nstderr: ${errText}`));
          setTimeout(tick, 50);
        };
        tick();
      });
    },
  };
}

function exited(child: ChildProcessWithoutNullStreams, ms = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('did not exit in time'));
    }, ms);
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve({ code, signal });
    });
  });
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'tapline-app-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

describe('tapline app without Electron', { skip }, () => {
  test('prints the fallback line, serves on loopback with the printed token, stops on SIGTERM', async () => {
    const store = join(work, 'store');
    const noElectron = mkdtempSync(join(work, 'no-electron-'));
    const child = spawn(process.execPath, [CLI, 'app', '--store', store], {
      env: env({ ELECTRON_OVERRIDE_DIST_PATH: noElectron, TAPLINE_NO_BROWSER: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    }) as unknown as ChildProcessWithoutNullStreams;
    const io = watch(child);
    try {
      await io.until(/falling back/, 'stderr');
      const fallback = io.stderr.split('\n').filter((l) => /falling back/.test(l));
      assert.equal(fallback.length, 1, 'one line');
      assert.match(fallback[0], /^tapline: Electron is not installed here .*falling back to `tapline serve` on 127\.0\.0\.1/);
      assert.ok(fallback[0].includes(store));

      const [url] = await io.until(/http:\/\/127\.0\.0\.1:\d+\/login\?token=[^\s]+/, 'stdout');
      const login = new URL(url);
      const token = decodeURIComponent(login.searchParams.get('token') ?? '');
      assert.ok(token.length >= 16);
      await io.until(/no desktop session here: open http:\/\/127\.0\.0\.1/, 'stderr');

      const info = await fetch(`${login.origin}/api/info`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(info.status, 200);
      const body = (await info.json()) as { version: string; sensors: { url: string | null }[] };
      assert.match(body.version, /tapline/);
      assert.equal(body.sensors[0].url, null);
      assert.equal((await fetch(`${login.origin}/api/info`)).status, 401, 'no token, no answer');

      child.kill('SIGTERM');
      const r = await exited(child);
      assert.deepEqual(r, { code: 0, signal: null }, io.stderr);
      assert.ok(existsSync(join(store, 'store.json')), 'the store was created');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('usage errors', () => {
    const r = spawnSync(process.execPath, [CLI, 'app', 'extra-arg'], { encoding: 'utf8', env: env({}) });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /app takes --store DIR and at most one tapline:\/\/ link/);
  });
});

describe('tapline app with Electron', { skip: !existsSync(CLI) ? 'dist/ is not built (npm run build)' : process.platform === 'win32' ? 'the fake binary is a shell script' : false }, () => {
  test('starts the binary on this package with the store and the link, and returns its status', async () => {
    // the CLI checks the shell is built before starting Electron
    if (!existsSync(join(repoRoot, 'dist/electron/preload/preload.cjs'))) await bundlePreload();
    const dist = mkdtempSync(join(work, 'electron-dist-'));
    const record = join(work, 'electron-args.json');
    writeFileSync(
      join(dist, 'electron'),
      `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ args: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }));\nprocess.exit(3);\n`,
    );
    chmodSync(join(dist, 'electron'), 0o755);
    const store = join(work, 'store2');
    const link = 'tapline://flow?sip=10.1.0.5&dip=10.2.0.9&dpt=80';
    const r = spawnSync(process.execPath, [CLI, 'app', '--store', store, link], {
      encoding: 'utf8',
      env: { ...env({ ELECTRON_OVERRIDE_DIST_PATH: dist, ELECTRON_RUN_AS_NODE: '1' }), DISPLAY: ':99' },
      timeout: 30_000,
    });
    assert.equal(r.status, 3, r.stderr);
    const seen = JSON.parse(readFileSync(record, 'utf8')) as { args: string[]; runAsNode: string | null };
    assert.deepEqual(seen.args, [repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`, `--tapline-store=${store}`, link]);
    assert.equal(seen.runAsNode, null, 'ELECTRON_RUN_AS_NODE is never passed on');
    assert.doesNotMatch(r.stderr, /falling back/);
  });
});

/**
 * Packaging without packaging: electron-builder's own schema validation of package.json "build",
 * the deb/rpm scripts (syntax, the only macros electron-builder substitutes), and the capability
 * script run against a fake worker with setcap/groupadd/chown stubbed on PATH.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateBuilderConfig } from '../../../build/scripts/validate-builder-config.mjs';
import { repoRoot } from '../../helpers/corpus.js';

interface Pkg {
  main: string;
  scripts: Record<string, string>;
  build: Record<string, unknown> & {
    appId: string;
    productName: string;
    protocols: { schemes: string[] }[];
    linux: { target: string[]; category: string };
    deb: { afterInstall: string; afterRemove: string; depends: string[] };
    rpm: { afterInstall: string; afterRemove: string; depends: string[] };
    mac: { category: string; hardenedRuntime: boolean; entitlements: string; target: string[] };
    win: { target: string[] };
    electronFuses: Record<string, boolean>;
  };
}
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Pkg;

describe('electron-builder configuration', () => {
  test('passes electron-builder\'s validation and our file checks', async () => {
    assert.deepEqual(await validateBuilderConfig(pkg), []);
  });

  test('an invalid configuration is caught (the validator is live)', async () => {
    const broken = structuredClone(pkg);
    (broken.build.mac as unknown as Record<string, unknown>).hardenedRuntime = 'yes';
    (broken.build as Record<string, unknown>).notAnOption = 1;
    const problems = await validateBuilderConfig(broken);
    assert.equal(problems.length, 1);
    assert.match(problems[0], /hardenedRuntime should be a boolean/);
  });

  test('targets, categories, protocol, fuses', () => {
    const b = pkg.build;
    assert.equal(b.productName, 'Tapline');
    assert.equal(pkg.main, 'dist/electron/main/main.js');
    assert.deepEqual(b.linux.target, ['AppImage', 'deb', 'rpm']);
    assert.equal(b.linux.category, 'Network');
    assert.deepEqual(b.mac.target, ['dmg']);
    assert.equal(b.mac.category, 'public.app-category.developer-tools');
    assert.equal(b.mac.hardenedRuntime, true);
    assert.deepEqual(b.win.target, ['nsis']);
    assert.deepEqual(b.protocols[0].schemes, ['tapline']);
    assert.equal(b.electronFuses.runAsNode, false);
    assert.equal(b.electronFuses.enableNodeCliInspectArguments, false);
    assert.equal(b.electronFuses.grantFileProtocolExtraPrivileges, false);
    assert.equal(b.electronFuses.onlyLoadAppFromAsar, true);
    assert.ok(b.deb.depends.includes('libcap2-bin'), 'setcap is there for the after-install script');
    assert.ok(b.rpm.depends.includes('libcap'));
    assert.match(pkg.scripts['pack:linux'], /electron-builder --linux/);
  });
});

describe('deb/rpm scripts', () => {
  test('parse as bash, and use no macro electron-builder would not define', () => {
    for (const s of [pkg.build.deb.afterInstall, pkg.build.deb.afterRemove, 'build/linux/grant-capture-capabilities.sh']) {
      const r = spawnSync('bash', ['-n', join(repoRoot, s)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${s}: ${r.stderr}`);
    }
    const install = readFileSync(join(repoRoot, pkg.build.deb.afterInstall), 'utf8');
    const macros = new Set([...install.matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]));
    assert.deepEqual([...macros].sort(), ['executable', 'sanitizedProductName']);
    assert.match(install, /resources\/capture-worker\/tapline-capture-worker/);
    assert.match(install, /grant-capture-capabilities\.sh/);
    assert.match(install, /chrome-sandbox/, 'keeps electron-builder\'s default sandbox handling');
  });

  function runGrant(workerExists: boolean): { status: number | null; out: string; calls: string } {
    const dir = mkdtempSync(join(tmpdir(), 'tapline-grant-'));
    try {
      const bin = join(dir, 'bin');
      spawnSync('mkdir', [bin]);
      const log = join(dir, 'calls.log');
      for (const cmd of ['setcap', 'groupadd', 'chown', 'chmod']) {
        writeFileSync(join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> "${log}"\n`);
        chmodSync(join(bin, cmd), 0o755);
      }
      writeFileSync(join(bin, 'getent'), '#!/bin/sh\nexit 2\n');
      chmodSync(join(bin, 'getent'), 0o755);
      const worker = join(dir, 'tapline-capture-worker');
      if (workerExists) writeFileSync(worker, '#!/bin/sh\n');
      const r = spawnSync('/bin/sh', [join(repoRoot, 'build/linux/grant-capture-capabilities.sh'), worker], {
        encoding: 'utf8',
        env: { PATH: `${bin}:/usr/bin:/bin` },
      });
      let calls = '';
      try {
        calls = readFileSync(log, 'utf8');
      } catch {
        calls = '';
      }
      return { status: r.status, out: r.stdout + r.stderr, calls: calls.split(dir).join('DIR') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('the capability script grants cap_net_raw,cap_net_admin to the worker, for the tapline group only', () => {
    const r = runGrant(true);
    assert.equal(r.status, 0, r.out);
    assert.equal(
      r.calls,
      'groupadd --system tapline\nchown root:tapline DIR/tapline-capture-worker\nchmod 0750 DIR/tapline-capture-worker\nsetcap cap_net_raw,cap_net_admin=eip DIR/tapline-capture-worker\n',
    );
  });

  test('a build without the worker installs cleanly', () => {
    const r = runGrant(false);
    assert.equal(r.status, 0);
    assert.match(r.out, /no capture worker in this build/);
    assert.equal(r.calls, '');
  });
});

describe('pkexec fallback: polkit action', () => {
  const policyPath = join(repoRoot, 'build/linux/org.tapline.capture-worker.policy');
  const script = join(repoRoot, 'build/linux/install-polkit-policy.sh');

  function xmlCheck(path: string): string {
    // python's expat: the policy must be well-formed XML (polkitd skips a file it cannot parse)
    const r = spawnSync('python3', ['-c', 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); print(d.documentElement.tagName)', path], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  test('the action names the worker only and always asks for an administrator', () => {
    const policy = readFileSync(policyPath, 'utf8');
    assert.equal(xmlCheck(policyPath), 'policyconfig');
    assert.match(policy, /<action id="org\.tapline\.capture-worker">/);
    assert.match(policy, /<annotate key="org\.freedesktop\.policykit\.exec\.path">@WORKER@<\/annotate>/);
    const defaults = [...policy.matchAll(/<(allow_any|allow_inactive|allow_active)>([^<]+)</g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(defaults, ['allow_any=auth_admin', 'allow_inactive=auth_admin', 'allow_active=auth_admin_keep']);
  });

  test('installed with the worker path, removed on uninstall; polkit absent is fine; odd paths refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapline-polkit-'));
    try {
      const actions = join(dir, 'actions');
      const run = (...args: string[]) => spawnSync('/bin/sh', [script, ...args], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', POLKIT_ACTIONS_DIR: actions } });
      const worker = '/opt/Tapline/resources/capture-worker/tapline-capture-worker';
      const absent = run('install', worker);
      assert.equal(absent.status, 0);
      assert.match(absent.stdout, /polkit is not installed/);
      spawnSync('mkdir', [actions]);
      assert.equal(run('install', worker).status, 0);
      const installed = join(actions, 'org.tapline.capture-worker.policy');
      assert.equal(xmlCheck(installed), 'policyconfig');
      assert.match(readFileSync(installed, 'utf8'), new RegExp(`<annotate key="org\\.freedesktop\\.policykit\\.exec\\.path">${worker}</annotate>`));
      for (const bad of ['relative/worker', '/opt/a&b/worker', '/opt/x|y', '/opt/"q"']) assert.equal(run('install', bad).status, 1, bad);
      assert.equal(run('remove').status, 0);
      assert.equal(spawnSync('test', ['-e', installed]).status, 1, 'removed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the deb/rpm scripts install the action after the capabilities and remove it only on uninstall', () => {
    const install = readFileSync(join(repoRoot, pkg.build.deb.afterInstall), 'utf8');
    assert.match(install, /POLKIT="\$APP_DIR\/resources\/linux\/install-polkit-policy\.sh"/);
    assert.ok(install.indexOf('/bin/sh "$POLKIT" install "$WORKER"') > install.indexOf('/bin/sh "$GRANT" "$WORKER"'), 'after the capabilities');
    const remove = readFileSync(join(repoRoot, pkg.build.deb.afterRemove), 'utf8');
    assert.match(remove, /case "\$1" in\nremove \| purge \| 0\)\n\s+rm -f \/usr\/share\/polkit-1\/actions\/org\.tapline\.capture-worker\.policy/);
    const linux = (pkg.build.linux as unknown as { extraResources: { from: string; to: string }[] }).extraResources;
    for (const f of ['install-polkit-policy.sh', 'org.tapline.capture-worker.policy']) assert.ok(linux.some((r) => r.from === `build/linux/${f}` && r.to === `linux/${f}`), `${f} is shipped in resources/linux/`);
  });
});

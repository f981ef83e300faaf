/**
 * Who may import what: only the Electron shell (electron/main/*.ts) and the preload import
 * `electron`; the shell's lib/, the services, the CLI and common/ never do (they run headless
 * and in tests). The preload imports only environment-free modules (it is bundled for the
 * sandbox; esbuild's browser platform also fails the build on a Node import).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../helpers/corpus.js';

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)].map((m) => m[1] ?? m[2] ?? m[3]);
}

const rel = (p: string): string => relative(repoRoot, p).split('\\').join('/');

test('only electron/main/*.ts and electron/preload/ import electron', () => {
  const offenders: string[] = [];
  for (const dir of ['common', 'node', 'electron']) {
    for (const f of tsFiles(join(repoRoot, dir))) {
      const r = rel(f);
      const shell = /^electron\/main\/[^/]+\.ts$/.test(r) || r.startsWith('electron/preload/');
      if (!shell && imports(f).some((i) => i === 'electron' || i.startsWith('electron/'))) offenders.push(r);
    }
  }
  assert.deepEqual(offenders, []);
});

test('the preload imports only electron, the shared contract modules and common/', () => {
  for (const f of tsFiles(join(repoRoot, 'electron/preload'))) {
    for (const i of imports(f)) {
      assert.ok(
        i === 'electron' || i === 'zod' || i.startsWith('../../common/') || /^\.\.\/main\/lib\/(ipc-contract|deep-link|app-identity|argv)\.js$/.test(i),
        `${rel(f)} imports ${i}`,
      );
    }
  }
});

test('the modules the preload bundles are environment-free (no node: imports)', () => {
  for (const name of ['ipc-contract', 'deep-link', 'app-identity', 'argv', 'navigation-policy', 'permission-policy', 'csp']) {
    const f = join(repoRoot, 'electron/main/lib', `${name}.ts`);
    for (const i of imports(f)) assert.ok(!i.startsWith('node:') && !i.startsWith('../../services') && !i.startsWith('../../../node/'), `${name}.ts imports ${i}`);
  }
});

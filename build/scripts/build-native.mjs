#!/usr/bin/env node
// Builds every native addon under native/<name>/binding.gyp with node-gyp against this Node's
// headers. The addons use Node-API only (no V8/NAN), so one build loads in Node and in Electron
// alike. Incremental: an addon whose build/ folder is configured is only re-made (make decides
// what changed), so `npm test` after a pull stays quick.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(join(root, 'package.json'));

/** Names of the addons (folders of native/ holding a binding.gyp). */
export function nativeAddonNames() {
  const dir = join(root, 'native');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'binding.gyp')))
    .map((d) => d.name)
    .sort();
}

function nodeGyp(cwd, args) {
  const gyp = require.resolve('node-gyp/bin/node-gyp.js');
  const r = spawnSync(process.execPath, [gyp, ...args], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`node-gyp ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal})`);
}

/**
 * This Node's headers: a distribution's Node (/usr/bin/node with /usr/include/node) has them
 * installed, and without --nodedir node-gyp would try to download them (no network here).
 */
function nodeDirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
}

export function buildNative({ log = (l) => process.stderr.write(`${l}\n`) } = {}) {
  for (const name of nativeAddonNames()) {
    const cwd = join(root, 'native', name);
    // Configure once (Makefile under build/), and again when binding.gyp changed (a source file
    // added: make alone would not know it); afterwards `build` is incremental.
    const makefile = join(cwd, 'build', 'Makefile');
    if (!existsSync(makefile) || statSync(join(cwd, 'binding.gyp')).mtimeMs > statSync(makefile).mtimeMs) {
      log(`native: configuring ${name}`);
      nodeGyp(cwd, ['configure', '--loglevel=warn', ...nodeDirArgs()]);
    }
    nodeGyp(cwd, ['build', '--loglevel=warn']);
    log(`native: built ${name}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    buildNative();
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
}

#!/usr/bin/env node
// Builds the packaged capture worker, dist/capture-worker-bin/ (`npm run build:worker`):
//
//   tapline-capture-worker   a Node single executable application (SEA): this Node's binary with
//                            the bundled worker (capture-worker/sea/main.ts) injected by postject
//   writer-thread.js         the live store writer's thread (node/store/live/writer-thread.ts),
//                            bundled: a worker thread starts from a file
//   pcap_binding.node        the npm pcap addon, built for this Node's ABI (the one embedded)
//   tapline_capture.node     Tapline's capture addon (native/capture, Node-API: the libpcap loop in
//                            a native thread, and the live segments' O_DIRECT writes), built first;
//                            loaded by absolute path (the SEA entry calls setPackagedNativeDir with
//                            its own folder; the writer thread finds it beside its bundle)
//   tapline_flow_index.node  the live writer's native indexing of packets of existing flows
//                            (native/flow-index); the writer thread loads it from beside its bundle
//   package.json             {"type":"commonjs"}, so writer-thread.js loads as CommonJS anywhere
//
// Why an executable of its own: file capabilities (setcap cap_net_raw,cap_net_admin=eip) belong
// on the program that calls libpcap, and granting them to the system `node` would give every
// Node script capture rights. A SEA can only require built-ins, so the bundle's two disk loads
// are rerouted to the files beside the executable: `import.meta.url` of every bundled module
// becomes <folder>/tapline-capture-worker.js (ThreadedLiveWriter finds ./writer-thread.js from
// it), and libpcap-binding.ts's `node:module` is capture-worker/sea/pcap-require-shim.ts
// (process.dlopen of ./pcap_binding.node). The folder is written beside the target and renamed
// into place, so a failed build never leaves half a worker.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './build-native.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(join(root, 'package.json'));

export const WORKER_EXECUTABLE = 'tapline-capture-worker';
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const META_URL = '__taplineSeaModuleUrl';

/** Reroutes `node:module` for the pcap binding loader only (see the header). */
const pcapShimPlugin = {
  name: 'tapline-pcap-require-shim',
  setup(b) {
    b.onResolve({ filter: /^(node:)?module$/ }, (args) => {
      if (!/[\\/]node[\\/]capture[\\/]sources[\\/]libpcap-binding\.ts$/.test(args.importer)) return undefined;
      return { path: join(root, 'capture-worker/sea/pcap-require-shim.ts') };
    });
  },
};

async function bundle(entry, outfile, plugins) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // A SEA's main script is CommonJS; import.meta is rebuilt from the executable's folder.
    define: { 'import.meta.url': META_URL },
    banner: {
      js: `var ${META_URL} = require("node:url").pathToFileURL(require("node:path").join(require("node:path").dirname(process.execPath), "${WORKER_EXECUTABLE}.js")).href;`,
    },
    plugins,
    legalComments: 'none',
    logLevel: 'error',
    tsconfig: 'capture-worker/tsconfig.json',
  });
}

/**
 * Runs the built worker once: its first line must be the protocol's `ready` with libpcap's
 * version (the addon loaded: right ABI, libpcap present). stdin is empty, so it exits at once.
 */
function smokeTest(exe) {
  const r = spawnSync(exe, [], { input: '', encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  let ready = null;
  try {
    ready = JSON.parse(r.stdout.split('\n')[0]);
  } catch {
    ready = null;
  }
  if (ready?.type !== 'ready' || typeof ready.info?.libpcap !== 'string') {
    throw new Error(`the built worker did not start with libpcap loaded (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error)).trim().slice(0, 2000)}`);
  }
}

/**
 * Builds the folder; returns its path. `node` is the Node binary embedded (default: the one
 * running this script, whose ABI the installed pcap addon was built for).
 */
export async function buildCaptureWorker({ outDir = join(root, 'dist/capture-worker-bin'), node = process.execPath, log = () => {} } = {}) {
  const target = resolve(outDir);
  const work = `${target}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const mainJs = join(work, 'worker-main.cjs');
    log('bundling capture-worker/sea/main.ts');
    await bundle('capture-worker/sea/main.ts', mainJs, [pcapShimPlugin]);
    log('bundling node/store/live/writer-thread.ts');
    await bundle('node/store/live/writer-thread.ts', join(work, 'writer-thread.js'), []);
    writeFileSync(join(work, 'package.json'), '{ "type": "commonjs" }\n');
    copyFileSync(require.resolve('pcap/build/Release/pcap_binding.node'), join(work, 'pcap_binding.node'));
    // Node-API: one build serves the embedded Node (and Electron) alike
    buildNative({ log });
    const nativeCapture = join(root, 'native/capture/build/Release/tapline_capture.node');
    if (!existsSync(nativeCapture)) throw new Error(`${nativeCapture} missing after npm run build:native`);
    copyFileSync(nativeCapture, join(work, 'tapline_capture.node'));
    const flowIndex = join(root, 'native/flow-index/build/Release/tapline_flow_index.node');
    if (!existsSync(flowIndex)) throw new Error(`${flowIndex} missing after npm run build:native`);
    copyFileSync(flowIndex, join(work, 'tapline_flow_index.node'));

    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(config, JSON.stringify({ main: mainJs, output: blob, disableExperimentalSEAWarning: true }));
    log(`preparing the SEA blob with ${node}`);
    execFileSync(node, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
    const exe = join(work, WORKER_EXECUTABLE);
    copyFileSync(node, exe);
    chmodSync(exe, 0o755);
    log('injecting the blob (postject)');
    const { inject } = require('postject');
    await inject(exe, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
    for (const f of [mainJs, blob, config]) rmSync(f);
    for (const f of ['writer-thread.js', 'pcap_binding.node', 'tapline_capture.node', 'tapline_flow_index.node', 'package.json']) chmodSync(join(work, f), 0o644);
    chmodSync(work, 0o755);
    log('checking that the executable starts and loads libpcap');
    smokeTest(exe);

    rmSync(target, { recursive: true, force: true });
    mkdirSync(dirname(target), { recursive: true });
    renameSync(work, target);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  if (!existsSync(join(target, WORKER_EXECUTABLE))) throw new Error(`no ${WORKER_EXECUTABLE} in ${target}`);
  return target;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const out = await buildCaptureWorker({ outDir: process.argv[2], log: (l) => process.stdout.write(`build:worker: ${l}\n`) });
  process.stdout.write(`capture worker built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${join(out, WORKER_EXECUTABLE)}\n`);
}

/**
 * The packaged capture worker's layout (dist/capture-worker-bin/, shipped as
 * resources/capture-worker/): the single executable and the files it loads at run time, which
 * sit beside it because a Node single executable cannot embed them.
 */
import { dirname, join } from 'node:path';

/** The executable: Node 20 with the bundled capture worker (capture-worker/sea/main.ts) injected. */
export const WORKER_EXECUTABLE = 'tapline-capture-worker';
/**
 * The live store writer's thread (node/store/live/writer-thread.ts, bundled): a worker thread
 * is started from a file, and ThreadedLiveWriter looks for writer-thread.js beside its module.
 */
export const WRITER_THREAD = 'writer-thread.js';
/** The npm `pcap` addon, built for the embedded Node's ABI; loaded with process.dlopen. */
export const PCAP_ADDON = 'pcap_binding.node';
/**
 * Tapline's capture addon (native/capture: the libpcap loop in a native thread, and the live
 * segments' O_DIRECT writes), built for the embedded Node; loaded by absolute path through
 * node/native/native-addon.ts (setPackagedNativeDir; the writer thread finds it beside its bundle).
 */
export const NATIVE_CAPTURE_ADDON = 'tapline_capture.node';
/**
 * The live writer's native indexing of packets of existing flows (native/flow-index), loaded by
 * the writer thread from beside its bundle (node/native/native-addon.ts).
 */
export const FLOW_INDEX_ADDON = 'tapline_flow_index.node';
/** {"type":"commonjs"}: writer-thread.js is CommonJS wherever the folder sits (a repo's package.json says "module"). */
export const PACKAGE_JSON = 'package.json';

/** Every file of the layout, the executable first. */
export const LAYOUT_FILES = [WORKER_EXECUTABLE, WRITER_THREAD, PCAP_ADDON, NATIVE_CAPTURE_ADDON, FLOW_INDEX_ADDON, PACKAGE_JSON] as const;

/** The folder of the running packaged worker. */
export function packagedWorkerDir(execPath: string = process.execPath): string {
  return dirname(execPath);
}

export function besideWorker(name: string, execPath: string = process.execPath): string {
  return join(packagedWorkerDir(execPath), name);
}

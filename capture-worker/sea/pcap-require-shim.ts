/**
 * Stands in for `node:module` in node/capture/sources/libpcap-binding.ts when the worker is
 * bundled into a single executable (build/scripts/build-capture-worker.mjs substitutes it).
 *
 * A single executable has no node_modules: the binding asks for
 * 'pcap/build/Release/pcap_binding.node', which here is the addon shipped beside the executable
 * and loaded with process.dlopen by its absolute path. Anything else goes to the real
 * createRequire (the bundle needs nothing else from disk; a miss is a clear error).
 */
import { createRequire as nodeCreateRequire } from 'node:module';
import { PCAP_ADDON, besideWorker } from './packaged-layout.js';

const PCAP_REQUEST = 'pcap/build/Release/pcap_binding.node';

let addon: unknown = null;

function loadAddon(): unknown {
  if (addon !== null) return addon;
  const path = besideWorker(PCAP_ADDON);
  const mod: { exports: unknown } = { exports: {} };
  // dlopen by absolute path: no search path is consulted (and AT_SECURE ignores LD_LIBRARY_PATH anyway)
  process.dlopen(mod, path);
  addon = mod.exports;
  return addon;
}

export function createRequire(from: string | URL): (id: string) => unknown {
  const real = nodeCreateRequire(from);
  return (id: string) => (id === PCAP_REQUEST ? loadAddon() : real(id));
}

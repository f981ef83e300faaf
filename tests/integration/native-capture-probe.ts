/**
 * Child program of capture-native.test.ts, run inside a test namespace: drives the capture addon
 * directly to prove its drop accounting. Opens IFACE with FILTER and a small kernel ring but lends
 * no buffer, prints "ready", waits for a line on stdin (the parent has sent its datagrams
 * meanwhile, so the ring overflowed), then lends buffers, stops, and prints one JSON line:
 * { delivered, psDrop, psRecv, ringDrops }.
 *   node --import tsx native-capture-probe.ts IFACE FILTER
 */
import { createInterface } from 'node:readline';
import { loadNativeCapture } from '../../node/capture/sources/native-capture-addon.js';

const [iface, filter] = process.argv.slice(2);
const n = loadNativeCapture();
if (!n.ok) throw new Error(n.reason);
const addon = n.addon;
const { handle } = addon.open({ iface, filter, snapLen: 2048, promiscuous: false, bufferSize: 65536, timeoutMs: 20, linkId: 0 });
let delivered = 0;
let closed = false;
const ended = new Promise<void>((resolve) => {
  addon.start(
    handle,
    (buf, _len, packets) => {
      delivered += packets;
      if (!closed) addon.give(handle, buf);
    },
    (error) => {
      if (error) process.stderr.write(`capture error: ${error}\n`);
      resolve();
    },
  );
});
process.stdout.write('ready\n');
const rl = createInterface({ input: process.stdin });
rl.once('line', () => {
  rl.close();
  for (let i = 0; i < 4; i++) addon.give(handle, new ArrayBuffer(1 << 20));
  // the thread drains what the ring kept within its timeout; stop drains the rest
  setTimeout(() => {
    addon.stop(handle);
    void ended.then(() => {
      const st = addon.stats(handle);
      closed = true;
      addon.close(handle);
      process.stdout.write(`${JSON.stringify({ delivered, psDrop: st.psDrop, psRecv: st.psRecv, ringDrops: st.ringDrops })}\n`, () => process.exit(0));
    });
  }, 300);
});

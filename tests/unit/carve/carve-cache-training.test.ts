/**
 * The build's training carve (electron/cli/carve-cache-training.ts), run before the carve bundle's
 * code cache is written, must really carve: its generated capture imports into a store and gives
 * its three HTTP bodies (binary with a length, HTML, chunked), or the cache would hold only
 * the functions run while loading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainCarve, trainingCapture } from '../../../electron/cli/carve-cache-training.js';
import { carveCommand } from '../../../electron/cli/carve-command.js';

test('the training capture is a pcap of one HTTP connection', () => {
  const cap = trainingCapture();
  assert.equal(new DataView(cap.buffer, cap.byteOffset).getUint32(0, true), 0xa1b2c3d4);
  assert.ok(cap.length > 600 * 1024);
});

test('the training carve carves the three bodies of its capture', async () => {
  assert.equal(await trainCarve(carveCommand), 3);
});

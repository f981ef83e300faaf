/** The payload panels' pure parts: follow blocks, ASCII/hex renderings, preview kinds, the store over a fake bridge. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CarvedFile, FollowResult } from '../../../common/bridge/messages.js';
import { asciiText, followBlocks, hexDump, previewKind } from '../../../renderer/src/payload/payload-format.js';
import { createPayloadStore } from '../../../renderer/src/payload/payload-store.js';
import { FakeBridge } from './fake-bridge.js';

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

const FOLLOW: FollowResult = {
  flow: 'ddc7da321d65-0',
  sensor: 'lab',
  protocol: 'tcp',
  client: { ip: '10.0.0.1', port: 40000 },
  server: { ip: '10.0.0.2', port: 80 },
  segments: [
    { dir: 0, offset: 0, data: b64('GET / HTTP/1.1\r\n'), gap_before: 0, ts: '1.0' },
    { dir: 0, offset: 16, data: b64('\r\n'), gap_before: 0, ts: '1.1' },
    { dir: 1, offset: 0, data: b64('HTTP/1.1 200 OK\r\n'), gap_before: 0, ts: '1.2' },
    { dir: 1, offset: 27, data: b64('\x00\x01tail'), gap_before: 10, ts: '1.3' },
  ],
  bytes: [18, 23],
  gap_bytes: [0, 10],
  truncated: false,
  max_bytes: 1048576,
};

test('follow blocks: contiguous segments of one direction merge; gaps start a new block', () => {
  const blocks = followBlocks(FOLLOW);
  assert.deepEqual(
    blocks.map((b) => [b.dir, b.offset, b.gapBefore, asciiText(b.bytes)]),
    [
      [0, 0, 0, 'GET / HTTP/1.1\r\n\r\n'],
      [1, 0, 0, 'HTTP/1.1 200 OK\r\n'],
      [1, 27, 10, '..tail'],
    ],
  );
  assert.equal(hexDump(new Uint8Array([0x41, 0x00, 0x42]), 16), `00000010  ${'41 00 42'.padEnd(47)}  A.B`);
});

test('previews: raster images as images, text as text, HTML/SVG/scripts only inert, the rest hex', () => {
  const f = (mime: string | null, declaredType: string | null = null, name: string | null = null) => ({ mime, declaredType, name });
  assert.equal(previewKind(f('image/png')), 'image');
  assert.equal(previewKind(f('image/svg+xml')), 'inert');
  assert.equal(previewKind(f('text/plain', 'text/html')), 'inert');
  assert.equal(previewKind(f('text/plain', null, 'x.js')), 'inert');
  assert.equal(previewKind(f('application/javascript')), 'inert');
  assert.equal(previewKind(f('text/plain')), 'text');
  assert.equal(previewKind(f('application/pdf')), 'hex');
  assert.equal(previewKind(f(null)), 'hex');
});

test('payload store: follow and files load through the bridge; errors kept; a later open wins', async () => {
  const bridge = new FakeBridge();
  bridge.follows.set(FOLLOW.flow, FOLLOW);
  const file = { sha256: 'a'.repeat(64), flowId: FOLLOW.flow, sensor: 'lab' } as CarvedFile;
  bridge.files.set(FOLLOW.flow, [file]);
  const store = createPayloadStore(bridge);
  const target = { flow: FOLLOW.flow, sensor: 'lab', label: 'x' };
  const p = store.getState().openFollow(target);
  assert.equal(store.getState().panel?.status, 'loading');
  await p;
  const panel = store.getState().panel;
  assert.ok(panel?.kind === 'follow' && panel.status === 'ready');
  assert.deepEqual(panel.result, FOLLOW);
  await store.getState().openFiles(target);
  const files = store.getState().panel;
  assert.ok(files?.kind === 'files' && files.files.length === 1);
  await store.getState().openFiles({ ...target, flow: 'ddc7da321d65-9' });
  assert.equal(store.getState().panel?.error?.status, 404);
  // a slow load that finishes after another open is dropped
  const slow = store.getState().openFollow(target);
  store.getState().close();
  await slow;
  assert.equal(store.getState().panel, null);
  assert.equal(bridge.fileUrl('b'.repeat(64), { download: true, name: 'a b' }), `http://x/api/files/${'b'.repeat(64)}?download=1&name=a%20b`);
});

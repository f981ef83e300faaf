/**
 * Streaming upload import (serve): an upload created with the capture's fingerprint is imported
 * while it arrives. Flow events and import progress come before the last chunk is sent; the
 * result, the flows and the index equal an ordinary import of the same file. An upload
 * abandoned (DELETE) or stalled stops that import with the reason in an `import` event and keeps
 * nothing (no capture, no index); a stalled upload completed later is imported the ordinary way;
 * a fingerprint that does not match the bytes is caught before anything is recorded, and the
 * upload is then imported the ordinary way. The browser's fingerprint (renderer) equals the
 * store's for small and large files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { FlowRowSchema, ImportResultSchema, type TaplineEvent } from '../../common/bridge/messages.js';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { captureFingerprint } from '../../node/store/capture-fingerprint.js';
import { captureFingerprintOf } from '../../renderer/src/bridge/capture-fingerprint.js';
import { liveTraffic } from '../helpers/live-traffic.js';
import { bearer, cliFlows, cliImport, raw, startServe, type Running } from './server-harness.js';

const root = mkdtempSync(join(tmpdir(), 'tl-upload-stream-'));
after(() => rmSync(root, { recursive: true, force: true }));
const CHUNK = 256 * 1024;

/** A pcap of generated traffic (several MB: many chunks). */
function writeCapture(path: string, seed: number, count: number): Buffer {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 262144, nanosecond: true })];
  for (const p of liveTraffic({ seed, count, flows: 60, maxPayload: 1200 })) {
    const h = new Uint8Array(16);
    writePcapRecordHeader(h, 0, p.tsSec, p.tsNsec, p.capLen, p.origLen);
    parts.push(h, p.data.subarray(0, p.capLen));
  }
  const b = Buffer.concat(parts);
  writeFileSync(path, b);
  return b;
}

const headers = { ...bearer(), 'Content-Type': 'application/json' };

async function create(srv: Running, name: string, size: number, fingerprint?: string): Promise<{ id: string; streaming?: boolean }> {
  const r = await raw(srv.base, 'POST', '/api/uploads', { headers, body: JSON.stringify({ name, size, ...(fingerprint ? { fingerprint } : {}) }) });
  assert.equal(r.status, 201, r.body.toString());
  return r.json();
}

async function put(srv: Running, id: string, bytes: Buffer, from: number, to: number): Promise<void> {
  for (let at = from; at < to; at += CHUNK) {
    const end = Math.min(to, at + CHUNK);
    const r = await raw(srv.base, 'PUT', `/api/uploads/${id}?offset=${at}`, { headers: { ...bearer(), 'Content-Type': 'application/octet-stream' }, body: bytes.subarray(at, end) });
    assert.equal(r.status, 200, r.body.toString());
  }
}

/** Events of the served services, as they are published. */
function record(srv: Running): { events: TaplineEvent[]; stop: () => void } {
  const events: TaplineEvent[] = [];
  const stop = srv.services.bus.subscribe((b) => events.push(...b.events));
  return { events, stop };
}

const until = async (what: string, ok: () => boolean, ms = 20_000): Promise<void> => {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('streaming upload import', () => {
  let capPath = '';
  let cap: Buffer;
  let fp = '';
  /** The flows an ordinary `tapline import` of the same file gives. */
  let reference: Record<string, unknown>[] = [];

  before(async () => {
    capPath = join(root, 'traffic.pcap');
    cap = writeCapture(capPath, 21, 6000);
    fp = (await captureFingerprint(capPath)).fingerprint;
    const refStore = join(root, 'ref');
    cliImport(refStore, capPath);
    reference = cliFlows(refStore, '--limit', '100000');
    assert.ok(cap.length > 12 * CHUNK, `${cap.length} bytes: many chunks`);
  });

  test('the browser\'s fingerprint is the store\'s (whole small file, sampled large file)', async () => {
    const digest = (a: 'SHA-256', d: Uint8Array) => webcrypto.subtle.digest(a, d);
    const asFile = (b: Buffer) => ({ name: 'x', size: b.length, slice: (s: number, e: number) => ({ arrayBuffer: async () => new Uint8Array(b.subarray(s, e)).buffer }) });
    assert.equal(await captureFingerprintOf(asFile(cap), digest), fp);
    const small = cap.subarray(0, 300_000);
    const smallPath = join(root, 'small.pcap');
    writeFileSync(smallPath, small);
    assert.equal(await captureFingerprintOf(asFile(small), digest), (await captureFingerprint(smallPath)).fingerprint);
    assert.equal(await captureFingerprintOf(asFile(small), null), null, 'no WebCrypto: no fingerprint');
  });

  test('flows and progress arrive while the upload runs; the result equals an ordinary import', async () => {
    const dir = join(root, 's1');
    const srv = await startServe({ storeDir: dir, sensorId: 'up1' });
    const rec = record(srv);
    try {
      const { id, streaming } = await create(srv, 'traffic.pcap', cap.length, fp);
      assert.equal(streaming, true);
      const half = Math.floor(cap.length / 2);
      await put(srv, id, cap, 0, half);
      await until('flow events of the capture before the upload ended', () => rec.events.some((e) => e.kind === 'flow' && e.flow.id.startsWith(fp.slice(0, 12))));
      const progress = rec.events.filter((e) => e.kind === 'import-progress');
      assert.ok(progress.length > 0 && progress.every((e) => e.kind === 'import-progress' && e.bytes_read <= half && e.total_bytes === cap.length), 'progress only over what arrived, against the declared size');
      await put(srv, id, cap, half, cap.length);
      const r = await raw(srv.base, 'POST', `/api/uploads/${id}/import`, { headers });
      assert.equal(r.status, 200, r.body.toString());
      const result = ImportResultSchema.parse(r.json());
      assert.equal(result.status, 'indexed');
      assert.equal(result.capture_id, fp.slice(0, 12));
      assert.equal(result.flows, reference.length);
      const rows = FlowRowSchema.array().parse((await raw(srv.base, 'GET', '/api/flows?limit=100000', { headers: bearer() })).json());
      assert.deepEqual(
        rows.map(({ sensor: _s, rank: _r, classes: _c, log_count: _l, ...x }) => x),
        reference.map(({ log_count: _l, ...x }) => x),
        'the same flows as `tapline import` of the file',
      );
      const again = await raw(srv.base, 'POST', `/api/uploads/${id}/import`, { headers });
      assert.deepEqual(ImportResultSchema.parse(again.json()), result, 'a repeat returns the same result');
      await until('the import event', () => rec.events.some((e) => e.kind === 'import'));
      srv.services.bus.flush();
      assert.equal(rec.events.filter((e) => e.kind === 'import').length, 1, 'one import, one result event');
    } finally {
      rec.stop();
      await srv.close();
    }
  });

  test('an abandoned upload stops its import: a failed import event with the reason, nothing kept', async () => {
    const dir = join(root, 's2');
    const srv = await startServe({ storeDir: dir, sensorId: 'up2' });
    const rec = record(srv);
    try {
      const { id } = await create(srv, 'traffic.pcap', cap.length, fp);
      await put(srv, id, cap, 0, 4 * CHUNK);
      await until('the import to read the first chunks', () => rec.events.some((e) => e.kind === 'import-progress'));
      const del = await raw(srv.base, 'DELETE', `/api/uploads/${id}`, { headers: bearer() });
      assert.equal(del.status, 204, del.body.toString());
      await until('the import event', () => rec.events.some((e) => e.kind === 'import'));
      const ev = rec.events.find((e) => e.kind === 'import');
      assert.ok(ev && ev.kind === 'import');
      assert.equal(ev.result.status, 'failed');
      assert.match(ev.result.message ?? '', /abandoned at 1048576 of \d+ bytes; the import that was reading it stopped and kept nothing/);
      assert.deepEqual(srv.services.local.store.captures, [], 'no capture recorded');
      assert.deepEqual(readdirSync(join(dir, 'indexes')), [], 'no index written');
      assert.deepEqual(readdirSync(join(dir, 'uploads')), [], 'the partial file is gone');
      assert.equal((await raw(srv.base, 'PUT', `/api/uploads/${id}?offset=${4 * CHUNK}`, { headers: { ...bearer(), 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(1) })).status, 404, 'the upload is gone');
    } finally {
      rec.stop();
      await srv.close();
    }
  });

  test('a stalled upload stops its import (nothing kept); completed later, it is imported the ordinary way', async () => {
    const dir = join(root, 's3');
    const srv = await startServe({ storeDir: dir, sensorId: 'up3', uploadStallMs: 800 });
    const rec = record(srv);
    try {
      const { id } = await create(srv, 'traffic.pcap', cap.length, fp);
      await put(srv, id, cap, 0, 3 * CHUNK);
      await until('the stall to stop the import', () => rec.events.some((e) => e.kind === 'import'));
      const ev = rec.events.find((e) => e.kind === 'import');
      assert.ok(ev && ev.kind === 'import');
      assert.equal(ev.result.status, 'failed');
      assert.match(ev.result.message ?? '', /the upload stalled: no data for 1 s at 786432 of \d+ bytes/);
      assert.deepEqual(srv.services.local.store.captures, []);
      assert.equal(existsSync(join(dir, 'indexes', `${fp.slice(0, 12)}.tpi`)), false);
      await put(srv, id, cap, 3 * CHUNK, cap.length);
      const r = await raw(srv.base, 'POST', `/api/uploads/${id}/import`, { headers });
      const result = ImportResultSchema.parse(r.json());
      assert.equal(result.status, 'indexed');
      assert.equal(result.flows, reference.length);
      const stored = readFileSync(result.path);
      assert.ok(stored.equals(cap), 'the upload is the file');
    } finally {
      rec.stop();
      await srv.close();
    }
  });

  test('a fingerprint that does not match the bytes: caught before anything is recorded, then imported the ordinary way', async () => {
    const dir = join(root, 's4');
    const srv = await startServe({ storeDir: dir, sensorId: 'up4' });
    const rec = record(srv);
    try {
      const wrong = 'ab'.repeat(32);
      const { id } = await create(srv, 'traffic.pcap', cap.length, wrong);
      await put(srv, id, cap, 0, cap.length);
      const r = await raw(srv.base, 'POST', `/api/uploads/${id}/import`, { headers });
      const result = ImportResultSchema.parse(r.json());
      assert.equal(result.status, 'indexed');
      assert.equal(result.capture_id, fp.slice(0, 12), 'the id of the real content');
      await until('both import events', () => rec.events.filter((e) => e.kind === 'import').length === 2);
      const results = rec.events.flatMap((e) => (e.kind === 'import' ? [e.result] : []));
      assert.deepEqual(
        results.map((x) => x.status),
        ['failed', 'indexed'],
      );
      assert.match(results[0].message ?? '', /do not match the fingerprint sent with the upload; nothing was imported/);
      assert.deepEqual(readdirSync(join(dir, 'indexes')), [`${fp.slice(0, 12)}.tpi`], 'only the real index');
    } finally {
      rec.stop();
      await srv.close();
    }
  });
});

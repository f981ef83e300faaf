/**
 * SMB2 file carving on generated sessions (NetBIOS framing, SMB2 headers as MS-SMB2 lays them
 * out): a file read in out-of-order READs is assembled in offset order with its name and share
 * from CREATE and TREE_CONNECT; a compound CREATE + WRITE (related FileId) is an upload; a file
 * read only in part is incomplete with the missing size; other protocols are given up at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Smb2Carver } from '../../../common/carve/smb/smb2-carver.js';
import { c, runSteps, s } from './stream-steps.js';

import { WRITE, closeReq, compound, content, createReq, createResp, fid, header, nb, readReq, readResp, treeConnect, writeReq } from './smb2-session.js';

test('SMB2 READs answered out of order are assembled in offset order, named by CREATE and TREE_CONNECT', () => {
  const body = content(100_000, 7);
  const [tcReq, tcResp] = treeConnect(2, '\\\\srv\\share');
  for (const piece of [Infinity, 1448, 7]) {
    const { sink, carver } = runSteps(
      (k) => new Smb2Carver(k),
      [
        c(tcReq),
        s(tcResp),
        c(nb(createReq(3, 'docs\\report.pdf'))),
        s(nb(createResp(3, fid(1), body.length))),
        c(Buffer.concat([readReq(4, fid(1), 0, 40_000), readReq(5, fid(1), 40_000, 40_000), readReq(6, fid(1), 80_000, 40_000)])),
        s(Buffer.concat([readResp(4, body.subarray(0, 40_000)), readResp(6, body.subarray(80_000)), readResp(5, body.subarray(40_000, 80_000))])),
        c(closeReq(7, fid(1))),
      ],
      piece,
    );
    assert.ok(carver.recognized);
    const files = sink.list();
    assert.equal(files.length, 1, `piece ${piece}`);
    const [f] = files;
    assert.ok(f.bytes.equals(body), `piece ${piece}: bytes in offset order`);
    assert.deepEqual(
      [f.start.protocol, f.start.kind, f.start.direction, f.start.name, f.start.http.url, f.start.http.method, f.start.declaredLength, f.end?.incomplete, f.end?.missingBytes],
      ['smb', 'transfer', 'download', 'docs/report.pdf', 'smb://srv/share/docs/report.pdf', 'READ', 100_000, false, 0],
    );
  }
});

test('SMB2 compound CREATE + WRITE with a related FileId is an upload; a file read in part is incomplete by what was not read', () => {
  const up = content(3000, 3);
  const part = content(1000, 5);
  const { sink } = runSteps(
    (k) => new Smb2Carver(k),
    [
      c(compound(createReq(10, 'in\\up.bin'), writeReq(11, Buffer.alloc(16, 0xff), 0, up.subarray(0, 2000), true))),
      s(compound(createResp(10, fid(2), 0), Buffer.concat([header(WRITE, 11, { response: true, treeId: 7 }), Buffer.alloc(16)]))),
      c(nb(writeReq(12, fid(2), 2000, up.subarray(2000)))),
      c(closeReq(13, fid(2))),
      c(nb(createReq(14, 'big.iso'))),
      s(nb(createResp(14, fid(3), 5000))),
      c(readReq(15, fid(3), 0, 1000)),
      s(readResp(15, part)),
    ],
    100,
  );
  const [u, r] = sink.list();
  assert.ok(u.bytes.equals(up));
  assert.deepEqual([u.start.direction, u.start.name, u.start.http.method, u.end?.incomplete], ['upload', 'in/up.bin', 'WRITE', false]);
  assert.ok(r.bytes.equals(part));
  assert.deepEqual([r.start.name, r.end?.incomplete, r.end?.missingBytes], ['big.iso', true, 4000]);
  assert.ok(r.end?.notes.includes("1000 of the file's 5000 bytes were read in this flow"), JSON.stringify(r.end?.notes));
});

test('SMB2 carver gives up at once on other protocols', () => {
  for (const first of ['GET / HTTP/1.1\r\n\r\n', '220 smtp ready\r\n', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5])]) {
    const { carver, sink } = runSteps((k) => new Smb2Carver(k), [c(first)]);
    assert.equal(carver.gaveUp, true);
    assert.equal(sink.list().length, 0);
  }
});

test('SMB2 end to end: carvePayload stores the read file with protocol smb, its name, URL and digests', async (t) => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createHash } = await import('node:crypto');
  const { carvePayload } = await import('../../../node/carve/carve-flow.js');
  const { FileStore } = await import('../../../node/carve/file-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'tapline-smb2-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const body = content(70_000, 11);
  const [tcReq, tcResp] = treeConnect(2, '\\\\fs1\\pub');
  const steps: [0 | 1, Buffer][] = [
    [0, tcReq],
    [1, tcResp],
    [0, nb(createReq(3, 'a\\b\\notes.txt'))],
    [1, nb(createResp(3, fid(9), body.length))],
    [0, readReq(4, fid(9), 0, 65_536)],
    [1, readResp(4, body.subarray(0, 65_536))],
    [0, readReq(5, fid(9), 65_536, 65_536)],
    [1, readResp(5, body.subarray(65_536))],
    [0, closeReq(6, fid(9))],
  ];
  const r = await carvePayload(FileStore.open(dir), '0123456789ab-7', async (sink) => {
    const off = [0, 0];
    steps.forEach(([d, data], i) => {
      sink.onData({ dir: d, offset: off[d], data, gapBefore: 0, tsSec: 10 + i, tsNsec: 0, packet: i });
      off[d] += data.length;
    });
    sink.onEnd(0, 'fin', 0);
    sink.onEnd(1, 'fin', 0);
  });
  assert.deepEqual(r.protocols, ['smb']);
  assert.equal(r.files.length, 1);
  const [f] = r.files;
  assert.deepEqual(
    [f.protocol, f.kind, f.name, f.url, f.host, f.method, f.size, f.sha256, f.incomplete, f.direction],
    ['smb', 'transfer', 'notes.txt', 'smb://fs1/pub/a/b/notes.txt', 'fs1', 'READ', body.length, createHash('sha256').update(body).digest('hex'), false, 'download'],
  );
});

test('SMB2: thousands of tiny WRITEs in reverse order stay bounded: held pieces are capped, the holes before them become gaps, every byte is either carved or counted missing', () => {
  const n = 5000;
  const msgs: Buffer[] = [];
  for (let i = n - 1; i >= 0; i--) msgs.push(nb(writeReq(100 + i, fid(4), i, Buffer.from([i & 0xff]))));
  const { sink } = runSteps((k) => new Smb2Carver(k), [c(nb(createReq(99, 'r.bin'))), s(nb(createResp(99, fid(4), n))), c(Buffer.concat(msgs)), c(closeReq(7, fid(4)))]);
  const [f] = sink.list();
  assert.equal(f.bytes.length + (f.end?.missingBytes ?? 0), n);
  assert.equal(f.end?.incomplete, true);
});

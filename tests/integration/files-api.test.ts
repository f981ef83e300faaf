/**
 * Follow-stream and carved files over the serve API, on a generated HTTP capture (no corpus
 * needed): follow equals `tapline follow --format raw` bytes, the files list and downloads equal
 * the carved records (and `tapline carve`), an HTML file is served inert, bad ids 400, unknown
 * sha256 404, and carving publishes file events.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CarvedFileSchema, FollowResultSchema, type FlowRow, type FollowResult } from '../../common/bridge/messages.js';
import { writeHttpCapture } from '../helpers/http-capture.js';
import { bearer, cliImport, raw, startServe, tapline, type Running } from './server-harness.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const TEXT = Buffer.from('plain text file\n'.repeat(30));
const HTML = Buffer.from('<html><body><script>alert(1)</script><img src=x onerror=alert(2)></body></html>\n');
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 7)]);

let dir = '';
let store = '';
let run: Running;
let flows: FlowRow[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-files-api-'));
  store = join(dir, 'store');
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, [
    { name: 'notes.txt', body: TEXT },
    { name: 'page.html', body: HTML, type: 'text/html' },
    { name: 'pic.png', body: PNG, type: 'image/png' },
  ]);
  cliImport(store, pcap);
  run = await startServe({ storeDir: store, sensorId: 'files-test' });
  const res = await raw(run.base, 'GET', '/api/flows?proto=tcp', { headers: bearer() });
  flows = res.json<FlowRow[]>().sort((a, b) => (a.client_port ?? 0) - (b.client_port ?? 0));
  assert.equal(flows.length, 3);
});

after(async () => {
  await run?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('GET /api/flows/{id}/follow equals `tapline follow` bytes', async () => {
  for (const f of flows) {
    const r = await raw(run.base, 'GET', `/api/flows/${f.id}/follow`, { headers: bearer() });
    assert.equal(r.status, 200, r.body.toString());
    const fr: FollowResult = FollowResultSchema.parse(r.json());
    assert.equal(fr.truncated, false);
    assert.equal(fr.max_bytes, 1024 * 1024);
    // raw format: one hex line per chunk, server→client lines indented by a tab
    const cli = tapline('follow', '--store', store, '--flow', f.id, '--format', 'raw');
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.split('\n').filter((l) => /^\t?[0-9a-f]+$/.test(l));
    const fromCli = [0, 1].map((d) => Buffer.from(lines.filter((l) => l.startsWith('\t') === (d === 1)).map((l) => l.trim()).join(''), 'hex'));
    const fromApi = [0, 1].map((d) => Buffer.concat(fr.segments.filter((s) => s.dir === d).map((s) => Buffer.from(s.data, 'base64'))));
    assert.ok(fromApi[0].toString('latin1').startsWith('GET /dl/'));
    assert.deepEqual(fromApi, fromCli);
    assert.deepEqual(fr.bytes, [fromApi[0].length, fromApi[1].length]);
  }
  const capped = FollowResultSchema.parse((await raw(run.base, 'GET', `/api/flows/${flows[0].id}/follow?max_bytes=10`, { headers: bearer() })).json());
  assert.equal(capped.truncated, true);
  assert.equal(capped.bytes[0] + capped.bytes[1], 10);
});

test('GET /api/flows/{id}/files and /api/files/{sha256}: the carved records and their bytes', async () => {
  const all = [];
  for (const f of flows) {
    const r = await raw(run.base, 'GET', `/api/flows/${f.id}/files`, { headers: bearer() });
    assert.equal(r.status, 200, r.body.toString());
    const files = z.array(CarvedFileSchema).parse(r.json());
    assert.equal(files.length, 1);
    assert.equal(files[0].sensor, 'files-test');
    assert.equal(files[0].flowId, f.id);
    // the second request reuses the stored records
    assert.deepEqual(z.array(CarvedFileSchema).parse((await raw(run.base, 'GET', `/api/flows/${f.id}/files`, { headers: bearer() })).json()), files);
    all.push(files[0]);
  }
  assert.deepEqual(all.map((f) => f.sha256), [sha(TEXT), sha(HTML), sha(PNG)]);
  // equal to what the CLI carves
  const cli = tapline('carve', '--store', store, '-o', join(dir, 'out'), '--json');
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(cli.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { sha256: string }).sha256).sort(), all.map((f) => f.sha256).sort());

  for (const f of all) {
    const r = await raw(run.base, 'GET', `/api/files/${f.sha256}`, { headers: bearer() });
    assert.equal(r.status, 200);
    assert.equal(sha(r.body), f.sha256);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(String(r.headers['content-security-policy']), /^sandbox/);
    const d = await raw(run.base, 'GET', `/api/files/${f.sha256}?download=1&name=${encodeURIComponent('../x y.bin')}`, { headers: bearer() });
    assert.equal(sha(d.body), f.sha256);
    assert.match(String(d.headers['content-disposition']), /^attachment; filename="x_y\.bin"$/);
  }
  const [text, html, png] = all;
  assert.equal((await raw(run.base, 'GET', `/api/files/${png.sha256}`, { headers: bearer() })).headers['content-type'], 'image/png');
  assert.equal((await raw(run.base, 'GET', `/api/files/${text.sha256}`, { headers: bearer() })).headers['content-type'], 'text/plain; charset=utf-8');
  // HTML is never served as HTML: text/plain inline, octet-stream as a download; sandboxed either way
  const h = await raw(run.base, 'GET', `/api/files/${html.sha256}`, { headers: bearer() });
  assert.equal(h.headers['content-type'], 'text/plain; charset=utf-8');
  assert.match(String(h.headers['content-security-policy']), /sandbox/);
  assert.equal((await raw(run.base, 'GET', `/api/files/${html.sha256}?download=1`, { headers: bearer() })).headers['content-type'], 'application/octet-stream');

  // file events were published and journaled when the flows were carved
  const ev = await raw(run.base, 'GET', '/api/events?kind=file', { headers: bearer() });
  assert.equal(ev.status, 200);
  const shas = ev.json<{ kind: string; file: { sha256: string } }[]>().filter((e) => e.kind === 'file').map((e) => e.file.sha256);
  for (const f of all) assert.ok(shas.includes(f.sha256), `file event for ${f.name}`);
});

test('bad ids 400, unknown flows and files 404, non-stream flows 400', async () => {
  for (const p of ['/api/flows/nope/files', '/api/flows/nope/follow', '/api/files/xyz', `/api/files/${'AB'.repeat(32)}`, `/api/flows/${flows[0].id}/follow?max_bytes=0`]) {
    assert.equal((await raw(run.base, 'GET', p, { headers: bearer() })).status, 400, p);
  }
  const unknownFlow = `${flows[0].id.split('-')[0]}-999999`;
  for (const p of [`/api/flows/${unknownFlow}/files`, `/api/flows/${unknownFlow}/follow`, `/api/files/${'0'.repeat(64)}`]) {
    const r = await raw(run.base, 'GET', p, { headers: bearer() });
    assert.equal(r.status, 404, `${p}: ${r.body.toString()}`);
  }
  assert.equal((await raw(run.base, 'GET', `/api/flows/${flows[0].id}/files`)).status, 401);
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { BridgeCallError, type ImportFile } from '../../../common/bridge/bridge.js';
import type { ImportResult } from '../../../common/bridge/messages.js';
import type { TransferProgress } from '../../../renderer/src/bridge/capabilities.js';
import { HttpBridge } from '../../../renderer/src/bridge/http-bridge.js';
import { HTTP_V4, HTTP_V6 } from './fixtures.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Seen, res: ServerResponse) => void;

const seen: Seen[] = [];
let handler: Handler = (_r, res) => res.writeHead(404).end();
let origin = '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
    seen.push(s);
    handler(s, res);
  });
});

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  seen.length = 0;
});

const downloads: [string, string][] = [];

function bridge(chunkBytes?: number): HttpBridge {
  const noSocket = () => {
    throw new Error('no sockets in this test');
  };
  return new HttpBridge({
    origin,
    fetch: (url, init) => fetch(url, init),
    openSocket: noSocket,
    startDownload: (url, name) => downloads.push([url, name]),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => 0.5,
    chunkBytes,
  });
}

async function rejects(p: Promise<unknown>, check: (e: BridgeCallError) => void): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof BridgeCallError, `not a BridgeCallError: ${String(e)}`);
    check(e);
    return;
  }
  assert.fail('expected a rejection');
}

test('searchFlows sends the search as query parameters and checks the rows', async () => {
  handler = (_r, res) => json(res, 200, [HTTP_V4, HTTP_V6]);
  const rows = await bridge().searchFlows({ hosts: ['10.0.0.0/8', '2001:db8::1'], port: 80, proto: 6, since: '1362692526', limit: 50, sensor: 'lab' });
  assert.deepEqual(rows, [HTTP_V4, HTTP_V6]);
  assert.equal(seen[0].method, 'GET');
  assert.equal(seen[0].url, '/api/flows?host=10.0.0.0%2F8&host=2001%3Adb8%3A%3A1&port=80&proto=6&since=1362692526&limit=50&sensor=lab');
  assert.equal(seen[0].headers['x-tapline-request'], undefined, 'reads carry no CSRF header');
});

test('a response that does not match the schema is refused in words', async () => {
  handler = (_r, res) => json(res, 200, [{ ...HTTP_V4, client_port: 70000 }]);
  await rejects(bridge().searchFlows({}), (e) => {
    assert.match(e.message, /does not understand.*\/api\/flows.*client_port/);
    assert.match(e.hint ?? '', /reload/);
  });
  handler = (_r, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>');
  await rejects(bridge().info(), (e) => assert.match(e.message, /not JSON/));
  handler = (_r, res) => json(res, 200, { version: '1', sensors: [{ id: '' }], api_base: null });
  await rejects(bridge().info(), (e) => assert.match(e.message, /sensors/));
  handler = (_r, res) => json(res, 200, [{ sensor: 'x', captures: 'none', total: {} }]);
  await rejects(bridge().stats(), (e) => assert.match(e.message, /captures/));
});

test('4xx errors keep the server message and hint; 401 asks to log in; 5xx without JSON is explained', async () => {
  handler = (_r, res) => json(res, 400, { error: 'host "x" is not an IP address or CIDR block', hint: 'use 10.0.0.0/8' });
  await rejects(bridge().searchFlows({ hosts: ['x'] }), (e) => {
    assert.equal(e.message, 'host "x" is not an IP address or CIDR block');
    assert.equal(e.hint, 'use 10.0.0.0/8');
    assert.equal(e.status, 400);
  });
  handler = (_r, res) => json(res, 401, { error: 'not logged in' });
  await rejects(bridge().stats(), (e) => {
    assert.equal(e.status, 401);
    assert.match(e.hint ?? '', /\/login/);
  });
  handler = (_r, res) => res.writeHead(502, 'Bad Gateway').end('upstream down');
  await rejects(bridge().stats(), (e) => {
    assert.equal(e.status, 502);
    assert.match(e.message, /HTTP 502/);
    assert.match(e.hint ?? '', /server failed/);
  });
});

test('an unreachable server is a BridgeCallError with what to check', async () => {
  const b = new HttpBridge({
    origin: 'http://127.0.0.1:9',
    fetch: (url, init) => fetch(url, init),
    openSocket: () => {
      throw new Error('unused');
    },
    startDownload: () => undefined,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: () => undefined,
    now: () => 0,
    random: () => 0,
  });
  await rejects(b.info(), (e) => {
    assert.match(e.message, /Cannot reach/);
    assert.match(e.hint ?? '', /tapline serve/);
  });
});

test('an invalid search is refused before any request', async () => {
  await rejects(bridge().searchFlows({ port: 70000 }), (e) => assert.match(e.message, /flow search is not valid: port/));
  assert.equal(seen.length, 0);
});

/** A file whose reads are recorded: each slice must be a bounded chunk, read one at a time. */
function fakeFile(name: string, bytes: Buffer): ImportFile & { reads: [number, number][]; maxInFlight: number } {
  let inFlight = 0;
  const f = {
    name,
    size: bytes.length,
    reads: [] as [number, number][],
    maxInFlight: 0,
    slice(start: number, end: number) {
      return {
        arrayBuffer: async () => {
          f.reads.push([start, end]);
          inFlight++;
          f.maxInFlight = Math.max(f.maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
          const b = bytes.subarray(start, end);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        },
      };
    },
  };
  return f;
}

const RESULT: ImportResult = { path: '/store/uploads/abc-x.pcap', status: 'indexed', capture_id: 'ddc7da321d65', packets: 14, flows: 1, bytes: 25, index_bytes: 900, message: null };

test('uploads go in sequential chunks, then import; progress is reported', async () => {
  const received = new Map<string, Buffer>();
  handler = (r, res) => {
    if (r.method === 'POST' && r.url === '/api/uploads') {
      const body = JSON.parse(r.body.toString()) as { name: string; size: number };
      received.set(body.name, Buffer.alloc(0));
      return json(res, 201, { id: `id-${body.name}` });
    }
    const put = /^\/api\/uploads\/id-([^/?]+)\?offset=(\d+)$/.exec(r.url);
    if (r.method === 'PUT' && put) {
      const prev = received.get(put[1]) ?? Buffer.alloc(0);
      assert.equal(Number(put[2]), prev.length, 'offset = bytes so far');
      received.set(put[1], Buffer.concat([prev, r.body]));
      return json(res, 200, { received: prev.length + r.body.length });
    }
    const imp = /^\/api\/uploads\/id-([^/]+)\/import$/.exec(r.url);
    if (r.method === 'POST' && imp) {
      if (imp[1] === 'bad.pcap') return json(res, 409, { error: 'not a capture', hint: 'pick a pcap or pcapng file' });
      return json(res, 200, { ...RESULT, path: `/store/uploads/abc-${imp[1]}`, bytes: received.get(imp[1])?.length ?? 0 });
    }
    res.writeHead(404).end();
  };
  const a = fakeFile('a.pcap', Buffer.from('0123456789abcdefghijklmno'));
  const bad = fakeFile('bad.pcap', Buffer.from('xyz'));
  const empty = fakeFile('empty.pcap', Buffer.alloc(0));
  const b = bridge(10);
  const progress: TransferProgress[] = [];
  b.onTransferProgress((p) => progress.push(p));
  const results = await b.importCaptures([a, bad, empty]);

  assert.deepEqual(a.reads, [
    [0, 25], // the fingerprint: the whole file under 1 MiB, 16 samples of 64 KiB above
    [0, 10],
    [10, 20],
    [20, 25],
  ]);
  assert.equal(a.maxInFlight, 1);
  assert.equal(received.get('a.pcap')?.toString(), '0123456789abcdefghijklmno');
  assert.deepEqual(empty.reads, [[0, 0]], 'an empty file: only its (empty) fingerprint read');
  const puts = seen.filter((s) => s.method === 'PUT');
  for (const p of puts) {
    assert.equal(p.headers['content-type'], 'application/octet-stream');
    assert.equal(p.headers['x-tapline-request'], '1');
    assert.ok(p.body.length <= 10);
  }
  const create = seen.find((s) => s.method === 'POST' && s.url === '/api/uploads');
  assert.equal(create?.headers['content-type'], 'application/json');
  assert.equal(create?.headers['x-tapline-request'], '1');
  // the capture's fingerprint as the store computes it: the server imports while the upload runs
  const fp = createHash('sha256').update('tapline-fp-v1:25:').update('0123456789abcdefghijklmno').digest('hex');
  assert.deepEqual(JSON.parse(create?.body.toString() ?? ''), { name: 'a.pcap', size: 25, fingerprint: fp });

  assert.equal(results.length, 3);
  assert.equal(results[0].status, 'indexed');
  assert.equal(results[0].bytes, 25);
  assert.equal(results[1].status, 'failed');
  assert.equal(results[1].path, 'bad.pcap');
  assert.equal(results[1].message, 'not a capture pick a pcap or pcapng file');
  assert.equal(results[2].status, 'indexed');

  const forA = progress.filter((p) => p.file === a).map((p) => `${p.phase}:${p.sent}`);
  assert.deepEqual(forA, ['uploading:0', 'uploading:10', 'uploading:20', 'uploading:25', 'indexing:25']);
});

test('a real File is uploaded as Blob slices (never read into the page), in order, byte for byte', async () => {
  const received = new Map<string, Buffer>();
  handler = (r, res) => {
    if (r.method === 'POST' && r.url === '/api/uploads') {
      received.set('f.pcap', Buffer.alloc(0));
      return json(res, 201, { id: 'id-f.pcap' });
    }
    if (r.method === 'PUT') {
      received.set('f.pcap', Buffer.concat([received.get('f.pcap') ?? Buffer.alloc(0), r.body]));
      return json(res, 200, { received: received.get('f.pcap')?.length ?? 0 });
    }
    if (r.method === 'POST') return json(res, 200, { ...RESULT, bytes: received.get('f.pcap')?.length ?? 0 });
    res.writeHead(404).end();
  };
  const content = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  const file = new File([content], 'f.pcap');
  // a File whose bytes cannot be read into the page: only the Blob path can upload it
  Object.defineProperty(file, 'arrayBuffer', { value: () => Promise.reject(new Error('read into the page')) });
  const slice = file.slice.bind(file);
  Object.defineProperty(file, 'slice', {
    value: (a?: number, b?: number) => {
      const part = slice(a, b);
      Object.defineProperty(part, 'arrayBuffer', { value: () => Promise.reject(new Error('read into the page')) });
      return part;
    },
  });
  const [r] = await bridge(16).importCaptures([file]);
  assert.equal(r?.status, 'indexed');
  assert.equal(received.get('f.pcap')?.toString(), content.toString());
  assert.deepEqual(
    seen.filter((s) => s.method === 'PUT').map((s) => s.body.length),
    [16, 16, 4],
  );
});

test('a lost session stops the whole import', async () => {
  handler = (_r, res) => json(res, 401, { error: 'session expired' });
  await rejects(bridge().importCaptures([fakeFile('a.pcap', Buffer.from('abc'))]), (e) => assert.equal(e.status, 401));
});

test('an import result that breaks the schema is a failure for that file', async () => {
  handler = (r, res) => {
    if (r.url === '/api/uploads') return json(res, 201, { id: 'u1' });
    if (r.method === 'PUT') return json(res, 200, { received: 3 });
    return json(res, 200, { ...RESULT, status: 'great' });
  };
  const [r] = await bridge().importCaptures([fakeFile('a.pcap', Buffer.from('abc'))]);
  assert.equal(r.status, 'failed');
  assert.match(r.message ?? '', /does not understand/);
});

test('downloadPcap starts a browser download of the slice URL', async () => {
  downloads.length = 0;
  const r = await bridge().downloadPcap({ flow: 'ddc7da321d65-0', sensor: 'lab' });
  assert.deepEqual(r, { saved: 'tapline_flow-ddc7da321d65-0.pcap' });
  assert.deepEqual(downloads, [[`${origin}/api/flows/ddc7da321d65-0/pcap?sensor=lab`, 'tapline_flow-ddc7da321d65-0.pcap']]);
  const t = await bridge().downloadPcap({ sip: '10.0.0.1', spt: 1234, dip: '10.0.0.2', dpt: 80, proto: 6 });
  assert.equal(t.saved, 'tapline_10.0.0.1_1234-10.0.0.2_80.pcap');
  assert.equal(downloads[1][0], `${origin}/pcap?sip=10.0.0.1&spt=1234&dip=10.0.0.2&dpt=80&proto=6`);
  await rejects(bridge().downloadPcap({ flow: 'x'.repeat(100) }), (e) => assert.match(e.message, /slice request is not valid/));
});

test('searchEvents checks every event', async () => {
  const ev = { kind: 'notice', id: 'n1', sensor: 'lab', ts: '1700000000.5', rank: 0, level: 'info', message: 'hello' };
  handler = (_r, res) => json(res, 200, [ev]);
  assert.deepEqual(await bridge().searchEvents({ kind: 'notice', host: '10.0.0.1', limit: 5 }), [ev]);
  assert.equal(seen[0].url, '/api/events?kind=notice&host=10.0.0.1&limit=5');
  handler = (_r, res) => json(res, 200, [{ ...ev, rank: 500 }]);
  await rejects(bridge().searchEvents({}), (e) => assert.match(e.message, /rank/));
});

test('capture calls name a remote sensor in the query (stop, status, interfaces) or the body (start); this store when absent; a bad id is refused before sending', async () => {
  const cap = { id: 'cap-2', state: 'stopped', source: 'eth1', filter: null, started_at: '1.0', stopped_at: '2.0', packets: 1, bytes: 60, packets_per_sec: 0, bytes_per_sec: 0, kernel_drops: 0, if_drops: 0, store_drops: 0, stored_packets: 1, store_bytes: 100, active_flows: null, flow_events_skipped: 0, error: null, hint: null };
  handler = (r, res) => (r.url.startsWith('/api/capture/interfaces') || (r.url.startsWith('/api/captures') && r.method === 'GET') ? json(res, 200, []) : json(res, r.method === 'POST' && r.url.startsWith('/api/captures?') ? 201 : 200, cap));
  const b = bridge();
  await b.listInterfaces({ sensor: 'tap1' });
  await b.captureStatus({ sensor: 'tap1' });
  await b.captureStatus();
  await b.stopCapture('cap-2', { sensor: 'tap1' });
  await b.startCapture({ sensor: 'tap1', source: { kind: 'iface', iface: 'eth1' } });
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ['GET /api/capture/interfaces?sensor=tap1', 'GET /api/captures?sensor=tap1', 'GET /api/captures', 'POST /api/captures/cap-2/stop?sensor=tap1', 'POST /api/captures'],
  );
  assert.deepEqual(JSON.parse(seen[4].body.toString()), { sensor: 'tap1', source: { kind: 'iface', iface: 'eth1' } });
  await rejects(b.captureStatus({ sensor: '../x' }), (e) => assert.match(e.message, /capture options/));
  assert.equal(seen.length, 5);
});

test('captureGaps reads GET /api/captures/gaps with the limit and checks the answer', async () => {
  const gaps = { gaps: [{ from: '1700000010.500000000', to: '1700000012.000000000', seconds: 1.5, reason: 'ssh feed lost', segment: null }], total: 3, unreadableLines: 1 };
  handler = (_r, res) => json(res, 200, gaps);
  const b = bridge();
  assert.deepEqual(await b.captureGaps({ limit: 1 }), gaps);
  assert.deepEqual(await b.captureGaps(), gaps);
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ['GET /api/captures/gaps?limit=1', 'GET /api/captures/gaps'],
  );
  await rejects(b.captureGaps({ limit: 0 }), (e) => assert.match(e.message, /capture gap options/));
  handler = (_r, res) => json(res, 200, { ...gaps, gaps: [{ ...gaps.gaps[0], seconds: -1 }] });
  await rejects(b.captureGaps(), (e) => assert.match(e.message, /seconds/));
  assert.equal(seen.length, 3, 'a bad limit is refused before sending');
});

test('an upload that fails midway is abandoned (DELETE), so the server stops importing it', async () => {
  handler = (r, res) => {
    if (r.method === 'POST' && r.url === '/api/uploads') return json(res, 201, { id: 'id-c.pcap', streaming: true });
    if (r.method === 'PUT' && r.url.endsWith('offset=10')) return json(res, 507, { error: 'no space left on the server' });
    if (r.method === 'PUT') return json(res, 200, { received: 10 });
    if (r.method === 'DELETE') return void res.writeHead(204).end();
    res.writeHead(404).end();
  };
  const [r] = await bridge(10).importCaptures([fakeFile('c.pcap', Buffer.from('0123456789abcdefghijklmno'))]);
  assert.equal(r.status, 'failed');
  assert.match(r.message ?? '', /no space left/);
  assert.deepEqual(
    seen.map((s) => `${s.method} ${s.url}`),
    ['POST /api/uploads', 'PUT /api/uploads/id-c.pcap?offset=0', 'PUT /api/uploads/id-c.pcap?offset=10', 'DELETE /api/uploads/id-c.pcap'],
  );
});

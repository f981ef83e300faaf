/** The HTTP/1.x carver on synthetic streams: framing, pairing, multipart, ranges, gaps, chunk-size invariance. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carve, request, response, summary, type Step } from './carve-test-helpers.js';

const GET = (path: string, host = 'example.com', extra: Record<string, string> = {}) => request(`GET ${path} HTTP/1.1`, { Host: host, 'User-Agent': 'ua/1', ...extra });

test('Content-Length bodies in a keep-alive connection pair with their requests', () => {
  const { sink, carver } = carve([
    { dir: 0, data: GET('/a/one.txt?x=1') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '5', 'Content-Type': 'text/plain' }, 'hello') },
    { dir: 0, data: GET('/two.bin') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '3' }, 'abc') },
  ]);
  const [a, b] = sink.list();
  assert.equal(sink.list().length, 2);
  assert.equal(a.bytes.toString(), 'hello');
  assert.equal(a.start.name, 'one.txt');
  assert.equal(a.start.http.url, 'http://example.com/a/one.txt?x=1');
  assert.equal(a.start.http.host, 'example.com');
  assert.equal(a.start.http.userAgent, 'ua/1');
  assert.equal(a.start.http.method, 'GET');
  assert.equal(a.start.http.status, 200);
  assert.equal(a.start.declaredType, 'text/plain');
  assert.equal(a.start.direction, 'download');
  assert.equal(a.start.declaredLength, 5);
  assert.deepEqual(a.end && [a.end.incomplete, a.end.missingBytes, a.end.size], [false, 0, 5]);
  assert.equal(b.bytes.toString(), 'abc');
  assert.equal(b.start.http.transaction, 1);
  assert.equal(carver.requests, 2);
  assert.equal(carver.responses, 2);
  assert.equal(carver.issueCount, 0);
});

test('first and last packet marks come from the packets that carried the body', () => {
  const { sink } = carve([
    { dir: 0, data: GET('/f') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '6' }, 'ab') },
    { dir: 1, data: 'cd' },
    { dir: 1, data: 'ef' },
  ]);
  const [f] = sink.list();
  assert.equal(f.start.first.packet, 1);
  assert.equal(f.end?.last.packet, 3);
  assert.equal(f.end?.last.sec, 1003);
});

test('pipelining: N requests then N responses pair in order; HEAD, 204 and 304 have no body', () => {
  const { sink } = carve([
    { dir: 0, data: GET('/1') + request('HEAD /2 HTTP/1.1', { Host: 'h' }) + GET('/3') + GET('/4') + GET('/5') },
    {
      dir: 1,
      data:
        response('200 OK', { 'Content-Length': '1' }, 'A') +
        response('200 OK', { 'Content-Length': '999' }) + // HEAD: the length describes a body that is not sent
        response('204 No Content', { 'Content-Length': '7' }) +
        response('304 Not Modified', { 'Content-Length': '10' }) +
        response('200 OK', { 'Content-Length': '1' }, 'E'),
    },
  ]);
  assert.deepEqual(
    sink.list().map((f) => [f.start.http.target, f.bytes.toString()]),
    [
      ['/1', 'A'],
      ['/5', 'E'],
    ],
  );
});

test('1xx interim responses do not consume the request; 100-continue uploads work', () => {
  const { sink } = carve([
    { dir: 0, data: request('PUT /up/file.dat HTTP/1.1', { Host: 'h', 'Content-Length': '4', Expect: '100-continue' }) },
    { dir: 1, data: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n' },
    { dir: 0, data: 'DATA' },
    { dir: 1, data: response('201 Created', { 'Content-Length': '2' }, 'ok') },
  ]);
  const [up, down] = sink.list();
  assert.equal(up.bytes.toString(), 'DATA');
  assert.equal(up.start.direction, 'upload');
  assert.equal(up.start.name, 'file.dat');
  assert.equal(up.status, 201, 'the upload learns its response status');
  assert.equal(down.bytes.toString(), 'ok');
  assert.equal(down.start.http.status, 201);
});

test('chunked bodies with extensions and trailers are de-chunked', () => {
  const body = '5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n';
  const { sink, carver } = carve([
    { dir: 0, data: GET('/c') + GET('/d') },
    { dir: 1, data: response('200 OK', { 'Transfer-Encoding': 'chunked' }, body) + response('200 OK', { 'Content-Length': '2' }, 'ok') },
  ]);
  const [c, d] = sink.list();
  assert.equal(c.bytes.toString(), 'hello world');
  assert.equal(c.end?.incomplete, false);
  assert.ok(c.end?.notes.some((n) => n.includes('x-checksum')), 'trailer names are noted');
  assert.equal(d.bytes.toString(), 'ok', 'the next response follows the trailers');
  assert.equal(carver.issueCount, 0);
});

test('close-delimited bodies end at the FIN; other ends leave them marked possibly truncated', () => {
  const fin = carve([{ dir: 0, data: GET('/x') }, { dir: 1, data: 'HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>' }, { dir: 1, data: '</html>' }, { end: 1, reason: 'fin' }]);
  assert.equal(fin.sink.list()[0].bytes.toString(), '<html></html>');
  assert.equal(fin.sink.list()[0].end?.incomplete, false);
  const eoc = carve([{ dir: 0, data: GET('/x') }, { dir: 1, data: 'HTTP/1.0 200 OK\r\n\r\n<html>' }, { end: 1, reason: 'end-of-capture' }]);
  assert.equal(eoc.sink.list()[0].end?.incomplete, true);
  assert.ok(eoc.sink.list()[0].end?.notes.some((n) => n.includes('may be truncated')));
});

test('empty bodies are not carved', () => {
  const { sink } = carve([
    { dir: 0, data: GET('/a') + GET('/b') + GET('/c') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '0' }) + response('200 OK', { 'Transfer-Encoding': 'chunked' }, '0\r\n\r\n') + 'HTTP/1.0 200 OK\r\n\r\n' },
  ]);
  assert.equal(sink.list().length, 0);
});

test('Content-Encoding and transfer codings are reported in order of application', () => {
  const { sink } = carve([
    { dir: 0, data: GET('/z') },
    { dir: 1, data: response('200 OK', { 'Content-Encoding': 'identity, gzip, x-gzip, br', 'Transfer-Encoding': 'gzip, chunked' }, '3\r\nabc\r\n0\r\n\r\n') },
  ]);
  assert.deepEqual(sink.list()[0].start.codings, ['gzip', 'x-gzip', 'br', 'gzip']);
});

test('Content-Disposition names a download: filename* wins, raw UTF-8 is recognized, paths are not trusted here', () => {
  const cases: [string, string][] = [
    ['attachment; filename="report.pdf"', 'report.pdf'],
    ["attachment; filename=\"fallback.txt\"; filename*=UTF-8''na%C3%AFve%20file.txt", 'naïve file.txt'],
    ['attachment; filename="\xc3\xa9t\xc3\xa9.doc"', 'été.doc'],
    ['inline; filename=plain_token.zip', 'plain_token.zip'],
    ['attachment; filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'],
    ['attachment; filename="../../etc/passwd"', '../../etc/passwd'],
  ];
  for (const [cd, want] of cases) {
    const { sink } = carve([{ dir: 0, data: GET('/dl?id=3') }, { dir: 1, data: response('200 OK', { 'Content-Length': '1', 'Content-Disposition': cd }, 'x') }]);
    assert.equal(sink.list()[0].start.name, want, cd);
  }
  const { sink } = carve([{ dir: 0, data: GET('/dir/na%C3%AFve%20name.tar.gz?x=/y') }, { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, 'x') }]);
  assert.equal(sink.list()[0].start.name, 'naïve name.tar.gz', 'URL names are percent-decoded, query ignored');
});

test('URLs: absolute-form targets, missing Host (the server address), IPv6 hosts', () => {
  const abs = carve([{ dir: 0, data: 'GET http://proxy.example/p/q.js?v=2 HTTP/1.1\r\n\r\n' }, { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, 'x') }]);
  assert.equal(abs.sink.list()[0].start.http.url, 'http://proxy.example/p/q.js?v=2');
  assert.equal(abs.sink.list()[0].start.http.host, 'proxy.example');
  assert.equal(abs.sink.list()[0].start.name, 'q.js');
  const noHost = carve([{ dir: 0, data: 'GET /x HTTP/1.0\r\n\r\n' }, { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, 'x') }], Infinity, { fallbackHost: '[2001:db8::1]:8080' });
  assert.equal(noHost.sink.list()[0].start.http.url, 'http://[2001:db8::1]:8080/x');
  assert.equal(noHost.sink.list()[0].start.http.host, null);
});

const FORM = [
  '--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nmy title\r\n',
  '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="C:\\\\Users\\\\me\\\\photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0JPEGDATA\r\n--XyZnot-a-delimiter\r\nmore\r\n',
  '--XyZ\r\nContent-Disposition: form-data; name="empty"; filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n',
  '--XyZ\r\nContent-Disposition: form-data; name="blob"\r\nContent-Type: application/octet-stream\r\n\r\nBLOB\r\n',
  '--XyZ--\r\nepilogue',
].join('');

test('multipart/form-data: the whole body and each file part (with its filename) are carved', () => {
  const { sink } = carve([
    { dir: 0, data: request('POST /upload.php HTTP/1.1', { Host: 'up.example', 'Content-Type': 'multipart/form-data; boundary="XyZ"', 'Content-Length': String(FORM.length) }, FORM) },
    { dir: 1, data: response('200 OK', { 'Content-Length': '2' }, 'ok') },
  ]);
  const files = sink.list();
  const body = files.find((f) => f.start.kind === 'body' && f.start.direction === 'upload');
  assert.ok(body);
  assert.equal(body.bytes.toString('latin1'), FORM);
  assert.equal(body.start.name, 'upload.php');
  const parts = files.filter((f) => f.start.kind === 'form-part');
  assert.deepEqual(
    parts.map((p) => [p.start.name, p.bytes.toString('latin1'), p.start.declaredType, p.start.parentId, p.end?.incomplete]),
    [
      ['C:\\Users\\me\\photo.jpg', '\xff\xd8\xff\xe0JPEGDATA\r\n--XyZnot-a-delimiter\r\nmore', 'image/jpeg', body.start.id, false],
      [null, 'BLOB', 'application/octet-stream', body.start.id, false],
    ],
  );
  assert.equal(parts[0].status, 200, 'parts learn the response status too');
  assert.equal(parts[0].start.http.url, 'http://up.example/upload.php');
});

test('206: a single range carries its Content-Range; multipart/byteranges is split into range parts', () => {
  const mp = ['--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-3/10\r\n\r\n0123', '\r\n--B\r\nContent-Range: bytes 6-9/10\r\n\r\n6789', '\r\n--B--\r\n'].join('');
  const { sink } = carve([
    { dir: 0, data: GET('/f.bin', 'h', { Range: 'bytes=4-5' }) + GET('/f.bin', 'h', { Range: 'bytes=0-3,6-9' }) },
    {
      dir: 1,
      data:
        response('206 Partial Content', { 'Content-Range': 'bytes 4-5/10', 'Content-Length': '2', ETag: '"e1"' }, '45') +
        response('206 Partial Content', { 'Content-Type': 'multipart/byteranges; boundary=B', 'Content-Length': String(mp.length) }, mp),
    },
  ]);
  const files = sink.list();
  assert.deepEqual(files[0].start.range, { start: 4, end: 5, total: 10 });
  assert.equal(files[0].start.http.etag, '"e1"');
  const parts = files.filter((f) => f.start.kind === 'range-part');
  assert.deepEqual(
    parts.map((p) => [p.start.range, p.bytes.toString(), p.start.name]),
    [
      [{ start: 0, end: 3, total: 10 }, '0123', 'f.bin'],
      [{ start: 6, end: 9, total: 10 }, '6789', 'f.bin'],
    ],
  );
  assert.equal(files.filter((f) => f.start.kind === 'body').length, 2, 'the multipart body itself is kept too');
});

test('a gap inside a Content-Length body: incomplete with the missing count, never filled', () => {
  const { sink, carver } = carve([
    { dir: 0, data: GET('/big') + GET('/next') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '10' }, 'abc') },
    { dir: 1, data: 'hij', gapBefore: 4 },
    { dir: 1, data: response('200 OK', { 'Content-Length': '2' }, 'ok') },
  ]);
  const [big, next] = sink.list();
  assert.equal(big.bytes.toString(), 'abchij');
  assert.deepEqual(big.gaps, [4]);
  assert.deepEqual([big.end?.incomplete, big.end?.missingBytes], [true, 4]);
  assert.equal(next.bytes.toString(), 'ok', 'framing continued after the gap');
  assert.equal(next.start.http.target, '/next');
  assert.equal(carver.issueCount, 0);
});

test('a gap that swallows the end of a body and a whole response: resynchronized, paired with the latest request', () => {
  const { sink, carver } = carve([
    { dir: 0, data: GET('/one') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '6' }, 'abc') },
    { dir: 0, data: GET('/two') },
    { dir: 0, data: GET('/three') },
    // 3 missing body bytes, then a lost response of 40 bytes
    { dir: 1, data: 'junk tail\r\n' + response('200 OK', { 'Content-Length': '5' }, 'three'), gapBefore: 43 },
  ]);
  const files = sink.list();
  assert.deepEqual(
    files.map((f) => [f.start.http.target, f.bytes.toString(), f.end?.incomplete, f.end?.missingBytes]),
    [
      ['/one', 'abc', true, 3],
      ['/three', 'three', false, 0],
    ],
  );
  assert.ok(carver.issues.some((i) => i.message.includes('resynchronized')));
  assert.ok(carver.issues.some((i) => i.message.includes('paired after a gap')));
});

test('chunked: a gap inside chunk data is survivable; a gap across the framing ends the body and resyncs', () => {
  const ok = carve([{ dir: 0, data: GET('/c') }, { dir: 1, data: response('200 OK', { 'Transfer-Encoding': 'chunked' }, 'a\r\n01') }, { dir: 1, data: '6789\r\n0\r\n\r\n', gapBefore: 4 }]);
  assert.deepEqual([ok.sink.list()[0].bytes.toString(), ok.sink.list()[0].end?.missingBytes, ok.sink.list()[0].end?.incomplete], ['016789', 4, true]);
  const broken = carve([
    { dir: 0, data: GET('/c') + GET('/d') },
    { dir: 1, data: response('200 OK', { 'Transfer-Encoding': 'chunked' }, '4\r\nab') },
    { dir: 1, data: '\r\n' + response('200 OK', { 'Content-Length': '1' }, 'D'), gapBefore: 50 },
  ]);
  const [c, d] = broken.sink.list();
  assert.deepEqual([c.bytes.toString(), c.end?.incomplete, c.end?.missingBytes], ['ab', true, 2]);
  assert.equal(d.bytes.toString(), 'D');
});

test('a gap in a request header section keeps the pairing: the lost request still gets its response', () => {
  const { sink } = carve([
    { dir: 0, data: 'GET /lost HTTP/1.1\r\nHo' },
    { dir: 0, data: GET('/kept'), gapBefore: 30 },
    { dir: 1, data: response('200 OK', { 'Content-Length': '4' }, 'LOST') + response('200 OK', { 'Content-Length': '4' }, 'KEPT') },
  ]);
  const files = sink.list();
  assert.deepEqual(
    files.map((f) => [f.start.http.target, f.bytes.toString()]),
    [
      [null, 'LOST'],
      ['/kept', 'KEPT'],
    ],
  );
});

test('a capture that starts mid-stream: the partial message is skipped, the next one is carved', () => {
  const { sink, carver } = carve([
    { dir: 1, data: 'tail of an earlier body\r\n' + response('200 OK', { 'Content-Length': '2' }, 'hi'), gapBefore: 1000 },
    { dir: 0, data: 'ders\r\n\r\n' + GET('/later'), gapBefore: 500 },
    { dir: 1, data: response('200 OK', { 'Content-Length': '3' }, 'yes') },
  ]);
  const files = sink.list();
  assert.deepEqual(
    files.map((f) => [f.start.http.target, f.bytes.toString()]),
    [
      [null, 'hi'],
      ['/later', 'yes'],
    ],
  );
  assert.ok(carver.sawHttp);
});

test('a response captured before its request (capture not in time order) is replayed once the role is known', () => {
  const { sink } = carve([
    { dir: 1, data: '<html>0.9 body</html>\n' },
    { dir: 0, data: 'GET /old.html\r\n' },
    { end: 1, reason: 'fin' },
  ]);
  const [f] = sink.list();
  assert.equal(f.bytes.toString(), '<html>0.9 body</html>\n');
  assert.equal(f.start.http.target, '/old.html');
  assert.ok(f.end?.notes.some((n) => n.includes('HTTP/0.9')));
});

test('the direction roles are found by content, whatever the flow orientation says', () => {
  const { sink } = carve([
    { dir: 1, data: GET('/swapped') },
    { dir: 0, data: response('200 OK', { 'Content-Length': '2' }, 'ok') },
  ]);
  assert.deepEqual(
    sink.list().map((f) => [f.start.http.target, f.start.streamDir, f.start.direction]),
    [['/swapped', 0, 'download']],
  );
});

test('CONNECT and 101 Switching Protocols turn the rest of the connection into a tunnel', () => {
  const { sink, carver } = carve([
    { dir: 0, data: request('CONNECT example.com:443 HTTP/1.1', { Host: 'example.com:443' }) },
    { dir: 1, data: 'HTTP/1.1 200 Connection established\r\n\r\n' },
    { dir: 0, data: '\x16\x03\x01\x02\x00 TLS...' },
    { dir: 1, data: response('200 OK', { 'Content-Length': '2' }, 'no') },
  ]);
  assert.equal(sink.list().length, 0);
  assert.ok(carver.issues.some((i) => i.message.includes('not HTTP')));
  const ws = carve([{ dir: 0, data: GET('/ws', 'h', { Upgrade: 'websocket', Connection: 'Upgrade' }) }, { dir: 1, data: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello' }]);
  assert.equal(ws.sink.list().length, 0);
});

test('non-HTTP flows are given up after the detection window', () => {
  const junk = Buffer.alloc(70 * 1024, 0x41);
  const { sink, carver } = carve([
    { dir: 0, data: junk },
    { dir: 1, data: junk },
  ]);
  assert.equal(sink.list().length, 0);
  assert.equal(carver.gaveUp, true);
  assert.equal(carver.sawHttp, false);
});

test('requests without a response and stream ends inside a body are reported', () => {
  const { sink, carver } = carve([
    { dir: 0, data: GET('/a') + GET('/b') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '100' }, 'partial') },
    { end: 1, reason: 'rst' },
  ]);
  const [f] = sink.list();
  assert.deepEqual([f.end?.incomplete, f.end?.missingBytes, f.bytes.toString()], [true, 93, 'partial']);
  assert.ok(carver.issues.some((i) => i.message.includes('1 request(s) without a response')));
});

/** A few exchanges covering every framing, split at every byte boundary, must carve the same files. */
const FORM2 = '--b0\r\nContent-Disposition: form-data; name="f"; filename="x.bin"\r\n\r\n\x00\x01\r\n\r\n--b0--\r\n';
const INVARIANCE: Step[] = [
  { dir: 0, data: GET('/a.txt') + request('POST /form HTTP/1.1', { Host: 'h', 'Content-Type': 'multipart/form-data; boundary=b0', 'Content-Length': String(FORM2.length) }, FORM2) },
  {
    dir: 1,
    data:
      response('200 OK', { 'Transfer-Encoding': 'chunked' }, '3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: v\r\n\r\n') +
      'HTTP/1.1 100 Continue\r\n\r\n' +
      response('200 OK', { 'Content-Length': '4', 'Content-Encoding': 'gzip' }, 'GZIP'),
  },
  { dir: 0, data: GET('/r', 'h', { Range: 'bytes=0-1,3-4' }) },
  { dir: 1, data: response('206 Partial Content', { 'Content-Type': 'multipart/byteranges; boundary=zz' }, '--zz\r\nContent-Range: bytes 0-1/5\r\n\r\nAB\r\n--zz\r\nContent-Range: bytes 3-4/5\r\n\r\nDE\r\n--zz--\r\n') },
];

test('chunk-size invariance: splitting the payload at every byte boundary carves the same files', () => {
  const whole = summary(carve(INVARIANCE).sink);
  assert.equal((whole as unknown[]).length, 7, 'chunked body, form body + part, gzip body, byteranges body + 2 parts');
  for (let piece = 1; piece <= 17; piece++) assert.deepEqual(summary(carve(INVARIANCE, piece).sink), whole, `pieces of ${piece} bytes`);
  // and every two-way split of each direction's data
  for (const [si, step] of INVARIANCE.entries()) {
    if (!('data' in step)) continue;
    const d = Buffer.from(step.data as string, 'latin1');
    for (let cut = 1; cut < d.length; cut++) {
      const steps: Step[] = [...INVARIANCE.slice(0, si), { dir: step.dir, data: d.subarray(0, cut) }, { dir: step.dir, data: d.subarray(cut) }, ...INVARIANCE.slice(si + 1)];
      assert.deepEqual(summary(carve(steps).sink), whole, `step ${si} cut at ${cut}`);
    }
  }
});

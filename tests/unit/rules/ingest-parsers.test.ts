/**
 * The eve.json and Zeek line parsers: fields, ports, protocol numbers, times (ISO with +0000,
 * epoch decimals), Zeek's unset/empty/set conventions, and bad lines reported, never thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseEveLine } from '../../../node/ingest/eve-reader.js';
import { parseZeekJsonLine, ZeekTsvReader } from '../../../node/ingest/zeek-reader.js';

test('eve: an alert and an http record', () => {
  const a = parseEveLine('{"timestamp":"2009-10-05T06:06:07.123456+0000","event_type":"alert","src_ip":"10.0.0.1","src_port":1470,"dest_ip":"10.0.0.2","dest_port":25,"proto":"TCP","alert":{"signature_id":7,"gid":1,"rev":2,"signature":"x","severity":1}}', 1);
  assert.ok('record' in a);
  assert.deepEqual([a.record.ts, a.record.proto, a.record.srcPort, a.record.alert?.sid, a.record.alert?.severity], [{ sec: 1254722767, nsec: 123456000 }, 6, 1470, 7, 1]);
  const h = parseEveLine('{"event_type":"http","proto":"TCP","http":{"hostname":"a.example","http_user_agent":"curl","status":200}}', 2);
  assert.ok('record' in h);
  assert.deepEqual(h.record.fields, { hostname: 'a.example', http_user_agent: 'curl', status: '200' });
  assert.ok('error' in parseEveLine('{"event_type":"alert","alert":{}}', 3));
  assert.ok('error' in parseEveLine('[1,2]', 4));
  assert.ok('skip' in parseEveLine('{"event_type":"stats"}', 5));
});

test('Zeek TSV: separators, unset and empty fields, sets, #path', () => {
  const r = new ZeekTsvReader('x');
  for (const l of ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tfiles', '#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tanalyzers\tmime_type\tfilename']) assert.ok('skip' in r.line(l, 1));
  const p = r.line('1320279566.452687\t10.0.0.1\t5000\t10.0.0.2\t80\tMD5,SHA1\ttext/plain\t-', 9);
  assert.ok('record' in p);
  assert.deepEqual([p.record.log, p.record.ts?.sec, p.record.dstPort, p.record.fields.analyzers, p.record.fields.filename], ['files', 1320279566, 80, ['MD5', 'SHA1'], undefined]);
  assert.ok('error' in r.line('too\tfew', 10));
});

test('Zeek JSON: one object per line, _path overrides the file name', () => {
  const p = parseZeekJsonLine('{"_path":"http","ts":1320279566.45,"id.orig_h":"::1","id.orig_p":1,"id.resp_h":"::2","id.resp_p":80,"method":"GET","tags":[]}', 'conn', 1);
  assert.ok('record' in p);
  assert.deepEqual([p.record.log, p.record.srcIp, p.record.fields.method, p.record.fields.tags], ['http', '::1', 'GET', []]);
});

test('random lines never throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      parseEveLine(s, 1);
      parseEveLine(`{"event_type":"alert",${s}`, 1);
      parseZeekJsonLine(s, 'conn', 1);
      const r = new ZeekTsvReader('conn');
      r.line('#fields\tts\tid.orig_h', 1);
      r.line(s, 2);
    }),
    { numRuns: 2000 },
  );
});

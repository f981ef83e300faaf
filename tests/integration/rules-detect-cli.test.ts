/**
 * `tapline detect` end to end (the built dist/ entry in a child process) on a generated capture:
 * an HTTP request split over two segments (User-Agent curl, EICAR in the response body) and a DNS
 * query for a dynamic-DNS name. The default rule set raises the expected alerts with the
 * triggering packet's flow index and full-precision time; discovery reports the user agent and
 * the DNS answer; --write-events is idempotent; the load report names skipped rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { gzipSync } from 'node:zlib';
import { ethernet, ipv4, tcp, udp } from '../helpers/packet-builders.js';
import { repoRoot } from '../helpers/corpus.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');
function tapline(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const C = [192, 0, 2, 1];
const S = [198, 51, 100, 7];
const enc = (s: string): number[] => [...Buffer.from(s, 'latin1')];

function frames(): { ts: number; frame: Uint8Array }[] {
  const out: { ts: number; frame: Uint8Array }[] = [];
  let t = 1_700_000_000_000_000; // µs
  const add = (from: 'c' | 's', flags: number, seq: number, ack: number, payload: number[] = []): void => {
    const c2s = from === 'c';
    const seg = tcp({ sport: c2s ? 41000 : 80, dport: c2s ? 80 : 41000, seq, ack, flags, payload });
    out.push({ ts: (t += 1000) + 123, frame: ethernet(0x0800, ipv4({ src: c2s ? C : S, dst: c2s ? S : C, proto: 6, payload: seg })) });
  };
  const req = enc('GET /eicar.com HTTP/1.1\r\nHost: files.example\r\nUser-Agent: curl/8.4.0\r\n\r\n');
  const body = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
  const resp = enc(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  add('c', 0x02, 1000, 0);
  add('s', 0x12, 5000, 1001);
  add('c', 0x10, 1001, 5001);
  add('c', 0x18, 1001, 5001, req.slice(0, 20));
  add('c', 0x18, 1021, 5001, req.slice(20));
  add('s', 0x18, 5001, 1001 + req.length, resp);
  // a second connection: the same file gzip-coded (file.data sees the decoded body)
  const gz = [...gzipSync(Buffer.from(body, 'latin1'))];
  const req2 = enc('GET /eicar.gz HTTP/1.1\r\nHost: files.example\r\nUser-Agent: Mozilla/5.0\r\n\r\n');
  const resp2 = [...enc(`HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), ...gz];
  const add2 = (from: 'c' | 's', flags: number, seq: number, ack: number, payload: number[] = []): void => {
    const c2s = from === 'c';
    const seg = tcp({ sport: c2s ? 41001 : 80, dport: c2s ? 80 : 41001, seq, ack, flags, payload });
    out.push({ ts: (t += 1000), frame: ethernet(0x0800, ipv4({ src: c2s ? C : S, dst: c2s ? S : C, proto: 6, payload: seg })) });
  };
  add2('c', 0x02, 100, 0);
  add2('s', 0x12, 900, 101);
  add2('c', 0x10, 101, 901);
  add2('c', 0x18, 101, 901, req2);
  add2('s', 0x18, 901, 101 + req2.length, resp2);
  // DNS query and answer for evil.duckdns.org
  const qname = [4, ...enc('evil'), 7, ...enc('duckdns'), 3, ...enc('org'), 0];
  const q = [0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...qname, 0, 1, 0, 1];
  const a = [0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...qname, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 9];
  out.push({ ts: (t += 1000), frame: ethernet(0x0800, ipv4({ src: C, dst: S, proto: 17, payload: udp(53001, 53, q) })) });
  out.push({ ts: (t += 1000), frame: ethernet(0x0800, ipv4({ src: S, dst: C, proto: 17, payload: udp(53, 53001, a) })) });
  return out;
}

function writePcap(path: string): void {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  for (const p of frames()) {
    const rec = new Uint8Array(16 + p.frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(p.ts / 1e6), p.ts % 1e6, p.frame.length, p.frame.length);
    rec.set(p.frame, 16);
    parts.push(rec);
  }
  writeFileSync(path, Buffer.concat(parts));
}

interface Ev {
  id: string;
  ts: string;
  kind: string;
  alert?: { sid: number; msg: string; src_ip: string; dst_port: number | null; flow_id: string; packet: { flow_index: number } | null };
  discovery?: { what: string; host: string; fields: Record<string, string | string[]> };
}

test('tapline detect: default rules and discovery on a generated capture; --write-events is idempotent', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-rules-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'in.pcap');
  writePcap(pcap);
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, pcap).code, 0);

  const r = tapline('detect', '--store', store, '--json', '--write-events');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /rules: \d+ loaded, 0 skipped/);
  const evs = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  const alerts = evs.filter((e) => e.kind === 'ids');
  const sids = alerts.map((e) => e.alert?.sid).sort();
  // curl UA (HTTP request), EICAR in the TCP payload and in the HTTP body (plain and gzip-coded:
  // only file.data sees through the coding), dyn-DNS query
  assert.deepEqual(sids, [9000010, 9000011, 9000011, 9000020, 9000030]);
  const ua = alerts.find((e) => e.alert?.sid === 9000020);
  assert.equal(ua?.alert?.packet?.flow_index, 4, 'the packet completing the request');
  assert.equal(ua?.ts, '1700000000.005123000', 'its time, full precision');
  assert.equal(ua?.alert?.src_ip, '192.0.2.1');
  assert.equal(ua?.alert?.dst_port, 80);
  const eicar = alerts.find((e) => e.alert?.sid === 9000010);
  assert.equal(eicar?.alert?.src_ip, '198.51.100.7');
  const disc = evs.filter((e) => e.kind === 'discovery');
  assert.ok(disc.some((e) => e.discovery?.what === 'http-user-agent' && e.discovery.fields.user_agent === 'curl/8.4.0'));
  assert.ok(disc.some((e) => e.discovery?.what === 'http-server' && e.discovery.fields.server === 'nginx'));
  assert.ok(disc.some((e) => e.discovery?.what === 'dns' && e.discovery.fields.query === 'evil.duckdns.org' && (e.discovery.fields.answers as string[])[0] === '203.0.113.9'));
  assert.ok(disc.some((e) => e.discovery?.what === 'host' && e.discovery.host === '203.0.113.9' && (e.discovery.fields.names as string[]).includes('evil.duckdns.org')));
  assert.match(r.stderr, new RegExp(`journal: ${evs.length} events written, 0 already there`));

  const again = tapline('detect', '--store', store, '--write-events');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`journal: 0 events written, ${evs.length} already there`));
  assert.match(again.stdout, /\[1:9000020:1\] TAPLINE HTTP scripting client User-Agent/);
  const journal = readdirSync(join(store, 'events')).map((f) => readFileSync(join(store, 'events', f), 'utf8')).join('');
  assert.equal(journal.split('\n').filter(Boolean).length, evs.length);

  // a rule file with a skip: the report says which and why
  const rules = join(dir, 'x.rules');
  writeFileSync(rules, 'alert tcp any any -> any any (msg:"a"; content:"GET"; sid:1;)\nalert tcp any any -> any any (msg:"b"; byte_math:bytes 4, offset 0, oper +, rvalue 1, result v; sid:2;)\n');
  const custom = tapline('detect', '--store', store, '--rules', rules, '--no-discovery', '--list-skipped');
  assert.equal(custom.code, 0, custom.stderr);
  assert.match(custom.stderr, /rules: 1 loaded, 1 skipped/);
  assert.match(custom.stderr, /skipped 1: unsupported keyword "byte_math"/);
  assert.match(custom.stderr, /x\.rules:2 sid 2/);
  assert.equal(custom.stdout.split('\n').filter(Boolean).length, 2, 'one GET per connection');
});

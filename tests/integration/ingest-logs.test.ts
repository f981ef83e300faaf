/**
 * `tapline ingest` on real Zeek logs and on eve.json records: Zeek's conn.log for
 * zeek__wikipedia.pcap (times masked in the baseline, so linking is by 5-tuple alone) links every
 * record to the stored flow with that tuple; eve.json records link by Community ID (taken from
 * the store's own flow listing), or by tuple and time; an eve alert becomes an `ids` event; a
 * malformed line is reported with its number and loses nothing else; re-ingesting with
 * --write-events adds nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturePath, corpusDir, corpusSkipReason, repoRoot } from '../helpers/corpus.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');
function tapline(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface FlowJson {
  id: string;
  proto: number;
  client_ip: string;
  client_port: number | null;
  server_ip: string;
  server_port: number | null;
  first_ts: string;
  community_id: string | null;
}
interface Ev {
  id: string;
  kind: string;
  alert?: { sid: number; flow_id: string | null; msg: string };
  external?: { log: string; src_ip: string; src_port: number | null; dst_ip: string; dst_port: number | null; flow_id: string | null; link: string | null; fields: Record<string, unknown> };
}

test('ingest Zeek conn.log (TSV) and eve.json: every record linked to its flow', { skip: corpusSkipReason }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-ingest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, capturePath('zeek__wikipedia.pcap')).code, 0);
  const flows = tapline('flows', '--store', store, '--json')
    .stdout.split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as FlowJson);
  const byId = new Map(flows.map((f) => [f.id, f]));

  const oracleDir = join(corpusDir, 'oracles', 'zeek__wikipedia.pcap');
  const conn = join(oracleDir, 'zeek-baseline__opt.basic__conn.log');
  const z = tapline('ingest', '--store', store, '--json', conn);
  assert.equal(z.code, 0, z.stderr);
  const zev = z.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  assert.equal(zev.length, 34);
  for (const e of zev) {
    const x = e.external;
    assert.ok(x && x.flow_id, `linked: ${JSON.stringify(x).slice(0, 200)}`);
    const f = byId.get(x.flow_id) as FlowJson;
    const ends = new Set([`${f.client_ip}|${f.client_port}`, `${f.server_ip}|${f.server_port}`]);
    const icmp = f.proto === 1 || f.proto === 58;
    assert.ok(icmp ? ends.has(`${x.src_ip}|null`) || [f.client_ip, f.server_ip].includes(x.src_ip) : ends.has(`${x.src_ip}|${x.src_port}`) && ends.has(`${x.dst_ip}|${x.dst_port}`));
    assert.equal(x.link, 'tuple');
  }

  // eve.json: one record by community id, one by tuple and time, an alert, a malformed line
  const tcp = flows.find((f) => f.proto === 6 && f.community_id) as FlowJson;
  const udp = flows.find((f) => f.proto === 17 && f.id !== tcp.id) as FlowJson;
  const iso = (epoch: string): string => new Date(Number(epoch.split('.')[0]) * 1000).toISOString().replace('Z', '+0000');
  const eve = [
    JSON.stringify({ timestamp: iso(tcp.first_ts), event_type: 'http', src_ip: '203.0.113.1', src_port: 1, dest_ip: '203.0.113.2', dest_port: 2, proto: 'TCP', community_id: tcp.community_id, http: { hostname: 'example.org', url: '/', http_user_agent: 'x' } }),
    JSON.stringify({ timestamp: iso(udp.first_ts), event_type: 'dns', src_ip: udp.client_ip, src_port: udp.client_port, dest_ip: udp.server_ip, dest_port: udp.server_port, proto: 'UDP', dns: { type: 'query', rrname: 'example.org' } }),
    '{"event_type": "alert", "broken',
    JSON.stringify({ timestamp: iso(tcp.first_ts), event_type: 'alert', src_ip: tcp.client_ip, src_port: tcp.client_port, dest_ip: tcp.server_ip, dest_port: tcp.server_port, proto: 'TCP', alert: { action: 'allowed', gid: 1, signature_id: 2000001, rev: 3, signature: 'ET TEST', category: 'Misc activity', severity: 3 } }),
    JSON.stringify({ timestamp: iso(tcp.first_ts), event_type: 'stats', stats: {} }),
  ].join('\n');
  const evePath = join(dir, 'eve.json');
  writeFileSync(evePath, `${eve}\n`);
  const r = tapline('ingest', '--store', store, '--json', '--write-events', evePath);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /eve, 3 records, 3 linked to flows, 1 bad lines/);
  assert.match(r.stderr, /line 3: not JSON/);
  const ev = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Ev);
  assert.deepEqual(
    ev.map((e) => [e.kind, e.external?.link ?? null, e.external?.flow_id ?? e.alert?.flow_id]),
    [
      ['external', 'community-id', tcp.id],
      ['external', 'tuple-time', udp.id],
      ['ids', null, tcp.id],
    ],
  );
  assert.equal(ev[0].external?.fields.hostname, 'example.org');
  assert.equal(ev[2].alert?.sid, 2000001);
  const again = tapline('ingest', '--store', store, '--write-events', evePath);
  assert.match(again.stderr, /journal: 0 events written, 3 already there/);

  const bad = join(dir, 'notes.txt');
  writeFileSync(bad, 'hello\n');
  const b = tapline('ingest', '--store', store, bad);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /not an eve\.json or Zeek log/);
});

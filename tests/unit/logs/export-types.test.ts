import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { cefSyslogMessage, exportRecord, seedSyslogMessage } from '../../../common/logs/export-format.js';
import { parseLog } from '../../../common/logs/parse-log.js';
import { EventExporter } from '../../../node/logs/export/event-exporter.js';
import type { SyslogOutput } from '../../../node/logs/export/syslog-output.js';

const cefId = { vendor: 'Tapline', product: 'Tapline', version: '0.1', host: 'S-0' };
const seedId = { sensor: 'S-0', domain: 'tcovel' };
const REF = 1_800_000_100;

const ids: TaplineEvent = {
  kind: 'ids',
  id: 'a1',
  sensor: 'S-0',
  ts: '1800000000.250000000',
  rank: 2,
  alert: { source: 'tapline', gid: 1, sid: 2009375, rev: 3, msg: 'ET CHAT General MSN Chat Activity', classtype: 'policy-violation', priority: 1, action: 'alert', app_proto: 'tcp', ip_proto: 6, src_ip: '10.0.0.5', src_port: 1863, dst_ip: '192.0.2.9', dst_port: 40000, flow_id: 'f-12', community_id: null, packet: null },
};
const service: TaplineEvent = {
  kind: 'discovery',
  id: 'd1',
  sensor: 'S-0',
  ts: '1800000001.000000000',
  rank: 0,
  discovery: { type: 'service', what: 'http-server', host: '192.0.2.80', port: 8080, peer: '10.0.0.5', flow_id: 'f-7', fields: { server: 'nginx/1.24 | "edge" = 1' } },
};
const host: TaplineEvent = {
  kind: 'discovery',
  id: 'd2',
  sensor: 'S-0',
  ts: '1800000002.000000000',
  rank: 0,
  discovery: { type: 'host', what: 'host', host: '2001:db8::7', port: null, peer: null, flow_id: null, fields: { names: ['ws-17.corp.example', 'ws17'], os: ['Windows NT 10.0'], users: ['alice'] } },
};

/** Our CEF output parsed back by our own parser. */
function cefBack(e: TaplineEvent): ReturnType<typeof parseLog> {
  const r = exportRecord(e);
  assert.ok(r);
  const back = parseLog(cefSyslogMessage(r, cefId), REF);
  assert.equal(back.format, 'cef');
  assert.equal(back.fields['cef.vendor'], 'Tapline');
  assert.equal(back.fields.dvhost, 'S-0');
  return back;
}

describe('CEF and seed export of alerts and discovery (types 1, 3, 5)', () => {
  it('type 1: an IDS alert with its signature, class, priority, endpoints and flow', () => {
    const b = cefBack(ids);
    assert.equal(b.fields['cef.signature'], '1');
    assert.equal(b.fields['cef.name'] ?? b.message, '[1:2009375:3] ET CHAT General MSN Chat Activity');
    assert.equal(b.fields['cef.severity'], '5');
    assert.deepEqual([b.endpoints.srcIp, b.endpoints.srcPort, b.endpoints.dstIp, b.endpoints.dstPort, b.endpoints.proto], ['10.0.0.5', 1863, '192.0.2.9', 40000, 6]);
    assert.equal(b.fields.cs5, '1:2009375:3');
    assert.equal(b.fields.cat, 'policy-violation');
    assert.equal(b.fields.act, 'alert');
    assert.equal(b.fields.cn1Label, 'priority');
    assert.equal(b.fields.cn1, '1');
    assert.equal(b.fields.cs2, 'f-12');
    assert.equal(b.fields.start, '1800000000250');
    // the seed's line, as in its example "{1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {IP} <-"
    const seed = parseLog(seedSyslogMessage(exportRecord(ids)!, seedId), REF);
    assert.equal(seed.format, 'seed');
    assert.equal(seed.fields['seed.evtype'], '1');
    assert.equal(seed.fields['seed.rank'], '2');
    assert.equal(seed.fields['seed.sid'], '2009375');
    assert.equal(seed.endpoints.srcIp, '10.0.0.5');
    assert.equal(seed.endpoints.dstPort, 40000);
  });

  it('type 3: a discovered service (host:port the destination, the revealing peer the source), facts escaped', () => {
    const b = cefBack(service);
    assert.equal(b.fields['cef.signature'], '3');
    assert.deepEqual([b.endpoints.srcIp, b.endpoints.dstIp, b.endpoints.dstPort], ['10.0.0.5', '192.0.2.80', 8080]);
    assert.equal(b.fields.app, 'http-server');
    assert.equal(b.fields.cs5Label, 'details');
    assert.equal(b.fields.cs5, 'server=nginx/1.24 | "edge" = 1');
    assert.equal(b.fields.cs2, 'f-7');
  });

  it('type 5: a discovered host with its names and facts (IPv6 too)', () => {
    const b = cefBack(host);
    assert.equal(b.fields['cef.signature'], '5');
    assert.equal(b.endpoints.srcIp, '2001:db8::7');
    assert.equal(b.fields.shost, 'ws-17.corp.example');
    assert.equal(b.fields.cs5, 'names=ws-17.corp.example,ws17; os=Windows NT 10.0; users=alice');
    const seed = parseLog(seedSyslogMessage(exportRecord(host)!, seedId), REF);
    assert.equal(seed.fields['seed.evtype'], '5');
    assert.equal(seed.endpoints.srcIp, '2001:db8::7');
  });

  it('alerts and discovery are exported by default', () => {
    const sent: string[] = [];
    const out = { send: (m: string) => sent.push(m), close: async () => undefined } as unknown as SyslogOutput;
    const x = new EventExporter({ seedOutputs: [], cefOutputs: [out], seed: seedId, cef: cefId });
    for (const e of [ids, service, host]) x.export(e);
    assert.deepEqual(sent.map((m) => parseLog(m, REF).fields['cef.signature']), ['1', '3', '5']);
  });
});

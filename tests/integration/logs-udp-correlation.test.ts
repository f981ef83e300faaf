/**
 * Correlation of UDP batches (flows linked from the parse thread's facts table and written into
 * the journal lines without building the events): messages received over UDP naming the flows of
 * a corpus capture (zeek__ftp_ipv4.pcap) get the same flow ids as the same lines offered one by
 * one (the path TCP and sniffed messages take), names resolved from discovery data included, and
 * the flows' log counts grow by them.
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEvent } from '../../common/bridge/messages.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { capturePath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';

const A = '141.142.220.235';
const B = '199.233.217.249';
const iso = (sec: number): string => new Date(sec * 1000).toISOString();

/** Lines naming the capture's flows: a 5-tuple, the same reversed, a host pair, a name for B, one host, nothing. */
function lines(tag: string): string[] {
  const t = iso(1329843175.8);
  return [
    `<14>1 ${t} fw cef - - - CEF:0|Acme|FW|1|100|${tag} five-tuple|3|src=${A} spt=37604 dst=${B} dpt=56666 proto=TCP`,
    `<14>1 ${t} fw cef - - - CEF:0|Acme|FW|1|101|${tag} reverse|3|src=${B} spt=56666 dst=${A} dpt=37604`,
    `<14>1 ${t} fw cef - - - CEF:0|Acme|FW|1|102|${tag} pair|3|src=${A} dst=${B}`,
    `<14>1 ${t} fw cef - - - CEF:0|Acme|FW|1|103|${tag} by name|3|src=${A} spt=37604 dhost=FTP.corp.test dpt=56666 proto=TCP`,
    `<14>1 ${t} fw app - - - ${tag} one host SRC=${B}`,
    `<14>1 ${t} fw app - - - ${tag} nothing named`,
  ];
}

describe('UDP batches correlated with a corpus capture', { skip: corpusPresent ? undefined : corpusSkipReason }, () => {
  let dir: string;
  let services: TaplineServices;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-udpcorr-${process.pid}-`));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'corr' });
    await services.importPaths([capturePath('zeek__ftp_ipv4.pcap')]);
    services.local.publish({ kind: 'discovery', id: 'corr:dns:1', sensor: 'corr', ts: '1329843170.000000000', rank: 0, discovery: { type: 'service', what: 'dns', host: '192.0.2.53', port: 53, peer: A, flow_id: null, fields: { query: 'ftp.corp.test', qtype: 'A', rcode: '0', answers: [B], ttls: ['60'] } } });
  });
  after(async () => {
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function stored(tag: string, n: number): Promise<LogEvent[]> {
    const end = Date.now() + 10_000;
    for (;;) {
      const found = (await services.searchEvents({ kind: 'log', limit: 1000 })).filter((e): e is LogEvent => e.kind === 'log' && e.raw.includes(tag)).reverse();
      if (found.length >= n || Date.now() > end) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('flows linked over UDP equal those linked one by one, names resolved, log counts grown', async () => {
    const one = lines('via-offer');
    for (const l of one) services.logs.intake.offer(new TextEncoder().encode(l), { transport: 'udp', senderIp: '192.0.2.99', senderPort: 514 });
    await services.logs.intake.flush();
    const expected = await stored('via-offer', one.length);
    assert.equal(expected.length, one.length);
    assert.ok(expected[0].flow_ids.length === 1 && expected[2].flow_ids.length === 5, 'the capture links as the corpus test says');
    const countsBefore = new Map((await services.searchFlows({ limit: 100 })).map((f) => [f.id, f.log_count ?? 0]));

    const recv = await services.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
    const sock = createSocket('udp4');
    for (const l of lines('via-udp')) await new Promise<void>((r, j) => sock.send(l, recv.port, '127.0.0.1', (e) => (e ? j(e) : r())));
    sock.close();
    const got = await stored('via-udp', one.length);
    assert.equal(got.length, one.length);
    for (let i = 0; i < one.length; i++) {
      assert.deepEqual(got[i].flow_ids, expected[i].flow_ids, one[i]);
      assert.deepEqual(got[i].resolved, expected[i].resolved);
      assert.equal(got[i].dst_ip, expected[i].dst_ip);
    }
    assert.deepEqual(got[3].resolved, [{ side: 'dst', name: 'ftp.corp.test', address: B, via: 'discovery' }]);
    await new Promise((r) => setTimeout(r, 100));
    const counts = new Map((await services.searchFlows({ limit: 100 })).map((f) => [f.id, f.log_count ?? 0]));
    const added = new Map<string, number>();
    for (const e of got) for (const id of e.flow_ids) added.set(id, (added.get(id) ?? 0) + 1);
    for (const [id, n] of counts) assert.equal(n - (countsBefore.get(id) ?? 0), added.get(id) ?? 0, id);
  });
});

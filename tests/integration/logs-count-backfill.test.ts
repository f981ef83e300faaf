/**
 * Logs received before their flow's capture was imported count for that flow once it is:
 * through the services (the API's import) and through `tapline import`, each import counting a
 * capture once however often it is imported.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FlowRow } from '../../common/bridge/messages.js';
import { Store } from '../../node/store/store.js';
import { capturePath, corpusSkipReason } from '../helpers/corpus.js';
import { bearer, raw, startServe, tapline } from './server-harness.js';

const CAPTURE = 'zeek__http_multipart.pcap';

describe('log counts of flows imported after their logs', { skip: corpusSkipReason }, () => {
  let dir: string;
  /** One flow of the capture and a log line naming its 5-tuple at its time. */
  let flow: { client_ip: string; client_port: number; server_ip: string; server_port: number; first: number };
  const lineFor = (f: typeof flow) =>
    `<14>1 ${new Date(Math.round(f.first * 1000)).toISOString()} proxy squid - - - TCP_MISS/200 SRC=${f.client_ip} SPT=${f.client_port} DST=${f.server_ip} DPT=${f.server_port}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-backfill-${process.pid}-`));
    // learn a flow of the capture from a scratch store
    const scratch = await Store.open(join(dir, 'scratch'), { create: true });
    try {
      await scratch.import([capturePath(CAPTURE)]);
      const [f] = await scratch.findFlows({ proto: 6 }, 1);
      const n = f.record.ipVersion === 6 ? 16 : 4;
      const ip = (b: Uint8Array) => [...b.subarray(0, n)].join('.');
      flow = { client_ip: ip(f.record.client), client_port: f.record.clientPort, server_ip: ip(f.record.server), server_port: f.record.serverPort, first: f.record.firstSec + f.record.firstNsec / 1e9 };
    } finally {
      await scratch.close();
    }
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function logsFirst(storeDir: string): Promise<void> {
    // a store with no capture yet receives the log (and one naming nobody in the capture)
    const srv = await startServe({ storeDir, sensorId: 'bf' });
    try {
      for (const l of [lineFor(flow), lineFor({ ...flow, client_ip: '192.0.2.1', server_ip: '192.0.2.2' })]) {
        srv.services.logs.intake.offer(new TextEncoder().encode(l), { transport: 'udp', senderIp: '127.0.0.1', senderPort: 9 });
      }
      await srv.services.logs.intake.flush();
    } finally {
      await srv.close();
    }
  }

  const counted = (rows: { client_port: number | null; log_count?: number }[]) => rows.filter((r) => (r.log_count ?? 0) > 0).map((r) => [r.client_port, r.log_count]);

  it('through the services: the import counts the earlier log for its flow, once', async () => {
    const storeDir = join(dir, 'svc');
    await logsFirst(storeDir);
    const srv = await startServe({ storeDir, sensorId: 'bf' });
    try {
      await srv.services.importPaths([capturePath(CAPTURE)]);
      const rows = (await raw(srv.base, 'GET', '/api/flows?limit=1000', { headers: bearer() })).json<FlowRow[]>();
      assert.deepEqual(counted(rows), [[flow.client_port, 1]]);
      // the flow's logs route agrees
      const id = rows.find((r) => r.client_port === flow.client_port && r.client_ip === flow.client_ip)?.id;
      assert.equal((await raw(srv.base, 'GET', `/api/flows/${id}/logs`, { headers: bearer() })).json<unknown[]>().length, 1);
      // importing the same capture again counts nothing twice
      await srv.services.importPaths([capturePath(CAPTURE)]);
      const again = (await raw(srv.base, 'GET', '/api/flows?limit=1000', { headers: bearer() })).json<FlowRow[]>();
      assert.deepEqual(counted(again), [[flow.client_port, 1]]);
    } finally {
      await srv.close();
    }
  });

  it('through tapline import: the flow row counts the earlier log, and a second import adds nothing', async () => {
    const storeDir = join(dir, 'cli');
    await logsFirst(storeDir);
    const imp = tapline('import', '--store', storeDir, capturePath(CAPTURE));
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /logs: 1 links from \d+ earlier log events to the new flows counted/);
    const rows = () => tapline('flows', '--store', storeDir, '--json', '--limit', '1000').stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FlowRow);
    assert.deepEqual(counted(rows()), [[flow.client_port, 1]]);
    const again = tapline('import', '--store', storeDir, capturePath(CAPTURE));
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /logs: \d+ links/);
    assert.deepEqual(counted(rows()), [[flow.client_port, 1]]);
  });
});

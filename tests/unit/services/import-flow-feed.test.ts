/**
 * Flows published while a capture is imported (Store ImportOptions.onFlowTable → ImportFlowFeed):
 * they arrive before the file is read to its end, carry the ids of the finished index, agree with
 * it on everything that cannot change (tuple, first time) and never exceed its counts; flows that
 * grew are sent again; a budget bounds the events, the rest are counted as skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRow, TaplineEvent } from '../../../common/bridge/messages.js';
import { FlowEventSchema } from '../../../common/bridge/messages.js';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { flowToJson } from '../../../common/flow/flow-json.js';
import { ImportFlowFeed } from '../../../electron/services/import-flow-feed.js';
import { Store } from '../../../node/store/store.js';
import { ethernet, ipv4, tcp, udp } from '../../helpers/packet-builders.js';
import { prng } from '../../helpers/prng.js';

/** About 10 MB (three 4 MiB reads): `flows` flows (TCP and UDP) whose packets are dealt out at random over the file. */
function writeCapture(path: string, flows: number, packets: number): void {
  const rnd = prng(11);
  const chunks: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  const seq = new Map<number, number>();
  let us = 1_700_000_000_000_000;
  const payload = new Array<number>(1400).fill(0x41);
  for (let i = 0; i < packets; i++) {
    // flows start one after another over the first half, so every read finds new ones
    const port = 1000 + Math.floor(rnd() * Math.min(flows, 1 + (i * flows * 2) / packets));
    const isUdp = port % 5 === 0;
    const s = seq.get(port) ?? 1;
    seq.set(port, s + payload.length);
    const l4 = isUdp ? udp(port, 53, payload) : tcp({ sport: port, dport: 80, seq: s, ack: 0, flags: s === 1 ? 0x02 : 0x18, payload: s === 1 ? [] : payload });
    const frame = ethernet(0x0800, ipv4({ src: [10, 0, (port >> 8) & 255, port & 255], dst: [10, 9, 0, 2], proto: isUdp ? 17 : 6, payload: l4 }));
    const rec = new Uint8Array(16 + frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(us / 1e6), us % 1e6, frame.length, frame.length);
    rec.set(frame, 16);
    chunks.push(rec);
    us += 1000;
  }
  writeFileSync(path, Buffer.concat(chunks));
}

async function importWithFeed(feed: ImportFlowFeed, store: Store, path: string): Promise<{ readsBeforeEnd: number; eventsBeforeEnd: number }> {
  let readsBeforeEnd = 0;
  let eventsBeforeEnd = 0;
  await store.import([path], {
    onFlowTable: (id, table, done, total) => {
      feed.onTable(id, table, done, total);
      if (done < total) {
        readsBeforeEnd++;
        eventsBeforeEnd = feed.sent;
      }
    },
    onResult: () => feed.end(),
  });
  return { readsBeforeEnd, eventsBeforeEnd };
}

test('flows reach the feed while the capture is read, with the finished index ids, tuples and first times, and counts that only grow up to the final ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-uiperf-feed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cap = join(dir, 'many.pcap');
  writeCapture(cap, 300, 7000);
  const store = await Store.open(join(dir, 'store'), { create: true });
  t.after(() => store.close());
  const events: TaplineEvent[] = [];
  let clock = 0;
  // a fresh publication on every read (the interval is measured on this clock)
  const feed = new ImportFlowFeed({ sensor: 'local', publish: (e) => void events.push(e), intervalMs: 1, now: () => (clock += 10) });
  const { readsBeforeEnd, eventsBeforeEnd } = await importWithFeed(feed, store, cap);
  assert.ok(readsBeforeEnd >= 2, `the capture took several reads (${readsBeforeEnd} before its end)`);
  assert.ok(eventsBeforeEnd > 0, 'flows were published before the file was read to its end');

  const final = new Map((await store.findFlows({})).map((f) => [f.id, flowToJson(f.id, f.record)]));
  assert.equal(final.size, 300);
  const last = new Map<string, FlowRow>();
  const sends = new Map<string, number>();
  for (const e of events) {
    const checked = FlowEventSchema.parse(e);
    const flow = checked.flow;
    assert.equal(checked.id, `flow:${flow.id}`);
    const done = final.get(flow.id);
    assert.ok(done, `${flow.id} is a flow of the finished index`);
    for (const k of ['client_ip', 'client_port', 'server_ip', 'server_port', 'proto', 'first_ts', 'kind'] as const) assert.equal(flow[k], done[k], `${flow.id} ${k}`);
    assert.ok(flow.packets <= done.packets && flow.bytes <= done.bytes, `${flow.id}: counts so far never above the final ones`);
    const before = last.get(flow.id);
    if (before) assert.ok(flow.packets > before.packets, `${flow.id} is sent again only when it grew`);
    last.set(flow.id, flow);
    sends.set(flow.id, (sends.get(flow.id) ?? 0) + 1);
  }
  assert.equal(last.size, final.size, 'every flow was published (the budget was not reached)');
  assert.ok([...sends.values()].some((n) => n > 1), 'flows that grew were sent again');
  assert.equal(feed.skipped, 0);
});

test('the budget per second bounds the events; flows never sent are counted as skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-uiperf-feed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cap = join(dir, 'many.pcap');
  writeCapture(cap, 300, 7000);
  const store = await Store.open(join(dir, 'store'), { create: true });
  t.after(() => store.close());
  const events: TaplineEvent[] = [];
  // the clock stands still: only the first second's budget is ever available
  const feed = new ImportFlowFeed({ sensor: 'local', publish: (e) => void events.push(e), intervalMs: 0, maxPerSecond: 50, now: () => 0 });
  await importWithFeed(feed, store, cap);
  assert.equal(events.length, 50);
  const ids = new Set(events.map((e) => (e.kind === 'flow' ? e.flow.id : '')));
  assert.equal(ids.size, 50, 'new flows come before re-sends of grown ones');
  assert.equal(feed.skipped, 250);
});

test('an import split into index parts publishes each flow under the id of its whole flow, never a continuation piece', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-uiperf-feed-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cap = join(dir, 'many.pcap');
  writeCapture(cap, 300, 7000);
  // a budget smaller than any table: a part every few hundred packets, flows open across them
  const store = await Store.open(join(dir, 'store'), { create: true, importMemoryBudget: 1 });
  t.after(() => store.close());
  const events: TaplineEvent[] = [];
  let clock = 0;
  const feed = new ImportFlowFeed({ sensor: 'local', publish: (e) => void events.push(e), intervalMs: 1, now: () => (clock += 10) });
  await importWithFeed(feed, store, cap);
  assert.ok(store.captures.length > 5, `${store.captures.length} index parts`);
  const found = await store.findFlows({});
  assert.ok(found.some((f) => (f.pieces?.length ?? 0) > 1), 'flows continue across parts');
  const final = new Map(found.map((f) => [f.id, flowToJson(f.id, f.record)]));
  assert.equal(final.size, 300);
  const seen = new Set<string>();
  for (const e of events) {
    const flow = FlowEventSchema.parse(e).flow;
    const done = final.get(flow.id);
    assert.ok(done, `${flow.id} is the id of a whole flow (a continuation piece was published)`);
    for (const k of ['client_ip', 'client_port', 'server_ip', 'server_port', 'proto', 'first_ts'] as const) assert.equal(flow[k], done[k], `${flow.id} ${k}`);
    assert.ok(flow.packets <= done.packets, `${flow.id}: counts so far never above the whole flow's`);
    seen.add(flow.id);
  }
  assert.equal(seen.size, final.size, 'every flow was published');
});

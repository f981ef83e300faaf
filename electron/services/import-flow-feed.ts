/**
 * Flows of a capture while it is being imported, as `flow` events: the analyst sees the first
 * rows a moment after the import starts instead of after the whole file is indexed.
 *
 * The importer hands over its flow table after each read (Store ImportOptions.onFlowTable). At
 * most once per interval (and at once on the first read) the feed publishes the flows first seen
 * since the last time, with their counts so far, then flows already published whose packet count
 * grew. Flow f of the table is flow `<capture id>-f` of the finished index, so the rows keep their
 * ids; the menus that read the store (slice, follow) work once the import has ended. A budget per
 * second keeps a capture with very many flows from flooding the live stream: what it skips is in
 * the search the UI runs when the import ends.
 */
import type { FlowRow, TaplineEvent } from '../../common/bridge/messages.js';
import { flowToJson } from '../../common/flow/flow-json.js';
import type { FlowTable } from '../../common/flow/flow-table.js';
import { tableFlowRecord } from '../../node/store/live/flow-summaries.js';

export interface ImportFlowFeedOptions {
  sensor: string;
  publish(e: TaplineEvent): void;
  /** Least time between two publications (ms; default 250). */
  intervalMs?: number;
  /** Flow events per second at most (default 5,000, the rate the UI is built to take). */
  maxPerSecond?: number;
  now?: () => number;
}

export class ImportFlowFeed {
  private captureId = '';
  /** Flows [0, published) were sent at least once. */
  private published = 0;
  /** Flows in the table when last seen. */
  private seen = 0;
  /** Packets of each published flow when it was last sent. */
  private sentPackets = new Float64Array(1024);
  private lastAt = -Infinity;
  private budget: number;
  private budgetAt: number;
  private readonly interval: number;
  private readonly maxPerSecond: number;
  private readonly now: () => number;
  /** Events published so far (all captures). */
  sent = 0;
  /** Flow events left out by the budget (new flows not yet sent when the import ended count here). */
  skipped = 0;

  constructor(private readonly opts: ImportFlowFeedOptions) {
    this.interval = opts.intervalMs ?? 250;
    this.maxPerSecond = opts.maxPerSecond ?? 5000;
    this.now = opts.now ?? (() => Date.now());
    this.budget = this.maxPerSecond;
    this.budgetAt = this.now();
  }

  /** The importer read more of a capture; publishes what is due. */
  onTable(captureId: string, table: FlowTable, bytesRead: number, totalBytes: number): void {
    if (captureId !== this.captureId) this.restart(captureId);
    this.seen = table.count;
    const now = this.now();
    // the last read always publishes: a small capture is read in one go
    if (now - this.lastAt < this.interval && bytesRead < totalBytes) return;
    this.lastAt = now;
    this.budget = Math.min(this.maxPerSecond, this.budget + ((now - this.budgetAt) / 1000) * this.maxPerSecond);
    this.budgetAt = now;
    this.publishNew(table);
    this.publishGrown(table);
  }

  /** The import of the current capture ended: flows it could not send are counted as skipped. */
  end(): void {
    this.skipped += Math.max(0, this.seen - this.published);
    this.captureId = '';
    this.published = 0;
    this.seen = 0;
  }

  private restart(captureId: string): void {
    this.captureId = captureId;
    this.published = 0;
    this.seen = 0;
    this.sentPackets.fill(0);
    this.lastAt = -Infinity;
  }

  private publishNew(t: FlowTable): void {
    const n = t.count;
    if (n > this.sentPackets.length) {
      let cap = this.sentPackets.length;
      while (cap < n) cap *= 2;
      const grown = new Float64Array(cap);
      grown.set(this.sentPackets);
      this.sentPackets = grown;
    }
    let f = this.published;
    for (; f < n && this.budget >= 1; f++) this.send(t, f);
    this.published = f;
  }

  private publishGrown(t: FlowTable): void {
    for (let f = 0; f < this.published && this.budget >= 1; f++) {
      if (t.pktsA[f] + t.pktsB[f] !== this.sentPackets[f]) this.send(t, f);
    }
  }

  private send(t: FlowTable, f: number): void {
    this.sentPackets[f] = t.pktsA[f] + t.pktsB[f];
    // a flow continuing one of an earlier index part is that flow: the search after the import shows it whole
    if (t.contPart[f] >= 0) return;
    this.budget--;
    const id = `${this.captureId}-${f}`;
    // rank 0 and no classes: the services rank every event they publish
    const flow: FlowRow = { ...flowToJson(id, tableFlowRecord(t, f)), sensor: this.opts.sensor, rank: 0, classes: [] };
    // the same event id as the flows the UI fetches when the import ends: archived once, latest wins
    this.opts.publish({ kind: 'flow', id: `flow:${id}`, sensor: this.opts.sensor, ts: flow.first_ts, rank: 0, flow });
    this.sent++;
  }
}

/**
 * Carving one stored flow: its reassembled payload (from the reassembly module, as StreamChunks)
 * runs through the HTTP carver — on any port: a flow is HTTP when a direction starts with a
 * request or status line — and every file found is stored with its records, which replace any
 * earlier carving of the flow.
 */
import type { StreamSink } from '../../common/reassembly/stream-types.js';
import type { CarvedFileRecord, CarveProtocol } from '../../common/carve/carved-record.js';
import type { StreamCarver } from '../../common/carve/stream-carver.js';
import { SmtpCarver } from '../../common/carve/smtp/smtp-carver.js';
import { Pop3Carver } from '../../common/carve/pop3/pop3-carver.js';
import { ImapCarver } from '../../common/carve/imap/imap-carver.js';
import { Smb2Carver } from '../../common/carve/smb/smb2-carver.js';
import { FtpDataCarver, type FtpDataContext } from '../../common/carve/ftp/ftp-data-carver.js';
import { TFTP_PORT, TftpCarver, TftpRequestFlowCarver } from '../../common/carve/tftp/tftp-carver.js';
import { findFtpTransfer } from './ftp-lookup.js';
import { findTftpTransfer } from './tftp-lookup.js';

const FILE_COMMANDS = new Set(['RETR', 'STOR', 'STOU', 'APPE']);
import { HttpCarver, type CarveIssue, type HttpCarverOptions } from '../../common/carve/http/http-carver.js';
import { FlowKind } from '../../common/flow/flow-table.js';
import { flowStreamInfo, followFlow } from '../store/flow-stream.js';
import type { FoundFlow, Store } from '../store/store.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './content-decoder.js';
import { FileStore } from './file-store.js';
import type { CarveCopies, FinalizeContext, PendingRecord } from './finalize-file.js';
import { assembleRanges } from './range-assembly.js';
import { StoreCarveSink } from './store-sink.js';

/** Pushes a flow's ordered payload into a sink (the reassembly module's contract); stops when signal aborts. */
export type FlowPayloadSource = (store: Store, flowId: string, sink: StreamSink, signal: AbortSignal) => Promise<void>;

/** Pushes a payload into a sink: the test seam below carveFlow. */
export type PayloadFeed = (sink: StreamSink, signal: AbortSignal) => Promise<void>;

export interface CarveOptions {
  decodeLimits?: Partial<DecodeLimits>;
  carver?: Partial<HttpCarverOptions>;
  signal?: AbortSignal;
  /** Replace STORE/files/flows/<flow id>.ndjson with the records (default true). */
  save?: boolean;
  /** Run the mail carvers (SMTP, POP3, IMAP) next to HTTP (default true). */
  mail?: boolean;
  /** Run only these carvers (a flow whose protocol is known from elsewhere: FTP data, TFTP). */
  carvers?: CarverSpec[];
  /** Copies of the received files made as they are written (finalize-file.ts CarveCopies). */
  copies?: CarveCopies;
}

export interface CarveFlowOptions extends CarveOptions {
  /** Where the payload comes from (default: the store's TCP reassembly). */
  source?: FlowPayloadSource;
  /** The store's FTP control connections (ftpControlFlows), when carving many flows: saves an index lookup per flow. */
  ftpControls?: readonly FoundFlow[];
  /** The store's TFTP request flows (tftpRequestFlows), when carving many flows. */
  tftpRequests?: readonly FoundFlow[];
}

export interface CarveFlowResult {
  flowId: string;
  /** The payload looked like HTTP/1.x. */
  http: boolean;
  /** Protocols recognized in the flow. */
  protocols: CarveProtocol[];
  files: CarvedFileRecord[];
  /** Parse errors and notable events (bounded; issueCount counts all). */
  issues: CarveIssue[];
  issueCount: number;
}

/** The store's TCP reassembly (node/store/flow-stream.ts). */
export const reassembledPayload: FlowPayloadSource = async (store, flowId, sink, signal) => {
  const flow = await store.flowById(flowId);
  if (!flow) throw new Error(`no flow ${flowId} in the store`);
  await followFlow(store, flow, sink, { signal });
};

/**
 * What carving a flow takes, decided before reading its payload: either an answer already (not a
 * TCP/UDP flow, an FTP listing, a UDP flow that is no TFTP transfer) or the carvers and options
 * for carvePayload. The per-flow path (carveFlow) and the single pass over a capture
 * (node/carve/carve-pass.ts) share it, so both carve a flow the same way.
 */
export type CarvePlan = { kind: 'result'; result: CarveFlowResult } | { kind: 'carve'; flowId: string; opts: CarveOptions };

export interface CarvePlanOptions extends CarveOptions {
  /** The store's FTP control connections (ftpControlFlows), when carving many flows: saves an index lookup per flow. */
  ftpControls?: readonly FoundFlow[];
  /** The store's TFTP request flows (tftpRequestFlows), when carving many flows: no lookup per UDP flow when there are none. */
  tftpRequests?: readonly FoundFlow[];
  /** The payload comes from elsewhere than the store's reassembly (no FTP data lookup then). */
  externalSource?: boolean;
}

const nothing = (flowId: string): CarvePlan => ({ kind: 'result', result: { flowId, http: false, protocols: [], files: [], issues: [], issueCount: 0 } });

export async function planCarve(store: Store, found: FoundFlow, opts: CarvePlanOptions = {}): Promise<CarvePlan> {
  const flowId = found.id;
  const r = found.record;
  const { ftpControls, tftpRequests, externalSource, ...carveOpts } = opts;
  if (r.kind !== FlowKind.Ip || !r.hasPorts || (r.proto !== 6 && r.proto !== 17)) return nothing(flowId);
  if (r.proto === 17) {
    if (r.serverPort === TFTP_PORT || r.clientPort === TFTP_PORT) {
      // a request flow: normally no data (the transfer is its own flow), unless the server answered from port 69
      const info = flowStreamInfo(found);
      const [requesterDir, server] = info.server.port === TFTP_PORT ? ([0, info.server.ip] as const) : ([1, info.client.ip] as const);
      return { kind: 'carve', flowId, opts: { ...carveOpts, carvers: [['tftp', (sink) => new TftpRequestFlowCarver(sink, requesterDir, server)]] } };
    }
    if (tftpRequests && tftpRequests.length === 0) return nothing(flowId);
    const tftp = await findTftpTransfer(store, found);
    if (!tftp) return nothing(flowId);
    return { kind: 'carve', flowId, opts: { ...carveOpts, carvers: [['tftp', (sink) => new TftpCarver(sink, tftp)]] } };
  }
  if (!externalSource) {
    // a data connection of an FTP control connection in the store is carved as that transfer
    const ftp = await findFtpTransfer(store, found, ftpControls);
    if (ftp) {
      if (!FILE_COMMANDS.has(ftp.transfer.command)) {
        return { kind: 'result', result: { flowId, http: false, protocols: ['ftp-data'], files: [], issues: [{ dir: ftp.senderDir, offset: 0, message: `FTP ${ftp.transfer.command}: a directory listing, not a file` }], issueCount: 1 } };
      }
      const ctx: FtpDataContext = { transfer: ftp.transfer, senderDir: ftp.senderDir, url: ftp.url, host: ftp.serverIp };
      return { kind: 'carve', flowId, opts: { ...carveOpts, carvers: [['ftp-data', (sink) => new FtpDataCarver(sink, ctx)]] } };
    }
  }
  // the server's address, as flowToJson gives it (without its community id: a SHA-1 per flow)
  const info = flowStreamInfo(found);
  const server = info.server.ip.includes(':') ? `[${info.server.ip}]` : info.server.ip;
  const fallbackHost = info.server.port === 80 ? server : `${server}:${info.server.port}`;
  return { kind: 'carve', flowId, opts: { ...carveOpts, carver: { fallbackHost, ...carveOpts.carver } } };
}

/**
 * Reassembly for carving: no retransmission history. The history only lets overlapping
 * retransmissions be compared for the conflict statistics (the first bytes received win either
 * way), which carving does not report; keeping it copied every delivered byte once more.
 */
export const CARVE_REASSEMBLY = { historyBytes: 0 } as const;

/** Carves a flow given by id, or as found (from findFlows: saves looking it up again). */
export async function carveFlow(store: Store, flow: string | FoundFlow, opts: CarveFlowOptions = {}): Promise<CarveFlowResult> {
  const flowId = typeof flow === 'string' ? flow : flow.id;
  const found = typeof flow === 'string' ? await store.flowById(flow) : flow;
  if (!found) throw new Error(`no flow ${flowId} in the store`);
  const { source, ...rest } = opts;
  const plan = await planCarve(store, found, { ...rest, externalSource: source !== undefined });
  if (plan.kind === 'result') return plan.result;
  const feed: PayloadFeed = source
    ? (sink, signal) => source(store, flowId, sink, signal)
    : async (sink, signal) => {
        await followFlow(store, found, sink, { signal, ...CARVE_REASSEMBLY });
      };
  return carvePayload(FileStore.open(store.dir), flowId, feed, plan.opts);
}

/**
 * Carves a flow's payload from `feed`. Written as a chain of promise callbacks rather than an
 * async function, and setting the carvers up and summing up are synchronous methods of
 * PayloadCarve. Why: an async function's bytecode runs again at each of its ~13 resumptions per
 * flow, so after a few dozen flows TurboFan compiled it with everything it calls inlined (the
 * costliest single compile of a 206-flow carve on V8's helper threads, for a function that
 * only sequences waits); each callback here runs once per flow and never gets hot.
 */
export function carvePayload(files: FileStore, flowId: string, feed: PayloadFeed, opts: CarveOptions = {}): Promise<CarveFlowResult> {
  const run = new PayloadCarve(files, flowId, opts);
  let fed: Promise<void>;
  try {
    fed = feed(run.gate, run.stop.signal);
  } catch (e) {
    fed = Promise.reject(e);
  }
  const carved = fed
    .catch((e: unknown) => run.feedFailed(e))
    .then(() => {
      opts.signal?.throwIfAborted();
      run.endUnended();
      return run.settleLanes();
    })
    .then(() => assembleRanges(run.ctx, run.httpSink.pending))
    .then((assembled) => {
      const records = run.records(assembled);
      return opts.save === false ? run.result(records) : files.writeFlowRecords(flowId, records).then(() => run.result(records));
    });
  // whatever the outcome: files still open are dropped, and finalizations still queued after a
  // failure must not outlive the call
  const cleanup = (): Promise<void> => {
    run.discardOpen();
    return run.settleLanes(true).then(() => run.detach());
  };
  return carved.then(
    (r) => cleanup().then(() => r),
    (e: unknown) => cleanup().then(() => Promise.reject(e)),
  );
}

/** One flow's carvers, their sinks and the gate that feeds them (carvePayload's synchronous parts). */
class PayloadCarve {
  readonly ctx: FinalizeContext;
  readonly httpSink: StoreCarveSink;
  readonly http: HttpCarver;
  readonly lanes: Lane[];
  readonly stop = new AbortController();
  readonly gate: StreamSink;
  private allGaveUp = false;
  private readonly ended = [false, false];
  private readonly onAbort: () => void;

  constructor(
    files: FileStore,
    readonly flowId: string,
    private readonly opts: CarveOptions,
  ) {
    let n = 0;
    this.ctx = { store: files, flowId, limits: { ...DEFAULT_DECODE_LIMITS, ...opts.decodeLimits }, nextId: () => `${flowId}/${n++}`, copies: opts.copies };
    // every carver reads the flow until it sees the flow is not its protocol; each has its own sink (file ids are per carver)
    this.httpSink = new StoreCarveSink(this.ctx);
    this.http = new HttpCarver(this.httpSink, opts.carver);
    this.lanes = opts.carvers ? [] : [{ name: 'http', carver: this.http, sink: this.httpSink, gaveUp: false }];
    for (const [name, make] of opts.carvers ?? [...(opts.mail === false ? [] : MAIL_CARVERS), ...FILE_SHARE_CARVERS]) {
      const sink = new StoreCarveSink(this.ctx);
      this.lanes.push({ name, carver: make(sink), sink, gaveUp: false });
    }
    this.onAbort = (): void => this.stop.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    const lanes = this.lanes;
    const ended = this.ended;
    this.gate = {
      onData: (c) => {
        if (this.allGaveUp) return;
        let live = 0;
        for (const l of lanes) {
          if (l.gaveUp) continue;
          l.carver.onData(c);
          if (l.carver.gaveUp) l.gaveUp = true;
          else live++;
        }
        if (live === 0) {
          this.allGaveUp = true;
          this.stop.abort(new Error('no carver recognizes this flow'));
        }
      },
      onEnd: (dir, reason, gapAtEnd) => {
        ended[dir] = true;
        for (const l of lanes) if (!l.gaveUp) l.carver.onEnd(dir, reason, gapAtEnd);
      },
    };
  }

  /** A failed feed: our own early stop is not a failure. */
  feedFailed(e: unknown): void {
    if (!(this.allGaveUp && this.stop.signal.aborted)) throw e;
  }

  /** Each lane's finalizations, one lane after another; the first failure rejects (unless `quiet`). */
  settleLanes(quiet = false): Promise<void> {
    let p = Promise.resolve();
    for (const l of this.lanes) p = p.then(() => (quiet ? l.sink.settle().catch(() => undefined) : l.sink.settle()));
    return p;
  }

  /** A source that stops without ending a direction: what was received is all there is. */
  endUnended(): void {
    for (const dir of [0, 1] as const) if (!this.ended[dir] && !this.allGaveUp) for (const l of this.lanes) if (!l.gaveUp) l.carver.onEnd(dir, 'end-of-capture', 0);
  }

  records(assembled: readonly PendingRecord[]): CarvedFileRecord[] {
    return this.lanes.flatMap((l) => l.sink.resolve(l.carver === this.http ? assembled : [])).sort((a, b) => idNumber(a.id) - idNumber(b.id));
  }

  result(records: CarvedFileRecord[]): CarveFlowResult {
    const issues = this.lanes.flatMap((l) => l.carver.issues).slice(0, 64);
    const issueCount = this.lanes.reduce((k, l) => k + l.carver.issueCount, 0);
    const protocols = this.lanes.filter((l) => (l.carver === this.http ? this.http.sawHttp : (l.carver as StreamCarver).recognized)).map((l) => l.name);
    return { flowId: this.flowId, http: this.http.sawHttp, protocols, files: records, issues, issueCount };
  }

  discardOpen(): void {
    for (const l of this.lanes) l.sink.discardOpen();
  }

  detach(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }
}

interface Lane {
  name: CarveProtocol;
  carver: Pick<StreamCarver, 'onData' | 'onEnd' | 'gaveUp' | 'issues' | 'issueCount'>;
  sink: StoreCarveSink;
  gaveUp: boolean;
}

/** A carver for one flow and the protocol it carves. */
export type CarverSpec = [CarveProtocol, (sink: StoreCarveSink) => StreamCarver];

/** Mail protocols are recognized by their first lines (any port). */
const MAIL_CARVERS: CarverSpec[] = [
  ['smtp', (sink) => new SmtpCarver(sink)],
  ['pop3', (sink) => new Pop3Carver(sink)],
  ['imap', (sink) => new ImapCarver(sink)],
];

/** File-sharing protocols, recognized by their framing (any port). */
const FILE_SHARE_CARVERS: CarverSpec[] = [['smb', (sink) => new Smb2Carver(sink)]];

function idNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf('/') + 1));
}

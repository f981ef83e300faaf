/**
 * Live capture on this store for the Bridge: starts and stops capture workers (one
 * CaptureController each), lists interfaces, and turns what the workers report into bus events:
 * a `capture` status event per stats tick (rates computed here), and the worker's flow summaries
 * as `flow` events for the live grid, bounded to a rate so a scan or flood cannot swamp the UI
 * (skipped ones are counted; every flow stays in the store and searchable).
 *
 * At most `maxCaptures` run at once. The store takes one live writer (STORE/segments/lock), so
 * the default and the only useful value today is 1; a second start is refused in words.
 * When the worker has no capture privilege and the request allows it (`elevate`), the capture is
 * started again through `pkexec WORKER` (the packaged worker executable; polkit asks for an
 * administrator password). This process itself never runs as root.
 * Plain Node: no `electron` import.
 */
import type { CaptureInterface, CaptureStatus, StartCapture } from '../../common/bridge/capture-messages.js';
import type { FlowRow, TaplineEvent } from '../../common/bridge/messages.js';
import type { LiveFlowSummaryMessage } from '../../common/capture/live-flow-summary.js';
import type { CaptureEvent, CaptureSourceConfig, CaptureStats, StartParams } from '../../common/worker/capture-worker-protocol.js';
import { CaptureController, CaptureRequestError, captureWorkerLaunch } from './capture-controller.js';
import { startWithPkexecFallback } from './pkexec-fallback.js';
import { LiveFlowJoiner } from './live-flow-joiner.js';
import { ServiceError } from './sensor-backend.js';

export interface CaptureServiceOptions {
  storeDir: string;
  sensorId: string;
  /** Publishes on the bus (ranked); persist=false for transient events. */
  publish: (e: TaplineEvent, persist: boolean) => void;
  /** How to run the worker (tests: a fixture worker); default captureWorkerLaunch(). */
  launch?: { command: string; args: string[] };
  maxCaptures?: number;
  /**
   * The executable the pkexec fallback runs (default packagedWorkerExecutable(): the installed
   * app's or this tree's dist/capture-worker-bin/); null: no fallback on this installation.
   */
  pkexecWorker?: string | null;
  /** Live `flow` events per second across all captures (default 200). */
  maxFlowEventsPerSec?: number;
  /** Finished captures kept in the status list (default 8). */
  keepFinished?: number;
  log?: (line: string) => void;
}

const PERMISSION_HINT =
  'the capture worker needs cap_net_raw,cap_net_admin: install the package (it grants them to the worker executable) or run setcap cap_net_raw,cap_net_admin=eip on it, join the tapline group, or start the capture again allowing administrator rights (elevate: pkexec asks for a password); see docs/CAPTURE.md';

/** The worker's error codes → HTTP status and a hint in words. */
function describeFailure(e: unknown): ServiceError {
  if (e instanceof ServiceError) return e;
  if (e instanceof CaptureRequestError) {
    switch (e.code) {
      case 'permission-denied':
        return new ServiceError(e.message, 403, PERMISSION_HINT);
      case 'bad-filter':
        return new ServiceError(e.message, 400, 'check the BPF filter syntax (pcap-filter(7)), e.g. "udp port 53" or "host 10.0.0.1 and tcp"');
      case 'bad-interface':
        return new ServiceError(e.message, 400, 'pick an interface from the list of this sensor\'s interfaces');
      case 'bad-option':
      case 'invalid-params':
        return new ServiceError(e.message, 400);
      case 'host-key-refused':
        return new ServiceError(e.message, 400, 'the remote host key is not the one expected: check it with ssh-keygen -lf, then give known_hosts_file or host_key_fingerprint');
      case 'ssh-failed':
      case 'connect-failed':
        return new ServiceError(e.message, 502, 'check that the sensor can reach the host with ssh (key file readable, user allowed to run tcpdump)');
      case 'busy':
        return new ServiceError(e.message, 409, 'stop the running capture first');
      default:
        return new ServiceError(e.message, 500, e.code === 'exited' ? 'the capture worker exited; its last words are in the serve log' : null);
    }
  }
  return new ServiceError(e instanceof Error ? e.message : String(e), 500);
}

function nowTs(): string {
  const ms = Date.now();
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/** The Bridge's source description → the worker's start parameters. */
export function toWorkerParams(req: StartCapture, storeDir: string): StartParams {
  const s = req.source;
  let source: CaptureSourceConfig;
  if (s.kind === 'iface') {
    source = { kind: 'libpcap', iface: s.iface, filter: s.filter || undefined, snapLen: s.snaplen, promiscuous: s.promiscuous };
  } else {
    source = {
      kind: 'ssh',
      destination: s.destination,
      port: s.port,
      remoteIface: s.remote_iface,
      filter: s.filter || undefined,
      sudo: s.sudo ?? false,
      snapLen: s.snaplen,
      knownHostsFile: s.known_hosts_file,
      hostKeyFingerprint: s.host_key_fingerprint,
      identityFile: s.identity_file,
    };
  }
  return { source, store: { dir: storeDir, maxStoreBytes: req.max_store_bytes, maxAgeSec: req.max_age_sec } };
}

function describeSource(req: StartCapture): string {
  const s = req.source;
  return s.kind === 'iface' ? s.iface : `ssh ${s.destination}${s.port ? `:${s.port}` : ''} ${s.remote_iface}`;
}

/** One capture: its worker, its status, the last stats for rates. */
class RunningCapture {
  status: CaptureStatus;
  /** The worker running this capture (a second one replaces the first when the pkexec fallback starts). */
  ctl: CaptureController | null = null;
  private last: { at: number; packets: number; bytes: number } | null = null;

  constructor(
    readonly id: string,
    req: StartCapture,
  ) {
    this.status = {
      id,
      state: 'starting',
      source: describeSource(req),
      filter: req.source.filter || null,
      started_at: nowTs(),
      stopped_at: null,
      packets: 0,
      bytes: 0,
      packets_per_sec: 0,
      bytes_per_sec: 0,
      kernel_drops: null,
      if_drops: null,
      store_drops: 0,
      handoff_drops: 0,
      stored_packets: 0,
      store_bytes: 0,
      active_flows: null,
      flow_events_skipped: 0,
      error: null,
      hint: null,
    };
  }

  applyStats(s: CaptureStats, at: number): void {
    if (this.last && at > this.last.at) {
      const dt = (at - this.last.at) / 1000;
      this.status.packets_per_sec = Math.max(0, (s.packets - this.last.packets) / dt);
      this.status.bytes_per_sec = Math.max(0, (s.bytes - this.last.bytes) / dt);
    }
    this.last = { at, packets: s.packets, bytes: s.bytes };
    Object.assign(this.status, {
      packets: s.packets,
      bytes: s.bytes,
      kernel_drops: s.kernelDrops,
      if_drops: s.ifDrops,
      store_drops: s.storeDrops,
      handoff_drops: s.handoffDrops ?? 0,
      stored_packets: s.storedPackets,
      store_bytes: s.storeBytes,
      active_flows: s.activeFlows,
    });
    if (s.storeError) this.status.error = `store: ${s.storeError}`;
    else if (this.status.error?.startsWith('store: ')) this.status.error = null;
  }

  finish(state: 'stopped' | 'failed', error: string | null = null, hint: string | null = null): void {
    this.status.state = state;
    this.status.stopped_at = nowTs();
    this.status.packets_per_sec = 0;
    this.status.bytes_per_sec = 0;
    if (error !== null) {
      this.status.error = error;
      this.status.hint = hint;
    }
  }
}

export class CaptureService {
  private readonly captures = new Map<string, RunningCapture>();
  private nextNo = 1;
  private readonly maxCaptures: number;
  private readonly maxFlowEventsPerSec: number;
  private readonly keepFinished: number;
  /** Joins the live pieces of flows that cross segment rotations (one grid row per flow). */
  private readonly joiner = new LiveFlowJoiner();
  /** Token bucket for live flow events. */
  private flowBudget: number;
  private flowBudgetAt = Date.now();
  private eventNo = 0;
  private closed = false;

  constructor(private readonly opts: CaptureServiceOptions) {
    this.maxCaptures = opts.maxCaptures ?? 1;
    this.maxFlowEventsPerSec = opts.maxFlowEventsPerSec ?? 200;
    this.keepFinished = opts.keepFinished ?? 8;
    this.flowBudget = this.maxFlowEventsPerSec;
  }

  private launch(): { command: string; args: string[] } {
    if (this.opts.launch) return this.opts.launch;
    try {
      return captureWorkerLaunch();
    } catch (e) {
      throw new ServiceError((e as Error).message, 500, 'fix TAPLINE_CAPTURE_WORKER (docs/CAPTURE.md)');
    }
  }

  private eventId(): string {
    return `${this.opts.sensorId}:capture:${Date.now().toString(36)}:${++this.eventNo}`;
  }

  /** The interfaces the worker can see (a short-lived worker: listing needs no running capture). */
  async listInterfaces(): Promise<CaptureInterface[]> {
    const ctl = new CaptureController({ launch: this.launch() });
    try {
      const r = await ctl.interfaces();
      return r.interfaces.map((i) => ({
        name: i.name,
        description: i.description,
        addresses: i.addresses.map((a) => a.addr),
        up: i.up,
        loopback: i.loopback,
      }));
    } catch (e) {
      throw describeFailure(e);
    } finally {
      await ctl.close();
    }
  }

  status(): CaptureStatus[] {
    return [...this.captures.values()].map((c) => ({ ...c.status }));
  }

  private running(): RunningCapture[] {
    return [...this.captures.values()].filter((c) => c.status.state === 'starting' || c.status.state === 'running' || c.status.state === 'stopping');
  }

  /** Starts a capture; resolves when the worker captures, or rejects with the reason in words. */
  async start(req: StartCapture): Promise<CaptureStatus> {
    if (this.closed) throw new ServiceError('the services are closing', 503);
    const busy = this.running();
    if (busy.length >= this.maxCaptures) {
      throw new ServiceError(
        `${busy.length} capture${busy.length === 1 ? ' is' : 's are'} already running on this store (${busy.map((c) => `${c.id}: ${c.status.source}`).join(', ')})`,
        409,
        'stop it first: a store takes one live writer at a time',
      );
    }
    const id = `cap-${(this.nextNo++).toString(36)}`;
    const cap = new RunningCapture(id, req);
    this.captures.set(id, cap);
    this.prune();
    this.publishStatus(cap);
    const params = toWorkerParams(req, this.opts.storeDir);
    try {
      await startWithPkexecFallback({
        elevate: req.elevate === true,
        launch: this.launch(),
        pkexecWorker: this.opts.pkexecWorker,
        attempt: (launch, readyTimeoutMs) => this.startWorker(cap, launch, params, readyTimeoutMs),
        onElevate: (worker) => this.opts.log?.(`capture ${id}: the worker has no capture privilege; starting it again through pkexec ${worker}`),
      });
    } catch (e) {
      const f = describeFailure(e);
      cap.finish('failed', f.message, f.hint);
      this.publishStatus(cap);
      throw f;
    }
    if (cap.status.state === 'starting') cap.status.state = 'running';
    this.opts.log?.(`capture ${id} started on ${cap.status.source}${cap.status.filter ? ` with filter "${cap.status.filter}"` : ''}`);
    this.publishStatus(cap);
    return { ...cap.status };
  }

  /**
   * Starts a worker for `cap` with `launch` and asks it to capture; on failure the worker is
   * closed and the error rethrown. Events of a replaced worker are ignored.
   */
  private async startWorker(cap: RunningCapture, launch: { command: string; args: string[] }, params: StartParams, readyTimeoutMs?: number): Promise<void> {
    const ctl = new CaptureController({ launch, readyTimeoutMs });
    cap.ctl = ctl;
    const id = cap.id;
    ctl.on('stats', (s) => {
      if (cap.ctl !== ctl || cap.status.state !== 'running') return;
      cap.applyStats(s, Date.now());
      this.publishStatus(cap);
    });
    ctl.on('event', (e) => {
      if (cap.ctl === ctl) this.onWorkerEvent(cap, ctl, e);
    });
    ctl.on('stderr', (line) => this.opts.log?.(`capture ${id}: ${line}`));
    ctl.on('worker-exit', (why) => {
      if (cap.ctl === ctl && (cap.status.state === 'running' || cap.status.state === 'starting')) {
        cap.finish('failed', why, 'the capture worker stopped unexpectedly; start the capture again');
        this.publishStatus(cap);
        void ctl.close();
      }
    });
    try {
      await ctl.start(params);
    } catch (e) {
      await ctl.close();
      throw e;
    }
  }

  /** Stops a capture: the worker writes and indexes everything it received first. */
  async stop(id: string): Promise<CaptureStatus> {
    const cap = this.captures.get(id);
    if (!cap) throw new ServiceError(`no capture ${id}`, 404, 'list the captures with captureStatus');
    if (cap.status.state === 'stopped' || cap.status.state === 'failed') return { ...cap.status };
    if (cap.status.state === 'stopping') throw new ServiceError(`capture ${id} is already stopping`, 409);
    const ctl = cap.ctl;
    if (ctl === null) throw new ServiceError(`capture ${id} has no worker yet`, 409);
    cap.status.state = 'stopping';
    this.publishStatus(cap);
    try {
      const r = await ctl.stop();
      cap.applyStats(r.stats, Date.now());
      cap.finish('stopped');
    } catch (e) {
      const f = describeFailure(e);
      // the capture ended by itself before the stop arrived: that is still a stopped capture
      if (e instanceof CaptureRequestError && e.code === 'not-running') cap.finish('stopped');
      else cap.finish('failed', `stopping: ${f.message}`, f.hint);
    } finally {
      await ctl.close();
    }
    this.opts.log?.(`capture ${id} stopped: ${cap.status.packets} packets, ${cap.status.bytes} bytes`);
    this.publishStatus(cap);
    return { ...cap.status };
  }

  /** Stops every running capture (SIGINT/SIGTERM of serve, services closing). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.running().map((c) => this.stop(c.id).catch(() => undefined)));
  }

  private prune(): void {
    const finished = [...this.captures.values()].filter((c) => c.status.state === 'stopped' || c.status.state === 'failed');
    for (const c of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.captures.delete(c.id);
  }

  private publishStatus(cap: RunningCapture): void {
    this.opts.publish({ kind: 'capture', id: this.eventId(), sensor: this.opts.sensorId, ts: nowTs(), rank: 0, capture: { ...cap.status } }, false);
  }

  private onWorkerEvent(cap: RunningCapture, ctl: CaptureController, e: CaptureEvent): void {
    switch (e.kind) {
      case 'flows':
        this.publishFlows(cap, e.flows);
        break;
      case 'capture-ended':
        if (cap.status.state === 'running' || cap.status.state === 'starting') {
          if (e.reason === 'error') cap.finish('failed', e.message, 'the source failed; check the interface or the ssh host and start again');
          else cap.finish('stopped');
          this.publishStatus(cap);
          void ctl.stop().catch(() => undefined).finally(() => ctl.close());
        }
        break;
      case 'store-error':
        cap.status.error = `store: ${e.message}`;
        cap.status.hint = 'writing resumes by itself when space returns';
        this.publishStatus(cap);
        break;
      case 'gap':
        this.opts.log?.(`capture ${cap.id}: gap: ${e.reason}`);
        break;
    }
  }

  /** Flow summaries → `flow` events, within the token bucket; ends are preferred to updates. */
  private publishFlows(cap: RunningCapture, flows: LiveFlowSummaryMessage[]): void {
    const now = Date.now();
    this.flowBudget = Math.min(this.maxFlowEventsPerSec, this.flowBudget + ((now - this.flowBudgetAt) / 1000) * this.maxFlowEventsPerSec);
    this.flowBudgetAt = now;
    // one event per flow per batch (its latest summary); a flow's pieces in later segments are
    // joined to it (every summary goes through the joiner, which must see each rotation's ends)
    const latest = new Map<string, LiveFlowSummaryMessage['flow']>();
    for (const f of flows) {
      const joined = this.joiner.join(f);
      latest.set(joined.id, joined);
    }
    for (const j of latest.values()) {
      if (this.flowBudget < 1) {
        cap.status.flow_events_skipped++;
        continue;
      }
      this.flowBudget--;
      const flow: FlowRow = { ...j, sensor: this.opts.sensorId, rank: 0, classes: [] };
      // transient: the flow itself is in the store's live segments, searched from there
      this.opts.publish({ kind: 'flow', id: `${this.opts.sensorId}:flow:${flow.id}:${++this.eventNo}`, sensor: this.opts.sensorId, ts: flow.last_ts, rank: 0, flow }, false);
    }
  }
}

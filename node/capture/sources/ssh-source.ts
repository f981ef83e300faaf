/**
 * Remote capture over ssh (ssh-command.ts builds the command line): reads the remote tcpdump's
 * pcap stream through the streaming parser, and when the connection drops after it worked,
 * reconnects with exponential backoff (1 s doubling to 30 s) and records the outage as a
 * LiveGap from the moment the feed was lost to the moment a new stream's header arrived.
 *
 * A failure that reconnecting cannot cure (host key refused, authentication, sudo needing a
 * password, a bad filter or interface on the remote side) ends the source with ssh's message;
 * so does any failure of the first connection, which means the configuration is wrong.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import type { Timestamp } from '../../../common/time/timestamp.js';
import { checkBpfFilter } from './bpf-filter.js';
import { LinkRegistry, PcapStreamFeeder } from './pcap-stream-feeder.js';
import { isPermanentSshFailure, pinScriptText, sshArgs, validateSshOptions, type SshCaptureOptions } from './ssh-command.js';
import { SourceConfigError, emptySourceStats, type LiveSource, type SourceEnd, type SourceStats } from './source-types.js';

export interface SshSourceTiming {
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** start() resolves when the stream header arrives, or when ssh has run this long without failing (a quiet link). */
  startSettleMs: number;
}

const DEFAULT_TIMING: SshSourceTiming = { backoffInitialMs: 1000, backoffMaxMs: 30_000, startSettleMs: 5000 };
const STDERR_KEEP = 4096;

function nowTs(): Timestamp {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

export class SshSource implements LiveSource {
  readonly description: string;
  readonly ended: Promise<SourceEnd>;
  private settle!: (end: SourceEnd) => void;
  private settled = false;
  private readonly counters: SourceStats = emptySourceStats();
  private readonly links: LinkRegistry;
  private readonly timing: SshSourceTiming;
  private readonly linkName: string;
  private child: ChildProcess | null = null;
  private pinDir: string | null = null;
  private pinScript: string | null = null;
  private stopping = false;
  private everUp = false;
  private lostAt: Timestamp | null = null;
  private lostReason = '';
  private backoffMs: number;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly opts: SshCaptureOptions,
    private readonly sink: LivePacketSink,
    timing: Partial<SshSourceTiming> = {},
  ) {
    validateSshOptions(opts);
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.backoffMs = this.timing.backoffInitialMs;
    this.linkName = `ssh://${opts.destination}${opts.port ? `:${opts.port}` : ''}/${opts.remoteIface}`;
    this.description = this.linkName;
    this.links = new LinkRegistry(sink);
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  async start(): Promise<void> {
    // Catch filter syntax errors here, before connecting (compiled as Ethernet: the remote link
    // type is unknown until its stream arrives; the remote tcpdump rejects link-specific misfits).
    if (this.opts.filter !== undefined) {
      try {
        checkBpfFilter(this.opts.filter, 1, this.opts.snapLen ?? 262144);
      } catch (e) {
        if (e instanceof SourceConfigError) throw e;
        // no local libpcap binding: the remote tcpdump will judge the filter
      }
    }
    if (this.opts.hostKeyFingerprint !== undefined) {
      this.pinDir = mkdtempSync(join(tmpdir(), 'tapline-ssh-pin-'));
      this.pinScript = join(this.pinDir, 'known-host.sh');
      writeFileSync(this.pinScript, pinScriptText(this.opts.hostKeyFingerprint), { mode: 0o700 });
      chmodSync(this.pinScript, 0o700);
    }
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const settleStart = (err: Error | null): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => settleStart(null), this.timing.startSettleMs);
      this.connect(settleStart);
    });
  }

  /** One ssh run. `onFirst` learns whether the first connection came up (start()). */
  private connect(onFirst: ((err: Error | null) => void) | null): void {
    const child = spawn(this.opts.sshPath ?? 'ssh', sshArgs(this.opts, this.pinScript), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    let feedError: string | null = null;
    const feeder = new PcapStreamFeeder(this.links, this.linkName, this.sink, this.counters, () => {
      if (this.lostAt !== null) {
        this.sink.gap({ from: this.lostAt, to: nowTs(), reason: this.lostReason });
        this.lostAt = null;
      }
      this.everUp = true;
      this.backoffMs = this.timing.backoffInitialMs;
      onFirst?.(null);
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (feedError !== null) return;
      try {
        feeder.push(chunk);
      } catch (e) {
        feedError = e instanceof Error ? e.message : String(e);
        child.kill('SIGTERM');
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_KEEP);
    });
    child.once('error', (e) => {
      // spawn failure (no ssh binary): 'close' follows.
      stderr += `\ncannot run ssh: ${e.message}`;
    });
    child.once('close', (code, signal) => {
      this.child = null;
      if (feedError === null) {
        try {
          feeder.end();
        } catch (e) {
          // A record cut by the disconnect: the complete ones before it were delivered.
          if (!this.stopping) feedError = e instanceof Error ? e.message : String(e);
        }
      }
      if (this.stopping) return this.finish({ kind: 'stopped' });
      const why = (stderr.trim().split('\n').filter((l) => l.trim() !== '').slice(-3).join('; ') || `ssh exited with ${signal ?? `code ${code}`}`).slice(0, 1000);
      const what = feedError !== null ? `remote stream unreadable: ${feedError}` : why;
      if (!feeder.started && (!this.everUp || isPermanentSshFailure(stderr))) {
        const err = new SourceConfigError(`${this.description}: ${what}`, /Host key verification failed|IDENTIFICATION HAS CHANGED|host key is known/i.test(stderr) ? 'host-key-refused' : 'ssh-failed');
        if (onFirst) onFirst(err);
        this.finish({ kind: 'error', message: err.message });
        return;
      }
      onFirst?.(null);
      // The feed was lost: reconnect with backoff, remembering since when we have no data.
      if (this.lostAt === null) {
        this.lostAt = nowTs();
        this.lostReason = `ssh capture interrupted: ${what}`;
      }
      this.counters.reconnects++;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, this.timing.backoffMaxMs);
      process.stderr.write(`${this.description}: ${what}; reconnecting in ${delay} ms\n`);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.stopping) this.connect(null);
      }, delay);
    });
  }

  stats(): SourceStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    if (this.settled) return;
    this.stopping = true;
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const child = this.child;
    if (child === null) {
      this.finish({ kind: 'stopped' });
      return;
    }
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await this.ended;
    clearTimeout(killer);
  }

  private finish(end: SourceEnd): void {
    if (this.settled) return;
    this.settled = true;
    if (this.lostAt !== null && end.kind !== 'error') {
      this.sink.gap({ from: this.lostAt, to: nowTs(), reason: this.lostReason });
      this.lostAt = null;
    }
    if (this.pinDir !== null) rmSync(this.pinDir, { recursive: true, force: true });
    this.settle(end);
  }
}

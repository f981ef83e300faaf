/**
 * Sends exported messages to a SIEM over UDP or TCP. UDP is fire-and-forget (one message per
 * datagram). TCP frames messages with a trailing LF (RFC 6587 non-transparent framing; our
 * messages never contain one), reconnects with backoff (0.5 s doubling to 30 s) and, while the
 * receiver is away, keeps messages in a backlog file (bounded: beyond maxBacklogBytes new
 * messages are dropped and counted) that is sent first when the connection is back, and survives
 * a restart of Tapline.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { appendFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { connect, isIPv6, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { LogEndpoint } from '../log-endpoint.js';

export interface SyslogOutputStats {
  sent: number;
  backlogged: number;
  dropped: number;
  backlog_bytes: number;
  connected: boolean;
  reconnects: number;
}

export interface SyslogOutputOptions {
  endpoint: LogEndpoint;
  /** Backlog file for TCP (required for TCP). */
  backlogPath?: string;
  maxBacklogBytes?: number;
  log?: (line: string) => void;
}

export class SyslogOutput {
  readonly stats: SyslogOutputStats = { sent: 0, backlogged: 0, dropped: 0, backlog_bytes: 0, connected: false, reconnects: 0 };
  private udp: UdpSocket | null = null;
  private tcp: Socket | null = null;
  private closed = false;
  private delay = 500;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxBacklog: number;
  private readonly log: (line: string) => void;

  private constructor(private readonly opts: SyslogOutputOptions) {
    this.maxBacklog = opts.maxBacklogBytes ?? 64 * 1024 * 1024;
    this.log = opts.log ?? (() => undefined);
  }

  static async open(opts: SyslogOutputOptions): Promise<SyslogOutput> {
    const o = new SyslogOutput(opts);
    if (opts.endpoint.transport === 'udp') {
      o.udp = createSocket(isIPv6(opts.endpoint.host) ? 'udp6' : 'udp4');
      o.udp.on('error', () => undefined);
    } else {
      if (!opts.backlogPath) throw new Error('a TCP output needs a backlog file');
      await mkdir(dirname(opts.backlogPath), { recursive: true });
      o.stats.backlog_bytes = await stat(opts.backlogPath).then((s) => s.size, () => 0);
      o.connect();
    }
    return o;
  }

  get endpoint(): LogEndpoint {
    return this.opts.endpoint;
  }

  private connect(): void {
    if (this.closed) return;
    const { host, port } = this.opts.endpoint;
    const sock = connect({ host, port });
    sock.setNoDelay(true);
    sock.on('connect', () => {
      this.delay = 500;
      this.tcp = sock;
      this.stats.connected = true;
      // what waited on disk goes first, in order
      this.chain = this.chain.then(() => this.drainBacklog());
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.tcp === sock) this.tcp = null;
      this.stats.connected = false;
      if (this.closed) return;
      this.stats.reconnects++;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 30_000);
    });
  }

  private async drainBacklog(): Promise<void> {
    const path = this.opts.backlogPath as string;
    if (this.stats.backlog_bytes === 0) return;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return;
    }
    const sock = this.tcp;
    if (!sock) return;
    const ok = sock.write(text);
    if (!ok) await new Promise<void>((r) => sock.once('drain', () => r()));
    this.stats.sent += text.split('\n').length - 1;
    await rm(path, { force: true });
    this.stats.backlog_bytes = 0;
  }

  /** Queues one message (no trailing newline). */
  send(message: string): void {
    if (this.closed) return;
    if (this.udp) {
      const { host, port } = this.opts.endpoint;
      this.udp.send(message, port, host);
      this.stats.sent++;
      return;
    }
    const line = `${message}\n`;
    this.chain = this.chain.then(async () => {
      const sock = this.tcp;
      if (sock && this.stats.backlog_bytes === 0 && !sock.destroyed) {
        sock.write(line);
        this.stats.sent++;
        return;
      }
      const n = Buffer.byteLength(line);
      if (this.stats.backlog_bytes + n > this.maxBacklog) {
        if (this.stats.dropped++ === 0) this.log(`export to ${this.opts.endpoint.host}:${this.opts.endpoint.port}: backlog full (${this.maxBacklog} bytes), dropping new messages until the receiver is back`);
        return;
      }
      try {
        await appendFile(this.opts.backlogPath as string, line);
        this.stats.backlog_bytes += n;
        this.stats.backlogged++;
      } catch (e) {
        this.stats.dropped++;
        this.log(`export backlog ${this.opts.backlogPath}: ${(e as Error).message}`);
      }
    });
  }

  /** Resolves when every message queued so far is sent or backlogged. */
  flush(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.udp) await new Promise<void>((r) => (this.udp as UdpSocket).close(() => r()));
    if (this.tcp) await new Promise<void>((r) => (this.tcp as Socket).end(() => r()));
  }
}

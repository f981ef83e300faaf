/**
 * A source reading one pcap/pcapng byte stream to its end: stdin or a pipe (`--read -`), and
 * PCAP-over-IP (a TCP connection to HOST:PORT that streams a capture, as NetworkMiner, Arkime
 * and `tcpdump -w - | nc -l` serve it). The stream ending is the source ending.
 */
import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import { LinkRegistry, PcapStreamFeeder } from './pcap-stream-feeder.js';
import { SourceConfigError, emptySourceStats, type LiveSource, type SourceEnd, type SourceStats } from './source-types.js';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Feeds a Readable through the parser into the sink until it ends, fails or is stopped. */
export class ReadableStreamSource implements LiveSource {
  readonly ended: Promise<SourceEnd>;
  private settle!: (end: SourceEnd) => void;
  private settled = false;
  private readonly counters: SourceStats = emptySourceStats();
  private stream: Readable | null = null;

  constructor(
    readonly description: string,
    private readonly linkName: string,
    private readonly open: () => Promise<Readable>,
    private readonly sink: LivePacketSink,
  ) {
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  async start(): Promise<void> {
    const stream = await this.open();
    this.stream = stream;
    const feeder = new PcapStreamFeeder(new LinkRegistry(this.sink), this.linkName, this.sink, this.counters);
    stream.on('data', (chunk: Buffer) => {
      if (this.settled) return;
      try {
        feeder.push(chunk);
      } catch (e) {
        this.finish({ kind: 'error', message: `${this.description}: ${message(e)}` });
      }
    });
    stream.once('end', () => {
      try {
        feeder.end();
        this.finish({ kind: 'eof' });
      } catch (e) {
        this.finish({ kind: 'error', message: `${this.description}: ${message(e)}` });
      }
    });
    stream.once('error', (e) => this.finish({ kind: 'error', message: `${this.description}: ${message(e)}` }));
  }

  stats(): SourceStats {
    return { ...this.counters };
  }

  async stop(): Promise<void> {
    this.finish({ kind: 'stopped' });
  }

  private finish(end: SourceEnd): void {
    if (this.settled) return;
    this.settled = true;
    const s = this.stream;
    if (s !== null) {
      s.removeAllListeners('data');
      s.on('error', () => {});
      s.destroy();
    }
    this.settle(end);
  }
}

/** `--read -`: the process's stdin (a pipe or a file redirected into it). */
export function createStdinSource(sink: LivePacketSink, stdin: Readable = process.stdin): ReadableStreamSource {
  return new ReadableStreamSource('stdin', 'stdin', async () => stdin, sink);
}

/** Parses "HOST:PORT" or "[V6]:PORT". */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\s]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new SourceConfigError(`"${text}" is not HOST:PORT`, 'bad-option');
  return { host: m[1], port };
}

export function createPcapOverIpSource(host: string, port: number, sink: LivePacketSink, connectTimeoutMs = 10_000): ReadableStreamSource {
  const name = `pcap-over-ip://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new ReadableStreamSource(name, name, () => connectSocket(host, port, connectTimeoutMs), sink);
}

function connectSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new SourceConfigError(`PCAP-over-IP ${host}:${port}: no connection after ${timeoutMs} ms`, 'connect-failed'));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(sock);
    });
    sock.once('error', (e) => {
      clearTimeout(timer);
      reject(new SourceConfigError(`PCAP-over-IP ${host}:${port}: ${e.message}`, 'connect-failed'));
    });
  });
}

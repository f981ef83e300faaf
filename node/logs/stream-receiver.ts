/**
 * Syslog over TCP (RFC 6587: octet-counted or LF-terminated frames, detected per frame) and over
 * TLS (RFC 5425: TLS 1.2+, octet-counted, the same framer reads it). A connection is paused while
 * the intake queue is saturated (TCP flow control pushes back on the sender instead of losing
 * messages) and resumed when it drains. Connections and frame sizes are bounded.
 */
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { SyslogFramer } from '../../common/logs/syslog-framer.js';
import type { LogIntake } from './log-intake.js';

export interface StreamReceiverOptions {
  host: string;
  port: number;
  /** PEM key and certificate: TLS (RFC 5425) when given, plain TCP otherwise. */
  tls?: { key: string; cert: string } | null;
  /** Largest message kept (bytes); longer ones are cut and marked. Default 64 KiB. */
  maxFrame?: number;
  maxConnections?: number;
  /** A connection idle this long is closed (ms; default 10 min). */
  idleTimeoutMs?: number;
}

export class StreamLogReceiver {
  private readonly sockets = new Set<Socket>();
  connections = 0;
  rejectedConnections = 0;

  private constructor(
    private readonly server: Server,
    readonly transport: 'tcp' | 'tls',
  ) {}

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  static start(intake: LogIntake, opts: StreamReceiverOptions): Promise<StreamLogReceiver> {
    const transport = opts.tls ? 'tls' : 'tcp';
    const maxConnections = opts.maxConnections ?? 1024;
    let self: StreamLogReceiver | null = null;
    const onSocket = (sock: Socket): void => {
      const r = self as StreamLogReceiver;
      if (r.sockets.size >= maxConnections) {
        r.rejectedConnections++;
        sock.destroy();
        return;
      }
      r.sockets.add(sock);
      r.connections++;
      const senderIp = sock.remoteAddress ?? null;
      const senderPort = sock.remotePort ?? null;
      const framer = new SyslogFramer((f) => {
        intake.offer(f.bytes, { transport, senderIp, senderPort, truncated: f.truncated });
      }, opts.maxFrame ?? 64 * 1024);
      sock.setTimeout(opts.idleTimeoutMs ?? 600_000, () => sock.destroy());
      sock.on('data', (chunk: Buffer) => {
        framer.push(chunk);
        if (intake.saturated && !sock.isPaused()) {
          sock.pause();
          void intake.whenDrained().then(() => {
            if (!sock.destroyed) sock.resume();
          });
        }
      });
      sock.on('end', () => framer.end());
      sock.on('error', () => undefined);
      sock.on('close', () => r.sockets.delete(sock));
    };
    const server: Server = opts.tls
      ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert, minVersion: 'TLSv1.2' }, onSocket)
      : createTcpServer(onSocket);
    if (opts.tls) server.on('tlsClientError', () => undefined);
    self = new StreamLogReceiver(server, transport);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve(self as StreamLogReceiver);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

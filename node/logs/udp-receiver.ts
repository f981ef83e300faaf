/**
 * Syslog over UDP (RFC 5426): one message per datagram. The kernel's receive buffer is raised
 * (8 MiB asked; the kernel may cap it at net.core.rmem_max) so bursts wait there rather than being
 * lost; datagrams the intake queue cannot take are counted as drops.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { LogIntake } from './log-intake.js';

export interface UdpReceiverOptions {
  host: string;
  port: number;
  /** Receive buffer to ask for (bytes). */
  recvBufferBytes?: number;
}

export class UdpLogReceiver {
  private constructor(
    private readonly socket: Socket,
    readonly host: string,
    readonly port: number,
    readonly recvBufferBytes: number,
  ) {}

  static start(intake: LogIntake, opts: UdpReceiverOptions): Promise<UdpLogReceiver> {
    const socket = createSocket({ type: isIPv6(opts.host) ? 'udp6' : 'udp4', reuseAddr: false });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.on('message', (msg, rinfo) => {
        // msg is a fresh Buffer per datagram: the intake may keep it
        intake.offer(msg, { transport: 'udp', senderIp: rinfo.address, senderPort: rinfo.port });
      });
      socket.bind(opts.port, opts.host, () => {
        socket.off('error', reject);
        socket.on('error', () => undefined);
        let buf = 0;
        try {
          socket.setRecvBufferSize(opts.recvBufferBytes ?? 8 * 1024 * 1024);
          buf = socket.getRecvBufferSize();
        } catch {
          buf = 0;
        }
        resolve(new UdpLogReceiver(socket, opts.host, socket.address().port, buf));
      });
    });
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

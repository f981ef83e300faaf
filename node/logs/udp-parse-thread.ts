/**
 * The UDP receiver's parse thread: takes the socket thread's datagram batches (udp-batch.ts)
 * from a MessagePort, parses every message (common/logs, the same code the intake uses for TCP),
 * builds its `log` event and encodes its journal line (parsed-batch.ts), and transfers the batch
 * to the main thread. The main thread then only correlates, appends the ready bytes and publishes.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { LogEvent } from '../../common/bridge/messages.js';
import { toLogEvent } from '../../common/logs/log-event.js';
import { decodeLogBytes, parseLog } from '../../common/logs/parse-log.js';
import { encodeLogBatch } from './parsed-batch.js';
import { UdpBatchReader, type UdpBatch } from './udp-batch.js';

export interface ParseThreadInit {
  sensor: string;
  /** Event ids are this prefix and a sequence number. */
  idPrefix: string;
  /** Where the socket thread posts its batches and, at the end, 'end'. */
  input: MessagePort;
}

/** From the socket thread. */
export type SocketThreadMessage = ({ kind: 'batch'; seq: number; dropped: number } & UdpBatch) | { kind: 'end' };

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('udp-parse-thread runs as a worker thread');
  const init = workerData as ParseThreadInit;
  let seq = 0;
  init.input.on('message', (m: SocketThreadMessage) => {
    if (m.kind === 'end') {
      port.postMessage({ kind: 'end' });
      init.input.close();
      return;
    }
    const events: LogEvent[] = new Array<LogEvent>(m.count);
    const r = new UdpBatchReader(m);
    let n = 0;
    while (n < m.count && r.next()) {
      const ms = r.timeMs;
      const sec = Math.floor(ms / 1000);
      const text = decodeLogBytes(r.payload());
      events[n++] = toLogEvent(text, parseLog(text, sec), { id: init.idPrefix + ++seq, sensor: init.sensor, receivedSec: sec, receivedNsec: Math.round((ms - sec * 1000) * 1e6), transport: 'udp', senderIp: r.ip, senderPort: r.port, captureFlow: null });
    }
    events.length = n;
    const b = encodeLogBatch(events, m.dropped);
    port.postMessage({ kind: 'parsed', seq: m.seq, ...b }, [b.data]);
  });
}

main();

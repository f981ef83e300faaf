/**
 * POP3 (RFC 1939, 2449) message carving: each RETR answered with +OK is followed by the message,
 * dot-stuffed and ended by a "." line, which becomes one message file (direction download). A
 * TOP answer (the headers and the first n body lines) becomes a message file marked partial: it
 * is never passed off as the whole message, nor split into (cut) MIME parts. Commands are matched
 * to responses in order (CAPA PIPELINING); responses to the other multi-line commands (LIST,
 * UIDL, CAPA) are read past. STLS accepted ends carving. Environment-free.
 */
import type { CarveFileSink, PacketMark } from '../carve-sink.js';
import { LineBuffer, textLike } from '../line-buffer.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { DotStuffedReader } from '../mime/dot-stuffed-reader.js';
import { MessageEmitter, type PartialMessage } from '../mime/message-emitter.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

const OPENING = new Set(['USER', 'APOP', 'CAPA', 'AUTH', 'STLS', 'STAT', 'LIST', 'RETR', 'UIDL', 'TOP', 'QUIT', 'NOOP']);
const MAX_PENDING = 1000;

export class Pop3Carver implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;

  private readonly clientLine = new LineBuffer();
  private readonly serverLine = new LineBuffer();
  /** Commands sent and not answered yet: [verb, whether its +OK answer is multi-line, arguments]. */
  private readonly pending: [string, boolean, string][] = [];
  private body: { reader: DotStuffedReader; message: MessageEmitter | null } | null = null;
  private stopped = false;
  private greeted = false;
  private nextId = 0;

  constructor(private readonly sink: CarveFileSink) {}

  onData(c: StreamChunk): void {
    if (this.gaveUp || this.stopped) return;
    if (!this.recognized && (!textLike(c.data) || this.clientLine.pending > 1024 || this.serverLine.pending > 1024)) {
      this.gaveUp = true;
      return;
    }
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    if (c.dir === 0) {
      if (c.gapBefore > 0) this.clientLine.clear();
      let i = 0;
      while (i < c.data.length && !this.gaveUp) {
        const got = this.clientLine.take(c.data, i);
        if (!got) break;
        i = got[1];
        this.command(got[0]);
      }
    } else {
      if (c.gapBefore > 0) this.serverGap(c.gapBefore, mark, c.offset);
      this.server(c.data, mark);
    }
  }

  onEnd(dir: Direction): void {
    if (dir !== 1 || this.gaveUp) return;
    if (this.body?.message) this.body.message.end(null, true, 'the server stream ended inside the message');
    this.body = null;
    this.stopped = true;
  }

  private issue(dir: Direction, offset: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < 32) this.issues.push({ dir, offset, message });
  }

  private serverGap(n: number, mark: PacketMark, offset: number): void {
    if (this.body) {
      this.body.message?.gap(n, mark);
      this.body.reader.afterGap();
    } else this.serverLine.clear();
    this.issue(1, offset, `${n} bytes missing from the server stream`);
  }

  private command(line: string): void {
    const sp = line.indexOf(' ');
    const verb = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const args = sp === -1 ? '' : line.slice(sp + 1).trim();
    if (!this.recognized) {
      if (!OPENING.has(verb)) {
        this.gaveUp = true;
        return;
      }
      if (this.greeted) this.recognized = true;
    }
    const multi = verb === 'RETR' || verb === 'TOP' || verb === 'CAPA' || ((verb === 'LIST' || verb === 'UIDL') && args === '');
    if (this.pending.length < MAX_PENDING) this.pending.push([verb, multi, args.slice(0, 100)]);
  }

  private server(data: Uint8Array, mark: PacketMark): void {
    let i = 0;
    while (i < data.length && !this.gaveUp && !this.stopped) {
      if (this.body) {
        const b = this.body;
        const end = b.reader.feed(data.subarray(i), (bytes) => b.message?.write(bytes, mark));
        if (end === -1) return;
        i += end;
        b.message?.end(mark, false);
        this.body = null;
        continue;
      }
      const got = this.serverLine.take(data, i);
      if (!got) return;
      i = got[1];
      this.response(got[0], mark);
    }
  }

  private response(line: string, mark: PacketMark): void {
    const ok = line.startsWith('+OK');
    if (!ok && !line.startsWith('-ERR')) {
      if (!this.recognized) this.gaveUp = true;
      return;
    }
    if (!this.greeted) {
      this.greeted = true;
      // the greeting answers no command (when the capture has the connection's start)
      if (this.pending.length === 0) return;
    }
    this.recognized = true;
    const cmd = this.pending.shift();
    // a server-only capture: a "+OK n octets" answer is taken as RETR's
    const [verb, multi, args] = cmd ?? (ok && /octets/i.test(line) ? ['RETR', true, ''] : ['?', false, '']);
    if (verb === 'STLS' && ok) {
      this.issue(1, 0, 'STLS accepted: the rest of the session is encrypted');
      this.stopped = true;
      return;
    }
    if (!ok || !multi) return;
    const reader = new DotStuffedReader();
    let message: MessageEmitter | null = null;
    if (verb === 'RETR') message = new MessageEmitter(this.sink, this.nextId++, 'pop3', 'download', 1, null, mark);
    else if (verb === 'TOP') message = new MessageEmitter(this.sink, this.nextId++, 'pop3', 'download', 1, null, mark, topPart(args));
    this.body = { reader, message };
  }
}

/** What a TOP answer is: `TOP msg n` asks for the headers and the first n lines of the body. */
function topPart(args: string): PartialMessage {
  const [msg, n] = args.split(/\s+/);
  const lines = /^\d{1,9}$/.test(n ?? '') ? Number(n) : null;
  return {
    partial: {
      command: `TOP ${args}`.trim(),
      what: lines === null ? 'POP3 TOP: the headers and the first lines of the body only' : lines === 0 ? `POP3 TOP: the headers of message ${msg} only` : `POP3 TOP: the headers and at most the first ${lines} body line${lines === 1 ? '' : 's'} of message ${msg}`,
    },
    kind: 'message',
    headers: true,
    name: `message-${/^\d{1,9}$/.test(msg ?? '') ? msg : 'top'}.partial.eml`,
  };
}

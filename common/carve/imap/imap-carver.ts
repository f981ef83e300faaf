/**
 * IMAP (RFC 9051/3501) message carving: a FETCH response item BODY[] (or RFC822, BINARY[]) whose
 * value is a literal `{n}` followed by n bytes is a whole message sent by the server (download);
 * an APPEND command's literal is a message sent by the client (upload). Every other literal is
 * skipped by its byte count, so message bytes are never read as protocol lines. STARTTLS accepted
 * ends carving. Environment-free.
 */
import type { CarveFileSink, PacketMark } from '../carve-sink.js';
import { LineBuffer, textLike } from '../line-buffer.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { MessageEmitter } from '../mime/message-emitter.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

const LITERAL = /\{(\d{1,15})(\+|-)?\}$/;
const MESSAGE_ITEM = /(?:BODY\[\]|BINARY\[\]|RFC822)(?:<\d+>)?\s*\{\d+\+?\}$/i;
const APPEND = /^\S+\s+(?:UID\s+)?APPEND\s/i;
const CLIENT_OPENING = /^\S+\s+(CAPABILITY|LOGIN|AUTHENTICATE|STARTTLS|ID|NOOP|SELECT|EXAMINE|LIST|LSUB|STATUS|ENABLE|UID|FETCH|LOGOUT|APPEND)\b/i;

interface Side {
  line: LineBuffer;
  /** Bytes of the current literal still to come. */
  literalLeft: number;
  message: MessageEmitter | null;
  /** Inside an APPEND command: each literal of its continuation lines is a message (MULTIAPPEND). */
  appendLine: boolean;
}

export class ImapCarver implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;
  private readonly sides: [Side, Side] = [this.side(), this.side()];
  private starttlsTag: string | null = null;
  private stopped = false;
  private nextId = 0;

  constructor(private readonly sink: CarveFileSink) {}

  private side(): Side {
    return { line: new LineBuffer(), literalLeft: 0, message: null, appendLine: false };
  }

  onData(c: StreamChunk): void {
    if (this.gaveUp || this.stopped) return;
    const s = this.sides[c.dir];
    if (!this.recognized && (!textLike(c.data) || s.line.pending > 1024)) {
      this.gaveUp = true;
      return;
    }
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    if (c.gapBefore > 0) {
      let n = c.gapBefore;
      if (s.literalLeft > 0) {
        const inLit = Math.min(n, s.literalLeft);
        s.message?.gap(inLit, mark);
        s.literalLeft -= inLit;
        n -= inLit;
        if (s.literalLeft === 0) this.endLiteral(s, mark, true);
      }
      if (n > 0) s.line.clear();
      this.issueCount++;
    }
    const d = c.data;
    let i = 0;
    while (i < d.length && !this.gaveUp && !this.stopped) {
      if (s.literalLeft > 0) {
        const n = Math.min(s.literalLeft, d.length - i);
        s.message?.write(d.subarray(i, i + n), mark);
        s.literalLeft -= n;
        i += n;
        if (s.literalLeft === 0) this.endLiteral(s, mark, false);
        continue;
      }
      const got = s.line.take(d, i);
      if (!got) return;
      i = got[1];
      this.line(c.dir, s, got[0], mark);
    }
  }

  onEnd(dir: Direction): void {
    const s = this.sides[dir];
    if (s.message) {
      s.message.end(null, true, 'the stream ended inside the message literal');
      s.message = null;
    }
  }

  private endLiteral(s: Side, mark: PacketMark, gap: boolean): void {
    if (s.message) {
      s.message.end(mark, gap);
      s.message = null;
    }
  }

  private line(dir: Direction, s: Side, line: string, mark: PacketMark): void {
    if (!this.recognized) {
      const ok = dir === 1 ? /^\* (OK|PREAUTH|BYE)\b/i.test(line) : CLIENT_OPENING.test(line);
      if (!ok) {
        this.gaveUp = true;
        return;
      }
      this.recognized = true;
    }
    if (dir === 0) {
      const m = /^(\S+)\s+STARTTLS\s*$/i.exec(line);
      if (m) this.starttlsTag = m[1];
    } else if (this.starttlsTag !== null && line.startsWith(`${this.starttlsTag} `)) {
      if (/^\S+\s+OK\b/i.test(line)) {
        this.issues.push({ dir, offset: 0, message: 'STARTTLS accepted: the rest of the session is encrypted' });
        this.issueCount++;
        this.stopped = true;
        return;
      }
      this.starttlsTag = null;
    }
    const lit = LITERAL.exec(line);
    if (!lit) {
      s.appendLine = false;
      return;
    }
    const n = Number(lit[1]);
    const isMessage = dir === 1 ? MESSAGE_ITEM.test(line) : APPEND.test(line) || s.appendLine;
    if (dir === 0 && APPEND.test(line)) s.appendLine = true;
    s.literalLeft = n;
    if (isMessage && n > 0) s.message = new MessageEmitter(this.sink, this.nextId++, 'imap', dir === 1 ? 'download' : 'upload', dir, null, mark);
  }
}

/**
 * SMTP (RFC 5321) message carving from a TCP flow's two reassembled streams: each message sent
 * with DATA (dot-stuffed, ended by a "." line) or BDAT chunks (RFC 3030, exact byte counts, ended
 * by BDAT ... LAST) becomes one message file with the envelope (MAIL FROM, RCPT TO) and its mail
 * headers. Replies are matched to commands in order (pipelining): DATA's content starts only
 * when its reply is 354 — client bytes sent before the reply arrived are held (bounded) until it
 * does; a one-sided capture (no server bytes at all) takes DATA as accepted. STARTTLS accepted
 * with 220 ends carving: the rest is encrypted. Environment-free.
 */
import type { CarveFileSink, PacketMark } from '../carve-sink.js';
import { LineBuffer, textLike } from '../line-buffer.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { DotStuffedReader } from '../mime/dot-stuffed-reader.js';
import { MessageEmitter } from '../mime/message-emitter.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

/** Client bytes held while DATA waits for its reply. */
const HOLD_CAP = 1 << 20;
const MAX_PENDING = 1000;
const MAX_ISSUES = 32;

const OPENING_VERBS = new Set(['EHLO', 'HELO', 'LHLO', 'MAIL']);

type ClientMode = 'command' | 'data' | 'bdat' | 'await-data' | 'stopped';

export class SmtpCarver implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;

  private mode: ClientMode = 'command';
  private readonly clientLine = new LineBuffer();
  private readonly serverLine = new LineBuffer();
  private readonly pending: string[] = [];
  private envelope: { from: string | null; to: string[] } = { from: null, to: [] };
  private message: MessageEmitter | null = null;
  private readonly reader = new DotStuffedReader();
  private bdatLeft = 0;
  private bdatLast = false;
  private held: { data: Uint8Array; mark: PacketMark; offset: number }[] = [];
  private heldBytes = 0;
  private serverSeen = false;
  private clientLines = 0;
  private nextId = 0;
  private clientOffset = 0;

  constructor(private readonly sink: CarveFileSink) {}

  onData(c: StreamChunk): void {
    if (this.gaveUp || this.mode === 'stopped') return;
    // before the first command, anything binary or an overlong first line is not SMTP
    if (!this.recognized && (!textLike(c.data) || this.clientLine.pending > 1024 || this.serverLine.pending > 1024)) {
      this.gaveUp = true;
      return;
    }
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    if (c.dir === 0) {
      if (c.gapBefore > 0) this.clientGap(c.gapBefore, mark, c.offset);
      this.clientOffset = c.offset;
      this.client(c.data, mark);
    } else {
      if (c.gapBefore > 0) this.serverLine.clear();
      this.serverSeen = true;
      this.server(c.data, c.offset);
    }
  }

  onEnd(dir: Direction): void {
    if (dir !== 0 || this.gaveUp) return;
    if (this.mode === 'await-data') this.accept(null);
    if (this.message) {
      this.message.end(null, true, 'the client stream ended inside the message');
      this.message = null;
    }
    this.mode = 'stopped';
  }

  private issue(dir: Direction, offset: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < MAX_ISSUES) this.issues.push({ dir, offset, message });
  }

  private clientGap(n: number, mark: PacketMark, offset: number): void {
    if (this.mode === 'data' && this.message) {
      this.message.gap(n, mark);
      this.reader.afterGap();
    } else if (this.mode === 'bdat' && this.message) {
      const inChunk = Math.min(n, this.bdatLeft);
      this.message.gap(inChunk, mark);
      this.bdatLeft -= inChunk;
      if (n > inChunk) {
        // the gap swallowed the next command line: the chunk boundary is lost
        this.message.end(mark, true, 'a gap covers the end of a BDAT chunk');
        this.message = null;
        this.mode = 'command';
      }
    } else {
      this.clientLine.clear();
    }
    this.issue(0, offset, `${n} bytes missing from the client stream`);
  }

  private client(data: Uint8Array, mark: PacketMark): void {
    let i = 0;
    while (i < data.length && !this.gaveUp) {
      switch (this.mode) {
        case 'stopped':
          return;
        case 'await-data': {
          if (!this.serverSeen) {
            this.accept(mark);
            continue;
          }
          const rest = data.subarray(i);
          this.held.push({ data: rest.slice(), mark, offset: this.clientOffset + i });
          this.heldBytes += rest.length;
          if (this.heldBytes > HOLD_CAP) {
            this.issue(0, this.clientOffset + i, 'no reply to DATA within 1 MiB of client data: taken as accepted');
            this.accept(null);
          }
          return;
        }
        case 'data': {
          const m = this.message as MessageEmitter;
          const end = this.reader.feed(data.subarray(i), (b) => m.write(b, mark));
          if (end === -1) return;
          i += end;
          m.end(mark, false);
          this.message = null;
          this.mode = 'command';
          this.expect('.');
          break;
        }
        case 'bdat': {
          const n = Math.min(this.bdatLeft, data.length - i);
          this.message?.write(data.subarray(i, i + n), mark);
          this.bdatLeft -= n;
          i += n;
          if (this.bdatLeft === 0) {
            this.mode = 'command';
            if (this.bdatLast && this.message) {
              this.message.end(mark, false);
              this.message = null;
            }
          }
          break;
        }
        case 'command': {
          const got = this.clientLine.take(data, i);
          if (!got) return;
          i = got[1];
          this.command(got[0], mark);
          break;
        }
      }
    }
  }

  /** DATA accepted (354, or assumed): held client bytes replay as message content. */
  private accept(mark: PacketMark | null): void {
    this.mode = 'data';
    this.reader.reset();
    const first = this.held[0]?.mark ?? mark ?? { sec: 0, nsec: 0, packet: 0 };
    this.message = new MessageEmitter(this.sink, this.nextId++, 'smtp', 'upload', 0, this.envelope, first);
    this.replayHeld();
  }

  private replayHeld(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const h of held) {
      this.clientOffset = h.offset;
      this.client(h.data, h.mark);
    }
  }

  private command(line: string, mark: PacketMark): void {
    this.clientLines++;
    const sp = line.indexOf(' ');
    const verb = (sp === -1 ? line : line.slice(0, sp)).toUpperCase();
    const arg = sp === -1 ? '' : line.slice(sp + 1);
    if (!this.recognized) {
      if (OPENING_VERBS.has(verb)) this.recognized = true;
      else {
        this.gaveUp = true;
        return;
      }
    }
    switch (verb) {
      case 'MAIL': {
        this.envelope = { from: path(arg), to: [] };
        break;
      }
      case 'RCPT': {
        const to = path(arg);
        if (to !== null && this.envelope.to.length < 1000) this.envelope.to.push(to);
        break;
      }
      case 'RSET':
        this.envelope = { from: null, to: [] };
        break;
      case 'DATA':
        this.expect('DATA');
        this.mode = 'await-data';
        this.held = [];
        this.heldBytes = 0;
        return;
      case 'BDAT': {
        const m = /^(\d{1,15})(\s+LAST)?\s*$/i.exec(arg);
        if (!m) {
          this.issue(0, this.clientOffset, `malformed BDAT: ${line.slice(0, 80)}`);
          break;
        }
        this.bdatLeft = Number(m[1]);
        this.bdatLast = m[2] !== undefined;
        this.message ??= new MessageEmitter(this.sink, this.nextId++, 'smtp', 'upload', 0, this.envelope, mark);
        this.expect('BDAT');
        if (this.bdatLeft > 0) this.mode = 'bdat';
        else if (this.bdatLast) {
          this.message.end(mark, false);
          this.message = null;
        }
        return;
      }
      case 'STARTTLS':
        if (!this.serverSeen) {
          this.issue(0, this.clientOffset, 'STARTTLS: the rest of the session is encrypted');
          this.mode = 'stopped';
          return;
        }
        break;
    }
    this.expect(verb);
  }

  private expect(verb: string): void {
    if (this.pending.length < MAX_PENDING) this.pending.push(verb);
  }

  private server(data: Uint8Array, offset: number): void {
    let i = 0;
    while (i < data.length && !this.gaveUp && this.mode !== 'stopped') {
      const got = this.serverLine.take(data, i);
      if (!got) return;
      i = got[1];
      const line = got[0];
      const m = /^(\d{3})([ -]|$)/.exec(line);
      if (!m) {
        if (!this.recognized) this.gaveUp = true;
        else this.issue(1, offset, `not an SMTP reply: ${line.slice(0, 80)}`);
        continue;
      }
      if (m[2] === '-') continue;
      this.reply(Number(m[1]), offset);
    }
  }

  private reply(code: number, offset: number): void {
    if (this.mode === 'await-data' && code === 354) {
      // the reply to DATA, whatever our count of earlier replies says
      const at = this.pending.lastIndexOf('DATA');
      this.pending.splice(0, at + 1);
      this.accept(null);
      return;
    }
    const verb = this.pending.shift();
    if (verb === undefined) return; // the greeting, or a reply to a command before the capture
    if (verb === 'DATA' && this.mode === 'await-data') {
      this.issue(1, offset, `DATA refused with ${code}`);
      this.mode = 'command';
      this.replayHeld();
    } else if (verb === 'STARTTLS' && code === 220) {
      this.issue(1, offset, 'STARTTLS accepted: the rest of the session is encrypted');
      if (this.message) {
        this.message.end(null, true, 'STARTTLS');
        this.message = null;
      }
      this.mode = 'stopped';
    }
  }
}

/** The address of `FROM:<a@b> SIZE=1` / `TO:<a@b>` (null for the null path and malformed ones). */
function path(arg: string): string | null {
  const m = /^(?:FROM|TO)\s*:\s*(<[^>]*>|\S+)/i.exec(arg);
  if (!m) return null;
  const a = m[1].replace(/^<|>$/g, '').trim();
  return a === '' ? null : a.slice(0, 2048);
}

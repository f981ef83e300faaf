/**
 * IMAP (RFC 9051/3501) message carving: a FETCH response item BODY[] (or RFC822, BINARY[]) whose
 * value is a literal `{n}` followed by n bytes is a whole message sent by the server (download);
 * an APPEND command's literal is a message sent by the client (upload). Items that carry part of
 * a message are carved as files marked partial, never as whole messages: a partial fetch
 * (BODY[]<origin>: a slice starting at that byte), the header or text alone (BODY[HEADER],
 * BODY[TEXT], RFC822.HEADER/TEXT), and one MIME section (BODY[1], BODY[1.2.MIME], BINARY[1]).
 * Every other literal is skipped by its byte count, so message bytes are never read as protocol
 * lines. STARTTLS accepted ends carving. Environment-free.
 */
import type { CarveFileSink, PacketMark } from '../carve-sink.js';
import { LineBuffer, textLike } from '../line-buffer.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import { MessageEmitter, type PartialMessage } from '../mime/message-emitter.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

const LITERAL = /\{(\d{1,15})(\+|-)?\}$/;
/** A FETCH response item whose value is the literal ending the line: [item, BODY|BINARY, section, origin, RFC822 form]. */
const FETCH_ITEM = /(?:\b(BODY|BINARY)\[([^\]]{0,200})\](?:<(\d{1,15})>)?|\b(RFC822(?:\.HEADER|\.TEXT)?))\s*\{\d+\+?\}$/i;
const FETCH_NUMBER = /^\*\s+(\d{1,10})\s+FETCH\b/i;
const APPEND = /^\S+\s+(?:UID\s+)?APPEND\s/i;
const CLIENT_OPENING = /^\S+\s+(CAPABILITY|LOGIN|AUTHENTICATE|STARTTLS|ID|NOOP|SELECT|EXAMINE|LIST|LSUB|STATUS|ENABLE|UID|FETCH|LOGOUT|APPEND)\b/i;

interface Side {
  line: LineBuffer;
  /** Bytes of the current literal still to come. */
  literalLeft: number;
  message: MessageEmitter | null;
  /** Inside an APPEND command: each literal of its continuation lines is a message (MULTIAPPEND). */
  appendLine: boolean;
  /** The line being read continues one that ended with a literal. */
  afterLiteral: boolean;
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
  /** The message number of the FETCH response being read (its lines continue after each literal). */
  private fetchMsg: string | null = null;

  constructor(private readonly sink: CarveFileSink) {}

  private side(): Side {
    return { line: new LineBuffer(), literalLeft: 0, message: null, appendLine: false, afterLiteral: false };
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
    const continues = s.afterLiteral;
    s.afterLiteral = lit !== null;
    if (!lit) {
      s.appendLine = false;
      if (dir === 1 && !continues) this.fetchMsg = null;
      return;
    }
    const n = Number(lit[1]);
    let carve: { part: PartialMessage | null } | null = null;
    if (dir === 1) {
      const num = FETCH_NUMBER.exec(line)?.[1];
      if (num !== undefined) this.fetchMsg = num;
      else if (line.startsWith('*') || !continues) this.fetchMsg = null;
      const item = fetchItem(line, this.fetchMsg);
      if (item) carve = { part: item.whole ? null : item.part };
    } else if (APPEND.test(line) || s.appendLine) carve = { part: null };
    if (dir === 0 && APPEND.test(line)) s.appendLine = true;
    s.literalLeft = n;
    if (carve && n > 0) s.message = new MessageEmitter(this.sink, this.nextId++, 'imap', dir === 1 ? 'download' : 'upload', dir, null, mark, carve.part);
  }
}

/**
 * The FETCH item a server line ends with, when its literal is (part of) a message: whole for
 * BODY[], BINARY[] and RFC822; otherwise what part it is. `continuing`: the message number of the
 * FETCH response this line continues (the rest of a line after a literal).
 */
export function fetchItem(line: string, continuing: string | null = null): { whole: true } | { whole: false; part: PartialMessage } | null {
  const m = FETCH_ITEM.exec(line);
  if (!m) return null;
  const msg = FETCH_NUMBER.exec(line)?.[1] ?? continuing;
  const of = msg === null ? 'the message' : `message ${msg}`;
  const command = (item: string): string => (msg === null ? `FETCH ${item}` : `FETCH ${msg} ${item}`);
  const tag = msg ?? 'x';
  if (m[4]) {
    const form = m[4].toUpperCase();
    if (form === 'RFC822') return { whole: true };
    const header = form === 'RFC822.HEADER';
    return {
      whole: false,
      part: {
        partial: { command: command(form), what: header ? `IMAP ${form}: the header block of ${of} only` : `IMAP ${form}: the text of ${of} without its header block` },
        kind: 'message',
        headers: header,
        name: `message-${tag}.${header ? 'header' : 'text'}.partial.eml`,
      },
    };
  }
  const kind = (m[1] as string).toUpperCase();
  const section = (m[2] as string).toUpperCase();
  const origin = m[3] === undefined ? null : Number(m[3]);
  const item = `${kind}[${m[2]}]${origin === null ? '' : `<${origin}>`}`;
  const slice = origin === null ? '' : ` (a slice starting at byte ${origin} of it)`;
  if (section === '' && origin === null) return { whole: true };
  if (section === '') {
    return {
      whole: false,
      part: {
        partial: { command: command(item), what: `IMAP partial fetch ${item}: ${origin === 0 ? `the first bytes of ${of}` : `bytes of ${of} from offset ${origin} on`}, not the whole message` },
        kind: 'message',
        headers: origin === 0,
        name: `message-${tag}.from-${origin}.partial.eml`,
      },
    };
  }
  if (section === 'HEADER' || section.startsWith('HEADER.FIELDS')) {
    return {
      whole: false,
      part: { partial: { command: command(item), what: `IMAP ${item}: header fields of ${of} only${slice}` }, kind: 'message', headers: origin === null || origin === 0, name: `message-${tag}.header.partial.eml` },
    };
  }
  if (section === 'TEXT') {
    return {
      whole: false,
      part: { partial: { command: command(item), what: `IMAP ${item}: the text of ${of} without its header block${slice}` }, kind: 'message', headers: false, name: `message-${tag}.text.partial.eml` },
    };
  }
  // a numbered section (1, 1.2, 2.HEADER, 1.MIME, 3.TEXT): one MIME part, as the server sent it
  const safe = section.replace(/[^0-9A-Z.]/g, '').slice(0, 40);
  const how = kind === 'BINARY' ? 'content decoded by the server' : 'as sent, its Content-Transfer-Encoding not undone (the part headers are not in it)';
  return {
    whole: false,
    part: {
      partial: { command: command(item), what: `IMAP ${item}: MIME section ${section} of ${of} only, ${how}${slice}` },
      kind: 'mime-part',
      headers: false,
      name: `message-${tag}.section-${safe || 'x'}.bin`,
    },
  };
}

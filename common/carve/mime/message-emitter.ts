/**
 * One mail message (SMTP DATA/BDAT, POP3 RETR, IMAP FETCH BODY[]) streamed into a CarveFileSink:
 * the header block is held back (at most HEADER_CAP bytes) until it is complete, so the file
 * starts with its From/To/Subject; the rest streams through. Environment-free.
 */
import { NO_HTTP, type CarveFileSink, type PacketMark } from '../carve-sink.js';
import type { CarveProtocol, EmailFields, PartialInfo } from '../carved-record.js';
import { decodeEncodedWords, field, fieldsNamed, readHeaderBlock } from './mime-headers.js';

export const HEADER_CAP = 64 * 1024;

export interface Envelope {
  from: string | null;
  to: string[];
}

/** A file that is not a whole message (POP3 TOP, IMAP partial fetch or section). */
export interface PartialMessage {
  partial: PartialInfo;
  /** 'message' when it is (the start of) a message, 'mime-part' for one MIME section. */
  kind: 'message' | 'mime-part';
  /** The bytes start with the message's header block (its email fields are read from it). */
  headers: boolean;
  /** File name when there is no subject to name it by. */
  name: string;
}

export class MessageEmitter {
  private head: Uint8Array[] = [];
  private headLen = 0;
  private started = false;
  private atLineStart = true;
  private size = 0;
  private missing = 0;
  private last: PacketMark;
  private readonly notes: string[] = [];

  constructor(
    private readonly sink: CarveFileSink,
    private readonly id: number,
    private readonly protocol: CarveProtocol,
    private readonly direction: 'download' | 'upload',
    private readonly streamDir: 0 | 1,
    private readonly envelope: Envelope | null,
    private readonly first: PacketMark,
    private readonly part: PartialMessage | null = null,
  ) {
    this.last = first;
    if (part) this.note(`partial: ${part.partial.what}`);
  }

  note(n: string): void {
    if (this.notes.length < 16) this.notes.push(n);
  }

  write(data: Uint8Array, mark: PacketMark): void {
    if (data.length === 0) return;
    this.last = mark;
    this.size += data.length;
    // without a header block there is nothing to hold back
    if (!this.started && this.part?.headers === false) this.start();
    if (this.started) {
      this.sink.onFileData(this.id, data);
      return;
    }
    this.head.push(data.slice());
    this.headLen += data.length;
    if (this.headLen >= HEADER_CAP || this.scanHead(data)) this.start();
  }

  gap(missing: number, mark: PacketMark): void {
    if (missing <= 0) return;
    this.last = mark;
    this.missing += missing;
    // a gap inside the held-back head: what came before it is all the header we will get
    this.start();
    this.sink.onFileGap(this.id, missing);
  }

  end(mark: PacketMark | null, incomplete: boolean, why?: string): void {
    if (mark) this.last = mark;
    if (why) this.note(why);
    this.start();
    // a partial file is never reported whole, even when every byte of the answer was captured
    this.sink.onFileEnd(this.id, { size: this.size, missingBytes: this.missing, incomplete: incomplete || this.missing > 0 || this.part !== null, notes: this.notes, last: this.last });
  }

  /** True once an empty line has passed (state carried across writes: each byte is looked at once). */
  private scanHead(data: Uint8Array): boolean {
    for (let i = 0; i < data.length; i++) {
      const c = data[i];
      if (c === 0x0a) {
        if (this.atLineStart) return true;
        this.atLineStart = true;
      } else if (c !== 0x0d) this.atLineStart = false;
    }
    return false;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const head = concat(this.head, this.headLen);
    this.head = [];
    const part = this.part;
    const email = part && !part.headers ? null : emailFields(head, this.envelope);
    const subject = email?.subject ? email.subject.slice(0, 150) : null;
    this.sink.onFileStart({
      id: this.id,
      kind: part?.kind ?? 'message',
      parentId: null,
      direction: this.direction,
      streamDir: this.streamDir,
      name: part ? (subject && part.kind === 'message' ? `${subject}.partial.eml` : part.name) : `${subject ?? 'message'}.eml`,
      declaredType: part && part.kind !== 'message' ? null : 'message/rfc822',
      codings: [],
      declaredLength: null,
      range: null,
      http: NO_HTTP,
      protocol: this.protocol,
      email,
      partial: part?.partial ?? null,
      first: this.first,
    });
    if (head.length > 0) this.sink.onFileData(this.id, head);
  }
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const cut = (s: string, n: number): string => (s.length > n ? s.slice(0, n) : s);

/** Splits an address list on commas outside quotes and angle brackets. */
export function splitAddresses(v: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  let angle = 0;
  for (const c of v) {
    if (c === '"') q = !q;
    else if (!q && c === '<') angle++;
    else if (!q && c === '>') angle = Math.max(0, angle - 1);
    if (c === ',' && !q && angle === 0) {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** The email fields of a message from its header block (decoded), plus the SMTP envelope. */
export function emailFields(head: Uint8Array, envelope: Envelope | null): EmailFields {
  const h = readHeaderBlock(head);
  const one = (n: string): string | null => {
    const v = field(h.fields, n);
    return v === null ? null : cut(decodeEncodedWords(v), 2048);
  };
  const list = (n: string): string[] => fieldsNamed(h.fields, n).flatMap((v) => splitAddresses(decodeEncodedWords(v))).slice(0, 1000).map((a) => cut(a, 2048));
  const subject = field(h.fields, 'subject');
  const date = one('date');
  return {
    from: one('from'),
    to: list('to'),
    cc: list('cc'),
    subject: subject === null ? null : cut(decodeEncodedWords(subject), 4096),
    messageId: one('message-id'),
    date: date === null ? null : cut(date, 256),
    envelopeFrom: envelope?.from == null ? null : cut(envelope.from, 2048),
    envelopeTo: (envelope?.to ?? []).slice(0, 1000).map((a) => cut(a, 2048)),
  };
}

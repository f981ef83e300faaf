/**
 * SMB2/3 file carving (MS-SMB2) over one TCP flow, recognized on any port by its NetBIOS
 * session framing and the 0xFE 'SMB' protocol id. TREE_CONNECT names the share, CREATE the file
 * (its response gives the FileId and the file's end-of-file size); READ responses carry file
 * bytes from the server (download), WRITE requests file bytes from the client (upload), each at
 * an offset of a FileId. Each FileId and direction becomes one file, streamed in offset order:
 * bytes at the next expected offset go straight to the sink, bytes ahead of it are held
 * (bounded) until what comes before arrives, and what never arrives is a gap (reported, never
 * invented). CLOSE, or the end of the flow, ends a file; a file read only in part says how much
 * of its size was seen. Compound requests with related FileIds are followed. Encrypted (0xFD)
 * and compressed (0xFC) messages cannot be read: noted and skipped. SMB1 (0xFF) is not carved.
 * Environment-free.
 */
import { NO_HTTP, type CarveFileSink, type PacketMark } from '../carve-sink.js';
import type { CarveIssue, StreamCarver } from '../stream-carver.js';
import type { Direction, StreamChunk } from '../../reassembly/stream-types.js';

const NEGOTIATE = 0x00;
const TREE_CONNECT = 0x03;
const CREATE = 0x05;
const CLOSE = 0x06;
const READ = 0x08;
const WRITE = 0x09;
const STATUS_PENDING = 0x00000103;
const STATUS_BUFFER_OVERFLOW = 0x80000005;
const FLAG_RESPONSE = 0x1;
const FLAG_ASYNC = 0x2;
const FLAG_RELATED = 0x4;
/** Largest NetBIOS message accepted (SMB2 reads and writes are at most 8 MiB). */
const MAX_MESSAGE = 16 * 1024 * 1024 + 4096;
/** Out-of-order bytes held per file before the lowest hole is given up as a gap. */
const MAX_HELD = 16 * 1024 * 1024;
/** ...and pieces (each arrival scans them: a hostile stream of tiny out-of-order writes stays linear). */
const MAX_HELD_PIECES = 1024;
const MAX_PENDING = 4096;
const MAX_FILES = 10_000;
const RELATED_FILE_ID = 'ffffffffffffffffffffffffffffffff';

interface Side {
  buf: Uint8Array;
  len: number;
  /** Framing lost (a gap inside a message): this direction is no longer read. */
  lost: boolean;
}

interface Pending {
  command: number;
  name?: string;
  share?: string | null;
  fileId?: string;
  /** CREATE message id this related request's FileId comes from. */
  relatedTo?: number;
  offset?: number;
}

interface Opened {
  name: string;
  share: string | null;
  size: number | null;
}

class FileStream {
  started = false;
  next = 0;
  size = 0;
  missing = 0;
  duplicate = 0;
  held = new Map<number, Uint8Array>();
  heldBytes = 0;
  last: PacketMark;
  constructor(
    readonly id: number,
    readonly fileId: string,
    readonly direction: 'download' | 'upload',
    readonly opened: Opened | null,
    readonly first: PacketMark,
  ) {
    this.last = first;
  }
}

export class Smb2Carver implements StreamCarver {
  recognized = false;
  gaveUp = false;
  readonly issues: CarveIssue[] = [];
  issueCount = 0;
  private readonly sides: [Side, Side] = [this.side(), this.side()];
  private readonly pending = new Map<number, Pending>();
  private readonly trees = new Map<number, string>();
  private readonly opened = new Map<string, Opened>();
  /** FileId each CREATE response gave, by the CREATE's message id (for related compound requests). */
  private readonly createdBy = new Map<number, string>();
  private readonly streams = new Map<string, FileStream>();
  private lastCreate = -1;
  /** WRITEs compounded with a CREATE whose answer (the FileId) has not come yet, by the CREATE's message id. */
  private readonly relatedWrites = new Map<number, { offset: number; data: Uint8Array; mark: PacketMark; messageId: number }[]>();
  private relatedBytes = 0;
  private nextId = 0;
  private noted = new Set<string>();

  constructor(private readonly sink: CarveFileSink) {}

  private side(): Side {
    return { buf: new Uint8Array(0), len: 0, lost: false };
  }

  onData(c: StreamChunk): void {
    if (this.gaveUp) return;
    const s = this.sides[c.dir];
    if (s.lost) return;
    const mark = { sec: c.tsSec, nsec: c.tsNsec, packet: c.packet };
    if (c.gapBefore > 0) {
      if (!this.recognized) {
        this.gaveUp = true;
        return;
      }
      // message boundaries are lost with the bytes: stop reading this direction
      s.lost = true;
      this.issue(c.dir, c.offset, `${c.gapBefore} bytes missing: SMB2 framing lost, the rest of this direction is not read`);
      return;
    }
    this.append(s, c.data);
    let at = 0;
    while (s.len - at >= 4 && !this.gaveUp) {
      const b = s.buf;
      const type = b[at];
      const n = ((b[at + 1] & 0x01) << 16) | (b[at + 2] << 8) | b[at + 3];
      if (type !== 0x00) {
        // NetBIOS session service control messages (port 139): session request/response, keep-alive
        if (!this.recognized && type !== 0x81 && type !== 0x82 && type !== 0x85) {
          this.gaveUp = true;
          return;
        }
        if (s.len - at < 4 + n) break;
        at += 4 + n;
        continue;
      }
      if (!this.recognized) {
        if (s.len - at < 8) break;
        const magic = b[at + 4];
        if (!((magic === 0xfe || magic === 0xff || magic === 0xfd || magic === 0xfc) && b[at + 5] === 0x53 && b[at + 6] === 0x4d && b[at + 7] === 0x42)) {
          this.gaveUp = true;
          return;
        }
      }
      if (n > MAX_MESSAGE) {
        s.lost = true;
        this.issue(c.dir, c.offset, `a ${n}-byte NetBIOS message is beyond the ${MAX_MESSAGE}-byte limit: the rest of this direction is not read`);
        return;
      }
      if (s.len - at < 4 + n) break;
      this.recognized = true;
      this.message(c.dir, b.subarray(at + 4, at + 4 + n), mark, c.offset);
      at += 4 + n;
    }
    if (at > 0) {
      s.buf.copyWithin(0, at, s.len);
      s.len -= at;
    }
  }

  onEnd(dir: Direction): void {
    this.ended[dir] = true;
    // a READ's data is in the server's direction, a WRITE's in the client's: files end with both
    if (this.ended[0] && this.ended[1] && !this.gaveUp) for (const f of [...this.streams.values()]) this.endFile(f, 'the flow ended before CLOSE');
  }

  private readonly ended = [false, false];

  private append(s: Side, d: Uint8Array): void {
    if (s.len + d.length > s.buf.length) {
      const grown = new Uint8Array(Math.max(s.len + d.length, s.buf.length * 2, 4096));
      grown.set(s.buf.subarray(0, s.len));
      s.buf = grown;
    }
    s.buf.set(d, s.len);
    s.len += d.length;
  }

  private issue(dir: Direction, offset: number, message: string): void {
    this.issueCount++;
    if (this.issues.length < 32) this.issues.push({ dir, offset, message });
  }

  private noteOnce(dir: Direction, offset: number, key: string, message: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.issue(dir, offset, message);
  }

  /** One NetBIOS message: SMB2 commands, chained when compounded. */
  private message(dir: Direction, m: Uint8Array, mark: PacketMark, streamOffset: number): void {
    const v = new DataView(m.buffer, m.byteOffset, m.byteLength);
    let off = 0;
    for (let guard = 0; guard < 256; guard++) {
      if (m.length - off < 64) return;
      if (m[off + 1] !== 0x53 || m[off + 2] !== 0x4d || m[off + 3] !== 0x42) return;
      const magic = m[off];
      if (magic === 0xfd) return this.noteOnce(dir, streamOffset, 'enc', 'encrypted SMB3 messages: their files cannot be carved');
      if (magic === 0xfc) return this.noteOnce(dir, streamOffset, 'comp', 'compressed SMB3 messages are not decoded: their files are not carved');
      if (magic === 0xff) return this.noteOnce(dir, streamOffset, 'smb1', 'SMB1 messages: only SMB2/3 files are carved');
      if (magic !== 0xfe || v.getUint16(off + 4, true) !== 64) return;
      const status = v.getUint32(off + 8, true);
      const command = v.getUint16(off + 12, true);
      const flags = v.getUint32(off + 16, true);
      const next = v.getUint32(off + 20, true);
      const messageId = v.getUint32(off + 24, true) + v.getUint32(off + 28, true) * 2 ** 32;
      const treeId = flags & FLAG_ASYNC ? -1 : v.getUint32(off + 36, true);
      const end = next > 0 && off + next <= m.length ? off + next : m.length;
      const cmd = { m: m.subarray(0, end), v, off, body: off + 64, status, command, flags, messageId, treeId, mark, dir, streamOffset };
      if (flags & FLAG_RESPONSE) this.response(cmd);
      else this.request(cmd);
      if (next === 0 || off + next >= m.length || next < 64) return;
      off += next;
    }
  }

  private request(c: Cmd): void {
    if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as number);
    const { v, body, m } = c;
    switch (c.command) {
      case NEGOTIATE:
        return;
      case TREE_CONNECT: {
        if (m.length < body + 8) return;
        const path = utf16(m, c.off + v.getUint16(body + 4, true), v.getUint16(body + 6, true));
        this.pending.set(c.messageId, { command: TREE_CONNECT, share: path });
        return;
      }
      case CREATE: {
        if (m.length < body + 48) return;
        const name = utf16(m, c.off + v.getUint16(body + 44, true), v.getUint16(body + 46, true));
        this.pending.set(c.messageId, { command: CREATE, name, share: this.trees.get(c.treeId) ?? null });
        this.lastCreate = c.messageId;
        return;
      }
      case READ: {
        if (m.length < body + 32) return;
        const fileId = hex(m, body + 16);
        const related = fileId === RELATED_FILE_ID && c.flags & FLAG_RELATED ? this.lastCreate : undefined;
        this.pending.set(c.messageId, { command: READ, fileId, offset: u64(v, body + 8), relatedTo: related });
        return;
      }
      case WRITE: {
        if (m.length < body + 32) return;
        const dataOff = c.off + v.getUint16(body + 2, true);
        const len = v.getUint32(body + 4, true);
        let fileId = hex(m, body + 16);
        const data = m.subarray(Math.min(dataOff, m.length), Math.min(dataOff + len, m.length));
        if (data.length < len) this.issue(c.dir, c.streamOffset, `WRITE message ${c.messageId}: ${len - data.length} of its ${len} bytes are not in the message`);
        if (fileId === RELATED_FILE_ID && c.flags & FLAG_RELATED) {
          const created = this.createdBy.get(this.lastCreate);
          if (created === undefined) {
            // compounded after its CREATE: the FileId comes with the CREATE's response (held until then, bounded)
            const waiting = this.relatedWrites.get(this.lastCreate) ?? [];
            if (this.relatedBytes + data.length <= MAX_HELD) {
              waiting.push({ offset: u64(v, body + 8), data: data.slice(), mark: c.mark, messageId: c.messageId });
              this.relatedBytes += data.length;
              this.relatedWrites.set(this.lastCreate, waiting);
            } else this.issue(c.dir, c.streamOffset, `WRITE message ${c.messageId}: too many bytes waiting for their CREATE's answer; dropped`);
            return;
          }
          fileId = created;
        }
        this.put(fileId, 'upload', u64(v, body + 8), data, c.mark);
        this.pending.set(c.messageId, { command: WRITE, fileId });
        return;
      }
      case CLOSE: {
        if (m.length < body + 24) return;
        const fileId = hex(m, body + 8);
        for (const dir of ['download', 'upload'] as const) {
          const f = this.streams.get(`${fileId}/${dir}`);
          if (f) this.endFile(f, null);
        }
        this.opened.delete(fileId);
        return;
      }
    }
  }

  private response(c: Cmd): void {
    if (c.status === STATUS_PENDING) return; // an interim answer: the final one comes later with the same id
    const p = this.pending.get(c.messageId);
    if (!p) return;
    this.pending.delete(c.messageId);
    const { v, body, m } = c;
    const ok = c.status === 0;
    switch (p.command) {
      case TREE_CONNECT:
        if (ok && p.share !== undefined && c.treeId >= 0 && this.trees.size < MAX_FILES) this.trees.set(c.treeId, p.share as string);
        return;
      case CREATE: {
        const waiting = this.relatedWrites.get(c.messageId) ?? [];
        this.relatedWrites.delete(c.messageId);
        for (const w of waiting) this.relatedBytes -= w.data.length;
        if (!ok || m.length < body + 80) {
          if (waiting.length) this.issue(c.dir, c.streamOffset, `CREATE ${c.messageId} failed: ${waiting.length} WRITE(s) compounded with it wrote nothing`);
          return;
        }
        const fileId = hex(m, body + 64);
        if (this.opened.size < MAX_FILES) this.opened.set(fileId, { name: p.name ?? '', share: p.share ?? null, size: u64(v, body + 48) });
        this.createdBy.set(c.messageId, fileId);
        if (this.createdBy.size > MAX_PENDING) this.createdBy.delete(this.createdBy.keys().next().value as number);
        for (const w of waiting) {
          this.put(fileId, 'upload', w.offset, w.data, w.mark);
          this.pending.set(w.messageId, { command: WRITE, fileId });
        }
        return;
      }
      case READ: {
        if ((!ok && c.status !== STATUS_BUFFER_OVERFLOW) || m.length < body + 8) return;
        const fileId = p.relatedTo !== undefined ? (this.createdBy.get(p.relatedTo) ?? (p.fileId as string)) : (p.fileId as string);
        const dataOff = c.off + m[body + 2];
        const len = v.getUint32(body + 4, true);
        const data = m.subarray(Math.min(dataOff, m.length), Math.min(dataOff + len, m.length));
        if (data.length < len) this.issue(c.dir, c.streamOffset, `READ response ${c.messageId}: ${len - data.length} of its ${len} bytes are not in the message`);
        this.put(fileId, 'download', p.offset ?? 0, data, c.mark);
        return;
      }
      case WRITE: {
        if (ok) return;
        const f = this.streams.get(`${p.fileId}/upload`);
        if (f) this.noteFile(f, `a WRITE was refused (status 0x${c.status.toString(16).padStart(8, '0')}): its bytes are carved as sent`);
        return;
      }
    }
  }

  private fileNotes = new Map<FileStream, string[]>();

  private noteFile(f: FileStream, n: string): void {
    const l = this.fileNotes.get(f) ?? [];
    if (l.length < 16 && !l.includes(n)) l.push(n);
    this.fileNotes.set(f, l);
  }

  /** File bytes `data` at `offset` of FileId `fileId` in one direction. */
  private put(fileId: string, direction: 'download' | 'upload', offset: number, data: Uint8Array, mark: PacketMark): void {
    const key = `${fileId}/${direction}`;
    let f = this.streams.get(key);
    if (!f) {
      if (this.streams.size >= MAX_FILES) return;
      f = new FileStream(this.nextId++, fileId, direction, this.opened.get(fileId) ?? null, mark);
      this.streams.set(key, f);
    }
    f.last = mark;
    let d = data;
    let at = offset;
    if (at + d.length <= f.next) {
      f.duplicate += d.length;
      return;
    }
    if (at < f.next) {
      f.duplicate += f.next - at;
      d = d.subarray(f.next - at);
      at = f.next;
    }
    if (at > f.next) {
      // ahead of the next expected byte: held (a copy) until the bytes before it come
      const have = f.held.get(at);
      if (have && have.length >= d.length) return;
      f.held.set(at, d.slice());
      f.heldBytes += d.length - (have?.length ?? 0);
      while (f.heldBytes > MAX_HELD || f.held.size > MAX_HELD_PIECES) this.flushLowest(f);
      return;
    }
    this.write(f, d);
    this.drain(f);
  }

  private start(f: FileStream): void {
    if (f.started) return;
    f.started = true;
    const o = f.opened;
    const share = o?.share ? o.share.replace(/\\/g, '/').replace(/^\/+/, '') : null;
    const path = o ? o.name.replace(/\\/g, '/').replace(/^\/+/, '') : null;
    this.sink.onFileStart({
      id: f.id,
      kind: 'transfer',
      parentId: null,
      direction: f.direction,
      streamDir: f.direction === 'download' ? 1 : 0,
      name: path ? path : null,
      declaredType: null,
      codings: [],
      declaredLength: o?.size ?? null,
      range: null,
      http: { ...NO_HTTP, method: f.direction === 'download' ? 'READ' : 'WRITE', url: share !== null && path !== null ? `smb://${share}/${path}` : null, host: share?.split('/')[0] || null },
      protocol: 'smb',
      email: null,
      first: f.first,
    });
  }

  private write(f: FileStream, d: Uint8Array): void {
    if (d.length === 0) return;
    this.start(f);
    this.sink.onFileData(f.id, d);
    f.size += d.length;
    f.next += d.length;
  }

  private gap(f: FileStream, n: number): void {
    if (n <= 0) return;
    this.start(f);
    this.sink.onFileGap(f.id, n);
    f.missing += n;
    f.next += n;
  }

  /** Held pieces that now adjoin the delivered bytes. */
  private drain(f: FileStream): void {
    for (;;) {
      let found = false;
      for (const [at, d] of f.held) {
        if (at > f.next) continue;
        f.held.delete(at);
        f.heldBytes -= d.length;
        if (at + d.length > f.next) this.write(f, d.subarray(f.next - at));
        else f.duplicate += d.length;
        found = true;
        break;
      }
      if (!found) return;
    }
  }

  private flushLowest(f: FileStream): void {
    let lowest = Infinity;
    for (const at of f.held.keys()) lowest = Math.min(lowest, at);
    if (lowest === Infinity) return;
    this.gap(f, lowest - f.next);
    this.drain(f);
  }

  private endFile(f: FileStream, why: string | null): void {
    this.streams.delete(`${f.fileId}/${f.direction}`);
    while (f.held.size > 0) this.flushLowest(f);
    if (!f.started) return;
    const notes = this.fileNotes.get(f) ?? [];
    if (why) notes.push(why);
    const total = f.opened?.size ?? null;
    let missing = f.missing;
    if (total !== null && f.next < total) {
      notes.push(`${f.next} of the file's ${total} bytes were ${f.direction === 'download' ? 'read' : 'written'} in this flow`);
      missing += total - f.next;
    }
    if (f.duplicate > 0) notes.push(`${f.duplicate} bytes transferred more than once (the first copy kept)`);
    if (!f.opened) notes.push('the CREATE that opened this FileId is not in the flow: no name');
    this.sink.onFileEnd(f.id, { size: f.size, missingBytes: missing, incomplete: missing > 0 || why !== null, notes: notes.slice(0, 16), last: f.last });
  }
}

interface Cmd {
  m: Uint8Array;
  v: DataView;
  off: number;
  body: number;
  status: number;
  command: number;
  flags: number;
  messageId: number;
  treeId: number;
  mark: PacketMark;
  dir: Direction;
  streamOffset: number;
}

function u64(v: DataView, at: number): number {
  return v.getUint32(at, true) + v.getUint32(at + 4, true) * 2 ** 32;
}

function hex(m: Uint8Array, at: number): string {
  let s = '';
  for (let i = at; i < at + 16 && i < m.length; i++) s += m[i].toString(16).padStart(2, '0');
  return s;
}

/** A UTF-16LE name at [at, at + n) of m (bounded, unpaired surrogates replaced). */
function utf16(m: Uint8Array, at: number, n: number): string {
  const end = Math.min(m.length, at + Math.min(n, 4096));
  let s = '';
  for (let i = at; i + 1 < end; i += 2) s += String.fromCharCode(m[i] | (m[i + 1] << 8));
  return s;
}

/**
 * Lazily started files: a file is announced to the sink with its first byte (or first gap), so
 * empty bodies never become carved files, and its first-packet mark is the packet that carried
 * that byte. Sink exceptions are tagged so the carver can tell its own bugs (contained) from
 * storage failures (which must reach the caller). Environment-free.
 */
import type { CarveFileSink, FileStart, PacketMark } from '../carve-sink.js';

export class SinkFailure extends Error {
  constructor(readonly original: unknown) {
    super('carve sink failed');
  }
}

export type FileTemplate = Omit<FileStart, 'id' | 'first'>;

const MAX_FILE_NOTES = 16;

export class FileHandle {
  id = -1;
  started = false;
  ended = false;
  size = 0;
  missing = 0;
  incomplete = false;
  notes: string[] = [];
  last: PacketMark | null = null;

  constructor(readonly template: FileTemplate) {}

  note(s: string): void {
    if (this.notes.length < MAX_FILE_NOTES && !this.notes.includes(s)) this.notes.push(s);
  }
}

export class FileEmitter {
  private nextId = 0;
  files = 0;

  constructor(private readonly sink: CarveFileSink) {}

  data(h: FileHandle, view: Uint8Array, mark: PacketMark): void {
    if (view.length === 0 || h.ended) return;
    this.ensure(h, mark);
    h.size += view.length;
    h.last = mark;
    try {
      this.sink.onFileData(h.id, view);
    } catch (e) {
      throw new SinkFailure(e);
    }
  }

  gap(h: FileHandle, missing: number, mark: PacketMark): void {
    if (missing <= 0 || h.ended) return;
    this.ensure(h, mark);
    h.missing += missing;
    h.incomplete = true;
    this.call(() => this.sink.onFileGap(h.id, missing));
  }

  /** Ends a started file; a file that never got a byte or a gap is dropped silently. */
  end(h: FileHandle, incomplete: boolean, mark: PacketMark): void {
    if (h.ended) return;
    h.ended = true;
    if (!h.started) return;
    this.call(() =>
      this.sink.onFileEnd(h.id, { size: h.size, missingBytes: h.missing, incomplete: incomplete || h.incomplete, notes: h.notes, last: h.last ?? mark }),
    );
  }

  /** Late HTTP status for an upload whose response came after the file started. */
  status(h: FileHandle, status: number): void {
    if (!h.started) {
      h.template.http.status = status;
      return;
    }
    const update = this.sink.onFileInfo;
    if (update) this.call(() => update.call(this.sink, h.id, { status }));
  }

  private ensure(h: FileHandle, mark: PacketMark): void {
    if (h.started) return;
    h.started = true;
    h.id = this.nextId++;
    this.files++;
    const start: FileStart = Object.assign({ id: h.id, first: mark }, h.template);
    try {
      this.sink.onFileStart(start);
    } catch (e) {
      throw new SinkFailure(e);
    }
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new SinkFailure(e);
    }
  }
}

/** Feeding synthetic TCP payload to the HTTP carver and collecting what it carves. */
import type { CarveFileSink, FileEnd, FileStart } from '../../../common/carve/carve-sink.js';
import { HttpCarver, type HttpCarverOptions } from '../../../common/carve/http/http-carver.js';
import type { Direction, StreamChunk, StreamEndReason } from '../../../common/reassembly/stream-types.js';
export { prng as rng } from '../../helpers/prng.js';

export interface Carved {
  start: FileStart;
  end: FileEnd | null;
  bytes: Buffer;
  gaps: number[];
  status: number | null;
}

export class CollectingSink implements CarveFileSink {
  readonly files = new Map<number, Carved>();
  readonly order: number[] = [];
  onFileStart(f: FileStart): void {
    if (this.files.has(f.id)) throw new Error(`file ${f.id} started twice`);
    this.files.set(f.id, { start: structuredClone(f), end: null, bytes: Buffer.alloc(0), gaps: [], status: f.http.status });
    this.order.push(f.id);
  }
  onFileData(id: number, data: Uint8Array): void {
    const f = this.get(id);
    f.bytes = Buffer.concat([f.bytes, Buffer.from(data)]);
  }
  onFileGap(id: number, missing: number): void {
    this.get(id).gaps.push(missing);
  }
  onFileEnd(id: number, end: FileEnd): void {
    const f = this.get(id);
    if (f.end) throw new Error(`file ${id} ended twice`);
    f.end = structuredClone(end);
  }
  onFileInfo(id: number, info: { status: number }): void {
    // may come after the file's end (an upload ends before its response starts)
    const f = this.files.get(id);
    if (!f) throw new Error(`info for unknown file ${id}`);
    f.status = info.status;
  }
  private get(id: number): Carved {
    const f = this.files.get(id);
    if (!f) throw new Error(`file ${id} not started`);
    if (f.end) throw new Error(`file ${id} used after its end`);
    return f;
  }
  list(): Carved[] {
    return this.order.map((id) => this.files.get(id) as Carved);
  }
}

/** One step of a synthetic flow: bytes in a direction (optionally after a gap), or the end of a direction. */
export type Step = { dir: Direction; data: string | Uint8Array; gapBefore?: number } | { end: Direction; reason?: StreamEndReason; gapAtEnd?: number };

export function bytes(s: string | Uint8Array): Uint8Array {
  return typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
}

/** What the step feeder drives: an HTTP carver (a StreamSink) or any stream carver. */
export interface StepTarget {
  onData(c: StreamChunk): void;
  onEnd(dir: Direction, reason: StreamEndReason, gapAtEnd: number): void;
}

/**
 * Feeds the steps to a carver, cutting each data step into pieces of `piece` bytes (Infinity =
 * whole; an empty step is one empty chunk); ends both directions with a FIN unless the steps did.
 */
export function feedSteps(carver: StepTarget, steps: Step[], piece = Infinity): void {
  const offset = [0, 0];
  const ended = [false, false];
  let packet = 0;
  for (const s of steps) {
    if ('end' in s) {
      carver.onEnd(s.end, s.reason ?? 'fin', s.gapAtEnd ?? 0);
      ended[s.end] = true;
      continue;
    }
    const d = bytes(s.data);
    let gap = s.gapBefore ?? 0;
    offset[s.dir] += gap;
    let i = 0;
    do {
      const part = d.subarray(i, Math.min(d.length, i + piece));
      carver.onData({ dir: s.dir, offset: offset[s.dir], data: part, gapBefore: gap, tsSec: 1000 + packet, tsNsec: 5, packet: packet++ });
      offset[s.dir] += part.length;
      gap = 0;
      i += piece;
    } while (i < d.length);
  }
  for (const dir of [0, 1] as const) if (!ended[dir]) carver.onEnd(dir, 'fin', 0);
}

/** Runs the steps through a fresh HTTP carver (feedSteps). */
export function carve(steps: Step[], piece = Infinity, opts: Partial<HttpCarverOptions> = {}): { sink: CollectingSink; carver: HttpCarver } {
  const sink = new CollectingSink();
  const carver = new HttpCarver(sink, opts);
  feedSteps(carver, steps, piece);
  return { sink, carver };
}

/** The comparable essence of what was carved (for chunk-size invariance). */
export function summary(sink: CollectingSink): unknown[] {
  return sink.list().map((f) => ({
    kind: f.start.kind,
    name: f.start.name,
    direction: f.start.direction,
    method: f.start.http.method,
    url: f.start.http.url,
    status: f.status,
    codings: f.start.codings,
    range: f.start.range,
    bytes: f.bytes.toString('latin1'),
    missing: f.end?.missingBytes,
    incomplete: f.end?.incomplete,
  }));
}

export function response(status: string, headers: Record<string, string>, body = ''): string {
  return `HTTP/1.1 ${status}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n${body}`;
}

export function request(line: string, headers: Record<string, string>, body = ''): string {
  return `${line}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n${body}`;
}


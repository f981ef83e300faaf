/**
 * Undoing HTTP content codings (gzip, x-gzip, deflate — zlib-wrapped or raw —, br; stacked in any
 * order) with node:zlib streams, reading the encoded file from disk so memory stays flat. Caps
 * against decompression bombs: the output of every stage is limited to maxOutput and to
 * maxRatio × the encoded size (small bodies get a floor so they cannot trip the ratio alone).
 * Truncated input is decoded as far as it goes (sync flush) instead of being thrown away.
 */
import { createReadStream } from 'node:fs';
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';

export interface DecodeLimits {
  /** Largest decoded output per file (bytes). */
  maxOutput: number;
  /** Largest decoded/encoded size ratio. */
  maxRatio: number;
  /** Outputs up to this size never trip the ratio cap. */
  ratioFloor: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxOutput: 256 * 1024 * 1024, maxRatio: 1000, ratioFloor: 1024 * 1024 };

export type DecodeOutcome =
  /** trailing: bytes after the end of the encoded data that were ignored (as browsers do). */
  | { status: 'decoded'; size: number; trailing: number }
  /** The input is corrupt (or not what the coding says) after `size` good output bytes. */
  | { status: 'failed'; size: number; error: string }
  | { status: 'capped'; size: number; error: string }
  | { status: 'unsupported'; size: 0; error: string };

const SUPPORTED = new Set(['gzip', 'x-gzip', 'deflate', 'br']);

/** Inputs up to this size get the trailing-garbage retry (it decodes the input a few dozen times). */
const TRAILING_RETRY_MAX = 16 * 1024 * 1024;

/** Where decoded bytes go; reset() drops what was written (a retry starts over). */
export interface DecodeOutput {
  write(chunk: Uint8Array): void;
  reset(): void;
}

export function unsupportedCodings(codings: readonly string[]): string[] {
  return codings.filter((c) => !SUPPORTED.has(c));
}

class CapExceeded extends Error {}

/** Counts bytes through a stage and fails the pipeline past the cap. */
class Cap extends Transform {
  n = 0;
  constructor(
    private readonly cap: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    if (this.n > this.cap) cb(new CapExceeded(`${this.what} exceeds ${this.cap} bytes`));
    else cb(null, chunk);
  }
}

/** "deflate" is meant to be zlib-wrapped (RFC 9110) but many servers send raw deflate: decide from the first two bytes. */
class DeflateAuto extends Transform {
  private inner: zlib.Inflate | zlib.InflateRaw | null = null;
  private head: Buffer = Buffer.alloc(0);

  constructor(private readonly strict: boolean) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.inner) {
      this.inner.write(chunk, () => cb());
      return;
    }
    this.head = Buffer.concat([this.head, chunk]);
    if (this.head.length < 2) return cb();
    const cmf = this.head[0];
    const zlibWrapped = (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | this.head[1]) % 31 === 0;
    const opts = this.strict ? {} : { finishFlush: zlib.constants.Z_SYNC_FLUSH };
    this.inner = zlibWrapped ? zlib.createInflate(opts) : zlib.createInflateRaw(opts);
    this.inner.on('data', (d: Buffer) => this.push(d));
    this.inner.on('error', (e) => this.destroy(e));
    const first = this.head;
    this.head = Buffer.alloc(0);
    this.inner.write(first, () => cb());
  }

  override _flush(cb: TransformCallback): void {
    if (!this.inner) {
      // fewer than two bytes: nothing decodable
      return cb(this.head.length > 0 ? new Error('deflate stream shorter than 2 bytes') : null);
    }
    this.inner.once('end', () => cb());
    this.inner.end();
  }
}

/** strict: a stream that stops before its end is an error (else decode as far as it goes). */
function stage(coding: string, strict: boolean): Transform {
  const opts = strict ? {} : { finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (coding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(opts);
    case 'deflate':
      return new DeflateAuto(strict);
    case 'br':
      return zlib.createBrotliDecompress(strict ? {} : { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      throw new Error(`unsupported coding ${coding}`);
  }
}

/**
 * Decodes the file at `input` (codings in order of application) into `out`. Never throws for bad
 * data: the outcome says what happened. node:zlib rejects a gzip member followed by garbage and
 * loses that write's output; browsers ignore such garbage, so on failure the longest prefix
 * that decodes cleanly is found (binary search) and decoded instead.
 */
export async function decodeFile(input: string, inputSize: number, codings: readonly string[], out: DecodeOutput, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<DecodeOutcome> {
  const bad = unsupportedCodings(codings);
  if (bad.length > 0) return { status: 'unsupported', size: 0, error: `unsupported content coding ${bad.join(', ')}` };
  const first = await decodePrefix(input, inputSize, inputSize, codings, out, limits, false);
  if (first.status !== 'failed' || inputSize > TRAILING_RETRY_MAX || inputSize < 2) return first;
  let lo = 0;
  let hi = inputSize;
  const discard: DecodeOutput = { write: () => undefined, reset: () => undefined };
  // invariant: a prefix of lo bytes decodes without error, one of hi bytes does not
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const r = await decodePrefix(input, inputSize, mid, codings, discard, limits, false);
    if (r.status === 'failed') hi = mid;
    else lo = mid;
  }
  if (lo === 0) return first;
  // the clean prefix ends with a whole encoded stream (maybe plus a few bytes that pass for the
  // start of another gzip member): what follows that end is trailing garbage
  for (let end = lo; end > 0 && end > lo - 16; end--) {
    const whole = await decodePrefix(input, inputSize, end, codings, out, limits, true);
    if (whole.status === 'decoded') return { ...whole, trailing: inputSize - end };
  }
  // else the data is damaged at lo: keep what decodes before the damage
  const prefix = await decodePrefix(input, inputSize, lo, codings, out, limits, false);
  return prefix.status === 'decoded' ? { status: 'failed', size: prefix.size, error: first.error } : prefix;
}

async function decodePrefix(input: string, inputSize: number, length: number, codings: readonly string[], out: DecodeOutput, limits: DecodeLimits, strict: boolean): Promise<DecodeOutcome> {
  out.reset();
  const cap = Math.min(limits.maxOutput, Math.max(limits.ratioFloor, inputSize * limits.maxRatio));
  const capWhat = cap === limits.maxOutput ? 'decoded output' : `decoded output (ratio cap ${limits.maxRatio}:1 of ${inputSize} bytes)`;
  const stages: Transform[] = [];
  // undo the last-applied coding first; each stage's output is capped so a stacked bomb stops early
  for (const c of [...codings].reverse()) stages.push(stage(c, strict), new Cap(cap, capWhat));
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      try {
        out.write(chunk);
        size += chunk.length;
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
  try {
    if (length === 0) return { status: 'decoded', size: 0, trailing: 0 };
    await pipeline([createReadStream(input, { start: 0, end: length - 1 }), ...stages, sink]);
    return { status: 'decoded', size, trailing: 0 };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof CapExceeded) return { status: 'capped', size, error: message };
    if (isStorageError(e)) throw e;
    return { status: 'failed', size, error: message };
  }
}

/** Errors of the disk, not of the data: they must reach the caller. */
function isStorageError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^E(NOSPC|IO|ACCES|PERM|ROFS|MFILE|NFILE|DQUOT)$/.test(code);
}

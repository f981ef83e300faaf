/** Shared helpers for the capture parser tests: corpus location, oracle loading, record capture. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import type { CaptureFileInfo, CaptureInterface, PacketRecordView } from '../../../common/capture/capture-types.js';
export { prng } from '../../helpers/prng.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS_DIR = process.env.TAPLINE_CORPUS ?? resolve(REPO_ROOT, '../shared/corpus');
export const PCAPS_DIR = resolve(CORPUS_DIR, 'pcaps');

export function corpusAvailable(): boolean {
  return existsSync(PCAPS_DIR) && existsSync(resolve(CORPUS_DIR, 'oracles'));
}

export const CORPUS_SKIP_REASON = `corpus not found at ${CORPUS_DIR} (set TAPLINE_CORPUS)`;

/** Capture file names in the corpus, sorted; [] when the corpus is absent. */
export function corpusCaptures(): string[] {
  return corpusAvailable() ? readdirSync(PCAPS_DIR).sort() : [];
}

export function readCapture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(resolve(PCAPS_DIR, name)));
}

export interface OracleRow {
  frameNumber: number;
  timeEpoch: string;
  len: number;
  capLen: number;
}

/** frame.number, frame.time_epoch, frame.len, frame.cap_len from the capture's packets.tsv. */
export function readOracle(name: string): OracleRow[] {
  const text = readFileSync(resolve(CORPUS_DIR, 'oracles', name, 'packets.tsv'), 'utf8');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0].split('\t');
  const col = (f: string): number => {
    const i = header.indexOf(f);
    if (i < 0) throw new Error(`packets.tsv of ${name} lacks ${f}`);
    return i;
  };
  const [iNum, iTime, iLen, iCap] = [col('frame.number'), col('frame.time_epoch'), col('frame.len'), col('frame.cap_len')];
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    return { frameNumber: Number(c[iNum]), timeEpoch: c[iTime], len: Number(c[iLen]), capLen: Number(c[iCap]) };
  });
}

/**
 * tshark's frame.time_epoch with an out-of-range fraction carried into the seconds. tshark prints
 * a pcap record whose µs/ns field is >= 1 s un-normalized ("1000.1500000000"); the parsers
 * normalize (tsNsec < 1e9), so compare against the normalized value.
 */
export function normalizeTsharkEpoch(s: string): string {
  const m = /^(\d+)\.(\d{10,})$/.exec(s);
  if (m === null) return s;
  const frac = BigInt(m[2]);
  const sec = BigInt(m[1]) + frac / 1_000_000_000n;
  return `${sec}.${String(frac % 1_000_000_000n).padStart(9, '0')}`;
}

/** sec.nsec with 9 fraction digits, the way tshark prints frame.time_epoch. */
export function formatTimestamp(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

/** A copied record (the parser's view object and data are reused, so tests copy). */
export interface RecordCopy {
  index: number;
  recordOffset: number;
  recordLength: number;
  interfaceId: number;
  linkType: number;
  time: string;
  tsSec: number;
  tsNsec: number;
  capLen: number;
  origLen: number;
  dataOffset: number;
  blockType: number;
  data: Uint8Array;
}

export function copyRecord(r: PacketRecordView): RecordCopy {
  return {
    index: r.index,
    recordOffset: r.recordOffset,
    recordLength: r.recordLength,
    interfaceId: r.interfaceId,
    linkType: r.linkType,
    time: formatTimestamp(r.tsSec, r.tsNsec),
    tsSec: r.tsSec,
    tsNsec: r.tsNsec,
    capLen: r.capLen,
    origLen: r.origLen,
    dataOffset: r.dataOffset,
    blockType: r.blockType,
    data: new Uint8Array(r.data), // a copy (Buffer#slice would be a view)
  };
}

export interface ParseOutcome {
  info: CaptureFileInfo | null;
  interfaces: CaptureInterface[];
  records: RecordCopy[];
  error: CaptureFormatError | null;
  consumed: number;
}

/**
 * Feeds `bytes` to a fresh parser in `chunkSize` pieces (each a copy, which is then scribbled
 * over so a parser keeping a reference to a pushed chunk is caught), then ends it.
 */
export function parseInChunks(bytes: Uint8Array, chunkSize: number): ParseOutcome {
  const out: ParseOutcome = { info: null, interfaces: [], records: [], error: null, consumed: 0 };
  const parser = createCaptureParser({
    onFileInfo: (i) => (out.info = i),
    onInterface: (i) => out.interfaces.push(i),
    onPacket: (r) => out.records.push(copyRecord(r)),
  });
  try {
    for (let at = 0; at < bytes.length; at += chunkSize) {
      const chunk = bytes.slice(at, Math.min(at + chunkSize, bytes.length));
      parser.push(chunk);
      chunk.fill(0xa5);
    }
    parser.end();
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    out.error = e;
  }
  out.consumed = parser.consumed;
  return out;
}

let capinfosChecked: boolean | null = null;
export function capinfosAvailable(): boolean {
  if (capinfosChecked === null) {
    const r = spawnSync('capinfos', ['-h'], { encoding: 'utf8' });
    capinfosChecked = r.error === undefined && r.status === 0;
  }
  return capinfosChecked;
}

export interface CapinfosResult {
  /** "Number of packets", or null when capinfos could not open the file. */
  packets: number | null;
  /** capinfos reported a read error (damaged or cut-short file). */
  damaged: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `capinfos -c -M` (packet count only, exact numbers). */
export function runCapinfos(path: string): CapinfosResult {
  const r = spawnSync('capinfos', ['-c', '-M', path], { encoding: 'utf8' });
  const m = /Number of packets:\s+(\d+)/.exec(r.stdout);
  return {
    packets: m === null ? null : Number(m[1]),
    damaged: r.status !== 0,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
  };
}


export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Interim store writer for live capture, used until the live store writer (node/store/live/,
 * issue 5 part B) lands: writes packets to pcapng segment files under STORE/captures/, rotates by
 * size, and indexes each closed segment into the store through the ordinary import path (one code
 * path for decode → flow → index). Flows therefore become searchable when a segment closes (at
 * rotation and at stop), not within seconds; retention and conditional mode are the live
 * writer's and are refused by the capture session until it is merged.
 *
 * Packets are encoded by hand into one staging buffer (no per-packet allocation) and written
 * with writeSync at least once a second (and whenever the buffer fills), so a killed worker
 * loses at most about a second of packets; every complete block on disk stays readable.
 * Timestamps are written at nanosecond resolution (if_tsresol 9): exact for µs and ns sources.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LiveGap, LiveLink, LivePacket, LivePacketSink } from '../../common/capture/live-packet-sink.js';
import { encodePcapngInterfaceBlock, encodePcapngSectionHeader, timestampToTicks } from '../../common/capture/pcap-writer.js';

export interface SegmentSinkOptions {
  dir: string;
  /** Rotate when a segment reaches this size. Default 256 MiB. */
  segmentBytes?: number;
  /** Called (synchronously) with each closed segment; the session indexes it. */
  onSegmentClosed?: (path: string, packets: number) => void;
  /** Prefix of segment file names; default "live-<start time>". */
  name?: string;
}

const STAGING_BYTES = 4 * 1024 * 1024;
const EPB_HEADER = 28;

export class PcapngSegmentSink implements LivePacketSink {
  private readonly links: LiveLink[] = [];
  private readonly staging = Buffer.allocUnsafe(STAGING_BYTES);
  private readonly view = new DataView(this.staging.buffer, this.staging.byteOffset, STAGING_BYTES);
  private used = 0;
  private fd: number | null = null;
  private path: string | null = null;
  private segmentIndex = 0;
  private segmentBytes = 0;
  private segmentPackets = 0;
  private readonly maxSegment: number;
  private readonly prefix: string;
  /** Every segment file written (closed or current). */
  readonly segments: string[] = [];
  /** Bytes written to all segments (store size of this capture). */
  totalBytes = 0;
  private flushTimer: ReturnType<typeof setInterval> | null = null;
  private error: Error | null = null;

  constructor(private readonly opts: SegmentSinkOptions) {
    this.maxSegment = opts.segmentBytes ?? 256 * 1024 * 1024;
    const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    this.prefix = opts.name ?? `live-${t}-${process.pid}`;
    mkdirSync(opts.dir, { recursive: true });
    this.flushTimer = setInterval(() => this.flush(), 1000);
    this.flushTimer.unref();
  }

  /** The first write error (disk full...); the sink then drops packets and the session reports it. */
  get failure(): Error | null {
    return this.error;
  }

  link(link: LiveLink): void {
    this.links[link.id] = link;
    if (this.fd !== null) this.append(this.idb(link));
  }

  packet(p: LivePacket): void {
    if (this.error !== null) return;
    if (this.fd === null) this.openSegment();
    const padded = (p.capLen + 3) & ~3;
    const total = EPB_HEADER + padded + 4;
    if (this.used + total > STAGING_BYTES) this.flush();
    if (total > STAGING_BYTES) return; // cannot happen: capLen ≤ 262144
    const v = this.view;
    const o = this.used;
    const { hi, lo } = timestampToTicks(p.tsSec, p.tsNsec, 1e9);
    v.setUint32(o, 6, true);
    v.setUint32(o + 4, total, true);
    v.setUint32(o + 8, p.linkId, true);
    v.setUint32(o + 12, hi, true);
    v.setUint32(o + 16, lo, true);
    v.setUint32(o + 20, p.capLen, true);
    v.setUint32(o + 24, p.origLen, true);
    this.staging.set(p.data.subarray(0, p.capLen), o + EPB_HEADER);
    for (let i = o + EPB_HEADER + p.capLen; i < o + EPB_HEADER + padded; i++) this.staging[i] = 0;
    v.setUint32(o + EPB_HEADER + padded, total, true);
    this.used += total;
    this.segmentPackets++;
    if (this.segmentBytes + this.used >= this.maxSegment) this.rotate();
  }

  gap(g: LiveGap): void {
    // pcapng has no "no data" record; gaps go to a sidecar next to the segments.
    const line = JSON.stringify({ from: g.from, to: g.to, reason: g.reason, segment: this.path }) + '\n';
    try {
      appendFileSync(join(this.opts.dir, `${this.prefix}.gaps.ndjson`), line);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Writes buffered packets to the current segment. */
  flush(): void {
    if (this.fd === null || this.used === 0 || this.error !== null) return;
    try {
      let off = 0;
      while (off < this.used) off += writeSync(this.fd, this.staging, off, this.used - off);
      this.segmentBytes += this.used;
      this.totalBytes += this.used;
    } catch (e) {
      this.fail(e);
    }
    this.used = 0;
  }

  /** Flushes, fsyncs and closes the current segment; returns its path (null when none was open). */
  closeSegment(): string | null {
    if (this.fd === null) return null;
    this.flush();
    const fd = this.fd;
    const path = this.path!;
    const packets = this.segmentPackets;
    this.fd = null;
    this.path = null;
    try {
      fsyncSync(fd);
    } catch {
      // the data is written; fsync failing (e.g. on a pipe-backed fs) does not lose it
    }
    closeSync(fd);
    this.opts.onSegmentClosed?.(path, packets);
    return path;
  }

  close(): void {
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.flushTimer = null;
    this.closeSegment();
  }

  private rotate(): void {
    this.closeSegment();
  }

  private openSegment(): void {
    const path = join(this.opts.dir, `${this.prefix}-${String(this.segmentIndex++).padStart(5, '0')}.pcapng`);
    try {
      this.fd = openSync(path, 'wx', 0o640);
    } catch (e) {
      this.fail(e);
      return;
    }
    this.path = path;
    this.segments.push(path);
    this.segmentBytes = 0;
    this.segmentPackets = 0;
    this.append(encodePcapngSectionHeader({ userAppl: 'Tapline capture' }));
    for (const l of this.links) if (l) this.append(this.idb(l));
  }

  private idb(l: LiveLink): Uint8Array {
    return encodePcapngInterfaceBlock({ linkType: l.linkType, snapLen: l.snapLen, tsresol: 9, name: l.name });
  }

  private append(bytes: Uint8Array): void {
    if (this.used + bytes.length > STAGING_BYTES) this.flush();
    this.staging.set(bytes, this.used);
    this.used += bytes.length;
  }

  private fail(e: unknown): void {
    if (this.error === null) this.error = e instanceof Error ? e : new Error(String(e));
  }
}

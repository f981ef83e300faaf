/** Reading and writing index files on disk; the format itself lives in common/index. */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { FOOTER_SIZE, HEADER_SIZE, SectionType, type IndexMeta } from '../../common/index/index-format.js';
import { IndexView, checkIndexHeader, decodeOffsets, parseIndexFooter, parseSectionTable, type FlowRecord, type SectionSpan } from '../../common/index/index-reader.js';
import type { EncodedIndex } from '../../common/index/index-writer.js';
import { AtomicFile } from '../fs/atomic-file.js';

/**
 * zlib's native CRC-32, in the signature common/ expects. Node 20's zlib.crc32 returns 0 for an
 * empty view of a detached-size (0-byte) ArrayBuffer instead of the running value, so skip empties.
 */
export const nativeCrc32 = (data: Uint8Array, previous = 0): number => (data.length === 0 ? previous : crc32(data, previous));

export async function writeIndexFile(path: string, index: EncodedIndex): Promise<void> {
  const f = await AtomicFile.create(path);
  try {
    for (const c of index.chunks) await f.write(c);
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}

/** An index that cannot be used as it is: the store rebuilds it. */
export class IndexUnusableError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'IndexUnusableError';
  }
}

/**
 * Reads flows' packet offsets from an index's Offsets section, one positioned read per flow: all
 * a slice needs of an index once the flow records are known. Holds no more than the file handle,
 * which release() closes (the next read reopens the same file, and refuses a replaced one).
 */
export class IndexOffsets {
  private fh: FileHandle | null;
  private opening: Promise<FileHandle> | null = null;
  /** Reads in flight, and whether a release waits for them (it never closes under a read). */
  private reading = 0;
  private releaseWhenIdle = false;

  constructor(
    readonly path: string,
    private readonly section: SectionSpan,
    readonly identity: IndexFileIdentity,
    fh: FileHandle | null = null,
  ) {
    this.fh = fh;
  }

  /** Whether a file handle is open now. */
  get holding(): boolean {
    return this.fh !== null;
  }

  /** Record offsets of one flow's packets in capture order (one positioned read). */
  async read(r: FlowRecord): Promise<Float64Array> {
    if (r.offsetsStart + r.offsetsLength > this.section.length) throw new IndexUnusableError(this.path, `flow ${r.index} points outside the offsets section`);
    const b = new Uint8Array(r.offsetsLength);
    this.reading++;
    this.releaseWhenIdle = false;
    try {
      await readExactly(await this.handle(), b, this.section.offset + r.offsetsStart);
    } finally {
      if (--this.reading === 0 && this.releaseWhenIdle) await this.release();
    }
    return decodeOffsets(b, r.clientPackets + r.serverPackets);
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    this.opening ??= open(this.path, 'r').then(
      async (fh) => {
        const st = await fh.stat();
        if (!sameIdentity(this.identity, { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs })) {
          await fh.close();
          throw new IndexUnusableError(this.path, 'index was replaced while in use');
        }
        this.fh = fh;
        this.opening = null;
        return fh;
      },
      (e: unknown) => {
        this.opening = null;
        throw e;
      },
    );
    return this.opening;
  }

  /** Closes the file handle now, or after the reads in flight. */
  async release(): Promise<void> {
    if (this.reading > 0) {
      this.releaseWhenIdle = true;
      return;
    }
    this.releaseWhenIdle = false;
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}

export class IndexFile {
  private constructor(
    readonly path: string,
    readonly view: IndexView,
    /** The Offsets section's reader (shared with whoever keeps it after this index is dropped). */
    readonly offsets: IndexOffsets,
    /** Bytes of the sections held in memory (all but the offsets, which are read per flow). */
    readonly loadedBytes: number,
    /** The file's identity when it was opened: a later open of the same file may skip the CRC pass. */
    readonly identity: IndexFileIdentity,
  ) {}

  get meta(): IndexMeta {
    return this.view.meta;
  }

  /**
   * Opens and fully verifies (footer, CRC, section bounds) an index file. `verified`: the identity
   * of this file when an earlier open verified its CRC; if the file still has it (an index is
   * only ever replaced by a rename, so a changed index has another inode), the CRC pass is skipped.
   */
  static async open(path: string, verified?: IndexFileIdentity): Promise<IndexFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new IndexUnusableError(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'index file is missing' : (e as Error).message);
    }
    try {
      const st = await fh.stat();
      const size = st.size;
      const identity: IndexFileIdentity = { dev: st.dev, ino: st.ino, size, mtimeMs: st.mtimeMs };
      const footerBytes = new Uint8Array(FOOTER_SIZE);
      if (size >= FOOTER_SIZE) await readExactly(fh, footerBytes, size - FOOTER_SIZE);
      const footer = parseIndexFooter(footerBytes, size);
      if (typeof footer === 'string') throw new IndexUnusableError(path, footer);
      if (!verified || !sameIdentity(verified, identity)) {
        // CRC over everything before the footer, streamed so memory stays flat
        const buf = new Uint8Array(1 << 20);
        let c = 0;
        for (let pos = 0; pos < size - FOOTER_SIZE; ) {
          const n = Math.min(buf.length, size - FOOTER_SIZE - pos);
          await readExactly(fh, buf.subarray(0, n), pos);
          c = crc32(buf.subarray(0, n), c);
          pos += n;
        }
        if (c !== footer.crc) throw new IndexUnusableError(path, 'index checksum mismatch (corrupt or torn)');
      }
      const header = new Uint8Array(HEADER_SIZE);
      await readExactly(fh, header, 0);
      const bad = checkIndexHeader(header);
      if (bad) throw new IndexUnusableError(path, bad);
      const table = new Uint8Array(footer.sectionCount * 24);
      await readExactly(fh, table, footer.tableOffset);
      const spans = parseSectionTable(table, footer.sectionCount, footer.tableOffset);
      if (typeof spans === 'string') throw new IndexUnusableError(path, spans);
      const load = async (t: number): Promise<Uint8Array> => {
        const s = spans.get(t);
        if (!s) throw new IndexUnusableError(path, `index lacks section ${t}`);
        const b = new Uint8Array(s.length);
        await readExactly(fh, b, s.offset);
        return b;
      };
      const offsets = spans.get(SectionType.Offsets);
      if (!offsets) throw new IndexUnusableError(path, 'index lacks its offsets section');
      const meta = JSON.parse(new TextDecoder().decode(await load(SectionType.Meta))) as IndexMeta;
      let view: IndexView;
      let loaded = 0;
      for (const [t, span] of spans) if (t !== SectionType.Offsets) loaded += span.length;
      try {
        view = new IndexView({
          meta,
          flows: await load(SectionType.Flows),
          ipPostings: await load(SectionType.IpPostings),
          portPostings: await load(SectionType.PortPostings),
          protoPostings: await load(SectionType.ProtoPostings),
          timeOrder: await load(SectionType.TimeOrder),
          continuations: spans.has(SectionType.Continuations) ? await load(SectionType.Continuations) : undefined,
        });
      } catch (e) {
        throw new IndexUnusableError(path, (e as Error).message);
      }
      return new IndexFile(path, view, new IndexOffsets(path, offsets, identity, fh), loaded, identity);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Record offsets of one flow's packets in capture order (one positioned read). */
  packetOffsets(r: FlowRecord): Promise<Float64Array> {
    return this.offsets.read(r);
  }

  /**
   * Closes the file handle; the view stays readable and offset reads reopen the same file. What
   * a store does when it drops the index from its cache while a reader may still hold it.
   */
  async release(): Promise<void> {
    await this.offsets.release();
  }

  async close(): Promise<void> {
    await this.release();
  }
}

export interface IndexFileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const sameIdentity = (a: IndexFileIdentity, b: IndexFileIdentity): boolean => a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

export async function readExactly(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new RangeError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

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

export class IndexFile {
  private constructor(
    readonly path: string,
    readonly view: IndexView,
    private readonly fh: FileHandle,
    private readonly offsetsSection: SectionSpan,
  ) {}

  get meta(): IndexMeta {
    return this.view.meta;
  }

  /** Opens and fully verifies (footer, CRC, section bounds) an index file. */
  static async open(path: string): Promise<IndexFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw new IndexUnusableError(path, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'index file is missing' : (e as Error).message);
    }
    try {
      const size = (await fh.stat()).size;
      const footerBytes = new Uint8Array(FOOTER_SIZE);
      if (size >= FOOTER_SIZE) await readExactly(fh, footerBytes, size - FOOTER_SIZE);
      const footer = parseIndexFooter(footerBytes, size);
      if (typeof footer === 'string') throw new IndexUnusableError(path, footer);
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
      return new IndexFile(path, view, fh, offsets);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  /** Record offsets of one flow's packets in capture order (one positioned read). */
  async packetOffsets(r: FlowRecord): Promise<Float64Array> {
    if (r.offsetsStart + r.offsetsLength > this.offsetsSection.length) throw new IndexUnusableError(this.path, `flow ${r.index} points outside the offsets section`);
    const b = new Uint8Array(r.offsetsLength);
    await readExactly(this.fh, b, this.offsetsSection.offset + r.offsetsStart);
    return decodeOffsets(b, r.clientPackets + r.serverPackets);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export async function readExactly(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new RangeError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * Corpus carving tests share this: one store holding the given corpus captures (imported on first
 * use), each capture's flows carved once and the records cached, and a carved file's bytes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import type { FlowRecord } from '../../common/index/index-reader.js';
import { carveFlow } from '../../node/carve/carve-flow.js';
import { FileStore } from '../../node/carve/file-store.js';
import { Store } from '../../node/store/store.js';
import { capturePath } from './corpus.js';

export interface CorpusCarver {
  /** Every file carved from the capture's flows that `flowFilter` keeps. */
  carved(capture: string): Promise<CarvedFileRecord[]>;
  /** A carved file's stored bytes. */
  content(sha256: string): Buffer;
  close(): Promise<void>;
}

export function corpusCarver(captures: readonly string[], tmpPrefix: string, flowFilter: (r: FlowRecord) => boolean = () => true): CorpusCarver {
  let store: Store | null = null;
  let dir = '';
  const results = new Map<string, CarvedFileRecord[]>();
  return {
    async carved(capture) {
      const cached = results.get(capture);
      if (cached) return cached;
      if (!store) {
        dir = mkdtempSync(join(tmpdir(), tmpPrefix));
        store = await Store.open(dir, { create: true });
        await store.import(captures.map(capturePath));
      }
      const out: CarvedFileRecord[] = [];
      for (const f of await store.findFlows({})) {
        if (!f.capture.path.endsWith(`/${capture}`) || !flowFilter(f.record)) continue;
        out.push(...(await carveFlow(store, f.id)).files);
      }
      results.set(capture, out);
      return out;
    },
    content(sha256) {
      return readFileSync(FileStore.open(dir).contentPath(sha256));
    },
    async close() {
      await store?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Imports the analyst started (drop or file picker) and imports reported by the back end: one
 * entry per file with its phase and progress, from the bridge's transfer progress (uploads in
 * serve mode), `import-progress` / `import` events, and the importCaptures result.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BridgeCallError, type Bridge, type ImportFile } from '../../../common/bridge/bridge.js';
import type { ImportResult, TaplineEvent } from '../../../common/bridge/messages.js';
import type { ServerFile } from '../../../common/bridge/server-files.js';
import { hasServerFileSource, hasTransferSource } from '../bridge/capabilities.js';
import { baseName, matchEntry } from './match-progress.js';

export type ImportPhase = 'queued' | 'uploading' | 'indexing' | 'done' | 'failed';

export interface ImportEntry {
  key: string;
  name: string;
  size: number;
  phase: ImportPhase;
  /** Bytes uploaded (serve mode). */
  sent: number;
  /** Bytes indexed, of indexTotal (from import-progress events). */
  indexed: number;
  indexTotal: number;
  result: ImportResult | null;
  /** Why it failed, with what to do next. */
  message: string | null;
  /** Started in this window (false: reported by the back end for another client or the CLI). */
  local: boolean;
  serverPath: string | null;
}

export interface ImportState {
  entries: ImportEntry[];
  /** The import tray is open. */
  open: boolean;
}

export interface ImportActions {
  importFiles(files: ImportFile[]): Promise<ImportResult[] | null>;
  /** Imports a capture of the server's import directory in place (serve --import-dir). */
  importServerFile(file: ServerFile): Promise<ImportResult | null>;
  onEvent(e: TaplineEvent): void;
  clearFinished(): void;
  setOpen(open: boolean): void;
}

export type ImportStore = StoreApi<ImportState & ImportActions>;

export interface ImportDeps {
  bridge: Bridge;
  /** Called when an import this window started has finished (re-run the search, refresh stats). */
  onImported(results: ImportResult[]): void;
  /** An import failed as a whole (e.g. the session expired). */
  onError(e: BridgeCallError): void;
}

const FAILED_PHASES: ReadonlySet<ImportResult['status']> = new Set(['failed']);

export function createImportStore(deps: ImportDeps): ImportStore {
  let nextKey = 0;
  const keyOfFile = new Map<ImportFile, string>();

  return createStore<ImportState & ImportActions>()((set, get) => {
    const update = (key: string, patch: Partial<ImportEntry>): void =>
      set((s) => ({ entries: s.entries.map((e) => (e.key === key ? { ...e, ...patch } : e)) }));

    const finish = (key: string, r: ImportResult): void =>
      update(key, {
        phase: FAILED_PHASES.has(r.status) ? 'failed' : 'done',
        result: r,
        message: r.message,
        serverPath: r.path,
        indexed: r.bytes,
        indexTotal: Math.max(r.bytes, 1),
      });

    if (hasTransferSource(deps.bridge)) {
      deps.bridge.onTransferProgress((p) => {
        const key = keyOfFile.get(p.file);
        if (key) update(key, { phase: p.phase, sent: p.sent });
      });
    }

    return {
      entries: [],
      open: false,

      importFiles: async (files) => {
        if (!files.length) return null;
        const fresh: ImportEntry[] = files.map((f) => {
          const key = `local-${++nextKey}`;
          keyOfFile.set(f, key);
          return { key, name: f.name, size: f.size, phase: 'queued', sent: 0, indexed: 0, indexTotal: f.size, result: null, message: null, local: true, serverPath: null };
        });
        set((s) => ({ entries: [...s.entries, ...fresh], open: true }));
        try {
          const results = await deps.bridge.importCaptures(files);
          results.forEach((r, i) => {
            if (fresh[i]) finish(fresh[i].key, r);
          });
          deps.onImported(results);
          return results;
        } catch (e) {
          const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error).message ?? e));
          for (const f of fresh) {
            const cur = get().entries.find((x) => x.key === f.key);
            if (cur && cur.phase !== 'done' && cur.phase !== 'failed') update(f.key, { phase: 'failed', message: err.hint ? `${err.message} ${err.hint}` : err.message });
          }
          deps.onError(err);
          return null;
        } finally {
          for (const f of files) keyOfFile.delete(f);
        }
      },

      importServerFile: async (file) => {
        const bridge = deps.bridge;
        if (!hasServerFileSource(bridge)) return null;
        const key = `local-${++nextKey}`;
        const name = file.name.slice(file.name.lastIndexOf('/') + 1);
        set((s) => ({
          entries: [...s.entries, { key, name, size: file.size, phase: 'indexing', sent: 0, indexed: 0, indexTotal: Math.max(1, file.size), result: null, message: null, local: true, serverPath: null }],
          open: true,
        }));
        try {
          const r = await bridge.importServerFile(file.name);
          finish(key, r);
          deps.onImported([r]);
          return r;
        } catch (e) {
          const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error).message ?? e));
          update(key, { phase: 'failed', message: err.hint ? `${err.message} ${err.hint}` : err.message });
          deps.onError(err);
          return null;
        }
      },

      onEvent: (e) => {
        if (e.kind === 'import-progress') {
          const key = matchEntry(get().entries, e.path);
          if (key) {
            const cur = get().entries.find((x) => x.key === key);
            if (cur && (cur.phase === 'done' || cur.phase === 'failed')) return;
            update(key, { phase: 'indexing', indexed: e.bytes_read, indexTotal: Math.max(1, e.total_bytes), serverPath: e.path });
            return;
          }
          // Someone else's import (another analyst, the CLI): show it too.
          set((s) => ({
            entries: [
              ...s.entries,
              { key: `remote-${++nextKey}`, name: baseName(e.path), size: e.total_bytes, phase: 'indexing', sent: 0, indexed: e.bytes_read, indexTotal: Math.max(1, e.total_bytes), result: null, message: null, local: false, serverPath: e.path },
            ],
          }));
          return;
        }
        if (e.kind === 'import') {
          const key = matchEntry(get().entries, e.result.path);
          if (key) finish(key, e.result);
          else {
            const k = `remote-${++nextKey}`;
            set((s) => ({
              entries: [
                ...s.entries,
                { key: k, name: baseName(e.result.path), size: e.result.bytes, phase: 'queued', sent: 0, indexed: 0, indexTotal: 1, result: null, message: null, local: false, serverPath: e.result.path },
              ],
            }));
            finish(k, e.result);
          }
        }
      },

      clearFinished: () => set((s) => ({ entries: s.entries.filter((e) => e.phase !== 'done' && e.phase !== 'failed') })),
      setOpen: (open) => set({ open }),
    };
  });
}

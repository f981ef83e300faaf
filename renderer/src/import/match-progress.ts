/**
 * Which import entry an `import-progress` or `import` event is about. The back end names the file
 * by its path on the server (the original path on the desktop, a path in the upload area in serve
 * mode), so a local entry matches by file name at the end of that path, or else as the one entry
 * the back end is indexing right now (files are imported one at a time).
 */
export interface MatchableEntry {
  key: string;
  name: string;
  phase: 'queued' | 'uploading' | 'indexing' | 'done' | 'failed';
  local: boolean;
  serverPath: string | null;
}

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? path : path.slice(i + 1);
}

/** The key of the entry the event is about, or null when it is about a file imported elsewhere. */
export function matchEntry(entries: readonly MatchableEntry[], path: string): string | null {
  const byPath = entries.find((e) => e.serverPath === path);
  if (byPath) return byPath.key;
  const open = entries.filter((e) => e.local && e.phase !== 'done' && e.phase !== 'failed' && e.serverPath === null);
  const base = baseName(path);
  const byName = open.find((e) => e.name === base) ?? open.find((e) => base.endsWith(e.name));
  if (byName) return byName.key;
  const indexing = open.filter((e) => e.phase === 'indexing');
  if (indexing.length === 1) return indexing[0].key;
  return null;
}

export { baseName };

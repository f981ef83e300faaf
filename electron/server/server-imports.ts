/**
 * Imports of captures already on the server (`serve --import-dir DIR`): no upload, the file is
 * indexed in place, so its first flows reach the UI a moment after the click (the desktop case,
 * served). Only regular files inside the configured directory are accepted: a name is resolved
 * (symbolic links included) and refused when it ends up anywhere else.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ImportResult } from '../../common/bridge/messages.js';
import type { ServerFile } from '../../common/bridge/server-files.js';
import { HttpError } from './http-util.js';

/** Files listed at most (a directory of millions of files is not a capture folder). */
const MAX_LISTED = 2000;
const MAX_DEPTH = 4;
const CAPTURE_NAME = /\.(pcap|pcapng|cap|dmp|pcap\.gz|pcapng\.gz)$/i;

export class ServerImports {
  constructor(
    /** The directory, or null when serve was started without --import-dir. */
    readonly dir: string | null,
    private readonly importFile: (path: string) => Promise<ImportResult>,
  ) {}

  private root(): string {
    if (this.dir === null) throw new HttpError(404, 'this server has no import directory', 'start tapline serve with --import-dir DIR to import captures already on the server, or upload them');
    return this.dir;
  }

  /** Capture files under the directory (by name, sub-directories included), sorted by name. */
  async list(): Promise<ServerFile[]> {
    const root = await realpath(this.root()).catch(() => {
      throw new HttpError(404, `the import directory ${this.dir} does not exist`, 'create it or restart serve with another --import-dir');
    });
    const out: ServerFile[] = [];
    const walk = async (dir: string, depth: number): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (out.length >= MAX_LISTED) return;
        const full = join(dir, e.name);
        if (e.isDirectory() && depth < MAX_DEPTH) await walk(full, depth + 1);
        else if (e.isFile() && CAPTURE_NAME.test(e.name)) {
          const st = await stat(full).catch(() => null);
          if (st) out.push({ name: relative(root, full).split(sep).join('/'), size: st.size, mtime_ms: Math.floor(st.mtimeMs) });
        }
      }
    };
    await walk(root, 0);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The real path of a file named relative to the directory; refuses anything outside it. */
  async resolveName(name: string): Promise<string> {
    const root = await realpath(this.root()).catch(() => {
      throw new HttpError(404, `the import directory ${this.dir} does not exist`, null);
    });
    if (name === '' || name.includes('\0') || isAbsolute(name) || /^[A-Za-z]:/.test(name)) throw new HttpError(400, `"${name}" is not a file name inside the import directory`, 'give the name as GET /api/server-files lists it');
    const target = await realpath(resolve(root, name)).catch(() => {
      throw new HttpError(404, `no file "${name}" in the import directory`, 'list the files with GET /api/server-files');
    });
    const rel = relative(root, target);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new HttpError(403, `"${name}" is outside the import directory`, 'only files inside the import directory can be imported this way');
    const st = await stat(target);
    if (!st.isFile()) throw new HttpError(400, `"${name}" is not a regular file`, null);
    return target;
  }

  async import(name: string): Promise<ImportResult> {
    return this.importFile(await this.resolveName(name));
  }
}

/**
 * A small file system mounted for a test (disk full, O_DIRECT refused): tmpfs or ramfs, or ext4
 * on a loop device over an image file. Needs root; without it, the reason to skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ScratchKind = 'tmpfs' | 'ramfs' | 'ext4';

export type ScratchMount = { dir: string; remove: () => void } | { skip: string };

function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? null : `${cmd} ${args[0]}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
}

/** Mounts `kind` of `sizeMiB` (ramfs has no size) at a fresh directory; remove() unmounts and deletes it. */
export function mountScratch(kind: ScratchKind, sizeMiB: number): ScratchMount {
  const base = mkdtempSync(join(tmpdir(), `tapline-mnt-${kind}-`));
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  const image = join(base, 'fs.img');
  const failed =
    kind === 'ext4'
      ? (run('truncate', ['-s', `${sizeMiB}m`, image]) ?? run('mkfs.ext4', ['-q', '-F', image]) ?? run('mount', ['-o', 'loop', image, dir]))
      : run('mount', kind === 'tmpfs' ? ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir] : ['-t', 'ramfs', 'ramfs', dir]);
  const remove = (): void => {
    if (!failed) spawnSync('umount', [dir]);
    rmSync(base, { recursive: true, force: true });
  };
  if (!failed) return { dir, remove };
  remove();
  return { skip: `cannot mount ${kind === 'ext4' ? 'ext4 on a loop device' : `a ${kind}`} (needs root): ${failed}` };
}

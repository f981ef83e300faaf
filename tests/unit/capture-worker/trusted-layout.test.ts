/**
 * The packaged worker's folder check (capture-worker/sea/trusted-layout-check.ts): a privileged
 * worker runs only when its folder and the files it loads are root's alone. Checked on a
 * temporary layout with stand-in files; the ownership cases need root to create root's files.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAYOUT_FILES, WORKER_EXECUTABLE } from '../../../capture-worker/sea/packaged-layout.js';
import { untrustedLayoutProblems } from '../../../capture-worker/sea/trusted-layout-check.js';

const isRoot = process.getuid?.() === 0;

function layout(): { dir: string; exe: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tl-pkg-layout-'));
  chmodSync(dir, 0o755);
  for (const f of LAYOUT_FILES) {
    writeFileSync(join(dir, f), f);
    chmodSync(join(dir, f), f === WORKER_EXECUTABLE ? 0o750 : 0o644);
  }
  return { dir, exe: join(dir, WORKER_EXECUTABLE) };
}

describe('trusted layout of a privileged worker', { skip: isRoot ? undefined : 'creating root-owned files needs root' }, () => {
  test('root-owned, writable by root only: trusted', () => {
    const { dir, exe } = layout();
    try {
      assert.deepEqual(untrustedLayoutProblems(exe), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a group- or world-writable file or folder, a file of another owner, a link or a missing file: each named', () => {
    const { dir, exe } = layout();
    try {
      chmodSync(join(dir, 'writer-thread.js'), 0o664);
      chownSync(join(dir, 'pcap_binding.node'), 65534, 65534);
      rmSync(join(dir, 'package.json'));
      symlinkSync('/etc/hostname', join(dir, 'package.json'));
      chmodSync(dir, 0o777);
      const problems = untrustedLayoutProblems(exe);
      assert.deepEqual(problems, [
        `${dir} is writable by group or others (mode 777)`,
        `${join(dir, 'writer-thread.js')} is writable by group or others (mode 664)`,
        `${join(dir, 'pcap_binding.node')} is owned by uid 65534, not root`,
        `${join(dir, 'package.json')} is not a regular file`,
      ]);
      rmSync(join(dir, 'writer-thread.js'));
      assert.match(untrustedLayoutProblems(exe).join('\n'), /writer-thread\.js: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

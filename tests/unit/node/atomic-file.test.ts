/** Output files appear whole or not at all, even when the process is interrupted mid-write. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AtomicFile } from '../../../node/fs/atomic-file.js';
import { repoRoot } from '../../helpers/corpus.js';

test('a committed file appears complete under its name; an aborted one leaves nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-atomic-'));
  try {
    const f = await AtomicFile.create(join(dir, 'out.pcap'));
    await f.write(new Uint8Array([1, 2, 3]));
    assert.deepEqual(readdirSync(dir).filter((n) => n === 'out.pcap'), [], 'not visible before commit');
    await f.commit();
    assert.deepEqual(readdirSync(dir), ['out.pcap']);
    assert.deepEqual([...readFileSync(join(dir, 'out.pcap'))], [1, 2, 3]);
    const g = await AtomicFile.create(join(dir, 'other.pcap'));
    await g.write(new Uint8Array(10));
    await g.abort();
    assert.deepEqual(readdirSync(dir), ['out.pcap']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} during a write removes the partial file and the process still dies of the signal`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapline-atomic-'));
    try {
      const script = `
        import { AtomicFile } from ${JSON.stringify(join(repoRoot, 'node/fs/atomic-file.ts'))};
        const f = await AtomicFile.create(${JSON.stringify(join(dir, 'slice.pcap'))});
        await f.write(new Uint8Array(1 << 20));
        process.kill(process.pid, '${signal}');
        await new Promise((r) => setTimeout(r, 5000));
      `;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, timeout: 20_000 });
      assert.equal(r.signal, signal, r.stderr.toString());
      assert.deepEqual(readdirSync(dir), [], 'no half-written output left behind');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

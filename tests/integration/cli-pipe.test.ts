import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { repoRoot } from '../helpers/corpus.js';
import { ethernet, ipv4, udp } from '../helpers/packet-builders.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');

/** 3,000 one-packet UDP flows: `flows` prints far more than a pipe buffer holds. */
function writeManyFlows(path: string): void {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  for (let i = 0; i < 3000; i++) {
    const frame = ethernet(0x0800, ipv4({ src: [10, 0, (i >> 8) & 255, i & 255], dst: [10, 9, 0, 1], proto: 17, payload: udp(20000 + (i % 1000), 53, [1, 2, 3, 4]) }));
    const hdr = new Uint8Array(16);
    writePcapRecordHeader(hdr, 0, 1_700_000_000 + i, 0, frame.length, frame.length);
    parts.push(hdr, frame);
  }
  writeFileSync(path, Buffer.concat(parts));
}

describe('the CLI in a pipeline', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-pipe-'));
    writeManyFlows(join(dir, 'many.pcap'));
    const r = spawnSync(process.execPath, [CLI, 'import', '--store', join(dir, 'store'), join(dir, 'many.pcap')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('flows | head: stops quietly with status 0 when the reader closes the pipe (no EPIPE stack trace)', async () => {
    const child = spawn(process.execPath, [CLI, 'flows', '--store', join(dir, 'store'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const first = await new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
    assert.match(first, /^\{"id":/);
    child.stdout.destroy(); // what `head -1` does once it has its line
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});

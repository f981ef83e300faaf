/**
 * Another process sees the live store while it is written: `tapline flows` and `tapline slice`
 * (the built CLI, as a user runs it) find the flows of packets a running writer received, and
 * slices return them byte-exact. Polls with a bounded count; no timing assertions.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCaptureParser } from '../../common/capture/capture-parser.js';
import type { FlowJson } from '../../common/flow/flow-json.js';
import { openLiveWriter } from '../../node/store/live/index.js';
import { repoRoot } from '../helpers/corpus.js';
import { asStored, liveTraffic, type StoredPacket } from '../helpers/live-traffic.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');
const CHILD = join(repoRoot, 'tests/helpers/live-writer-child.ts');
const root = mkdtempSync(join(tmpdir(), 'tl-livestore-vis-'));
let child: ChildProcess | null = null;
after(() => {
  child?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function tapline(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function slicedPackets(path: string): StoredPacket[] {
  const out: StoredPacket[] = [];
  const p = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: () => undefined,
    onPacket: (r) => out.push({ tsSec: r.tsSec, tsNsec: r.tsNsec, origLen: r.origLen, hex: Buffer.from(r.data).toString('hex') }),
  });
  p.push(new Uint8Array(readFileSync(path)));
  p.end();
  return out;
}

describe('live store seen from another process', () => {
  test('tapline flows and slice see packets of a running writer, byte-exact', { timeout: 180_000 }, async () => {
    assert.ok(existsSync(CLI), `build first: ${CLI} is missing`);
    const store = join(root, 'store');
    const seed = 77;
    const t0 = 1_750_000_000;
    // 100 packets every 100 ms for at most 60 s: a steady live source
    child = spawn(process.execPath, ['--import', 'tsx', CHILD, store, String(seed), '60000', '50000', String(t0), '100'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let sent = 0;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      const [what, n] = l.split(' ');
      if (what === 'sent') sent = Number(n);
    });
    for (let i = 0; i < 600 && sent < 300; i++) await sleep(50);
    assert.ok(sent >= 300, 'the writer is running');
    const target = sent;

    // the packets sent so far show up in `tapline flows` (newest snapshot at most a flush interval old)
    let flows: FlowJson[] = [];
    let seen = 0;
    for (let i = 0; i < 60 && seen < target; i++) {
      const r = tapline('flows', '--store', store, '--json');
      assert.equal(r.code, 0, r.stderr);
      flows = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as FlowJson);
      seen = flows.reduce((s, f) => s + f.packets, 0);
      if (seen < target) await sleep(250);
    }
    assert.ok(seen >= target, `flows cover ${seen} packets; ${target} were sent`);
    assert.ok(child.exitCode === null, 'the writer is still running');

    // a slice by flow id, from yet another process, returns that flow's packets as sent
    const flow = flows.reduce((a, b) => (b.packets > a.packets ? b : a));
    const out = join(root, 'flow.pcap');
    const r = tapline('slice', '--store', store, '--flow', flow.id, '-o', out);
    assert.equal(r.code, 0, r.stderr);
    const got = slicedPackets(out);
    assert.ok(got.length >= flow.packets, 'the slice holds at least what the flow listing counted');
    const port = flow.client_port;
    // the whole stream the child sends (its "sent" lines wait in the pipe while spawnSync blocks)
    const all = [...liveTraffic({ seed, count: 60000, flows: 25, portBase: 50000, t0, maxPayload: 900 })];
    const ofFlow = all.filter((p) => 50000 + p.flow === port).slice(0, got.length).map(asStored);
    assert.deepEqual(got, ofFlow);

    // and a second live writer on the store is refused while this one runs
    await assert.rejects(openLiveWriter(store), /another live writer is running/);
  });
});

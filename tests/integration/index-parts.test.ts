/**
 * A capture imported with a flow-table memory budget is indexed in parts (node/store/build-index.ts)
 * and must read back exactly as the same capture indexed whole: the same flows (identity, counts,
 * times, flags, Community ID), byte-identical slices by flow id and by 5-tuple, any piece's id
 * giving the whole flow, one row in the stats; a missing part index is rebuilt with the same
 * flow ids. On a generated capture with flows open across many part boundaries, and on every
 * corpus capture.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowToJson } from '../../common/flow/flow-json.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { Store, type FoundFlow } from '../../node/store/store.js';
import { IndexFile } from '../../node/store/index-file.js';
import { GrowingFile } from '../../node/store/growing-file.js';
import { captureFingerprint } from '../../node/store/capture-fingerprint.js';
import { writeSlice } from '../../node/store/slicer.js';
import { storeStats } from '../../node/store/store-stats.js';
import { generateCapture } from '../bench/generate-capture.js';
import { carveFlowsInOnePass } from '../../node/carve/carve-pass.js';
import { writeHttpCapture } from '../helpers/http-capture.js';
import { capturePath, corpusCaptures, corpusSkipReason, repoRoot } from '../helpers/corpus.js';
import { spawnSync } from 'node:child_process';

let dir = '';
let capture = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tapline-parts-'));
  capture = join(dir, 'gen.pcap');
  // ~3,000 flows over 4 minutes, many open at any moment: part boundaries cut through flows
  await generateCapture({ out: capture, size: 6 * 1024 * 1024, seed: 7, flows: 3000, durationSec: 240, startEpochSec: 1_700_000_000, quiet: true });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every flow of a store as JSON without its id, sorted: what must not depend on index parts. */
async function flowSet(store: Store): Promise<string[]> {
  const flows = await store.findFlows({});
  return flows.map((f) => JSON.stringify({ ...flowToJson(f.id, f.record), id: undefined })).sort();
}

/** The flow of `other` with the same identity and first packet as f. */
function counterpart(f: FoundFlow, others: FoundFlow[]): FoundFlow {
  const key = (x: FoundFlow): string => {
    const j = flowToJson(x.id, x.record);
    return `${j.community_id}/${j.first_ts}/${j.client_ip}/${j.client_port}/${j.vlan}`;
  };
  const k = key(f);
  const found = others.filter((o) => key(o) === k);
  assert.equal(found.length, 1, `no single counterpart for ${k}`);
  return found[0];
}

async function sliceBytes(store: Store, flows: FoundFlow[], out: string): Promise<Buffer> {
  await writeSlice(store, { flows }, out);
  return readFile(out);
}

test('a capture indexed in parts reads back as the capture indexed whole: flows, slices, ids, stats', async () => {
  const whole = await Store.open(join(dir, 'whole'), { create: true, importMemoryBudget: Infinity });
  const parted = await Store.open(join(dir, 'parted'), { create: true, importMemoryBudget: 1 });
  try {
    const [rw] = await whole.import([capture]);
    const [rp] = await parted.import([capture]);
    assert.equal(rw.status, 'indexed');
    assert.equal(rp.status, 'indexed');
    const parts = parted.captures.length;
    assert.ok(parts >= 50, `only ${parts} index parts`);
    assert.deepEqual([rp.packets, rp.flows], [rw.packets, rw.flows]);

    assert.deepEqual(await flowSet(parted), await flowSet(whole));
    const wf = await whole.findFlows({});
    const pf = await parted.findFlows({});
    const multi = pf.filter((f) => f.pieces && f.pieces.length > 1);
    assert.ok(multi.length > 200, `only ${multi.length} flows cross a part boundary`);

    // slices by flow id: the most-pieced flows and a spread of the others
    multi.sort((a, b) => (b.pieces?.length ?? 0) - (a.pieces?.length ?? 0));
    const sample = [...multi.slice(0, 10), ...pf.filter((_, i) => i % 97 === 0)];
    for (const f of sample) {
      const w = counterpart(f, wf);
      assert.deepEqual(await sliceBytes(parted, [f], join(dir, 'p.pcap')), await sliceBytes(whole, [w], join(dir, 'w.pcap')), `slice of ${f.id}`);
      // any piece's id is the whole flow
      for (const piece of f.pieces ?? []) {
        const byPiece = await parted.flowById(piece.id);
        assert.equal(byPiece?.id, f.id);
        assert.deepEqual(byPiece?.record, f.record);
      }
    }
    // a slice of many flows at once (pieces of one file read together, in capture order)
    const many = multi.slice(0, 40);
    assert.deepEqual(await sliceBytes(parted, many, join(dir, 'p.pcap')), await sliceBytes(whole, many.map((f) => counterpart(f, wf)), join(dir, 'w.pcap')));
    // CapMe-style 5-tuple slices find every piece
    for (const f of multi.slice(0, 5)) {
      const j = flowToJson(f.id, f.record);
      const sip = parseAddressRange(j.client_ip ?? '');
      const dip = parseAddressRange(j.server_ip ?? '');
      assert.ok(sip && dip);
      const tq = { sip, dip, spt: j.client_port ?? undefined, dpt: j.server_port ?? undefined };
      const pt = await parted.findTuple(tq);
      const wt = await whole.findTuple(tq);
      assert.ok(pt.length >= wt.length);
      assert.deepEqual(await sliceBytes(parted, pt, join(dir, 'p.pcap')), await sliceBytes(whole, wt, join(dir, 'w.pcap')));
    }

    const ps = await storeStats(parted, 'test');
    const ws = await storeStats(whole, 'test');
    assert.equal(ps.captures.length, 1);
    assert.deepEqual(
      { ...ps.captures[0], index_bytes: 0, id: '' },
      { ...ws.captures[0], index_bytes: 0, id: '' },
    );
    assert.equal(ps.total.flows, ws.total.flows);
  } finally {
    await whole.close();
    await parted.close();
  }
});

test('reading a store holds one index at a time when its index cache is smaller than one index', async () => {
  const storeDir = join(dir, 'parted');
  const roomy = await Store.open(storeDir);
  const tight = await Store.open(storeDir, { indexMemory: 1 });
  try {
    assert.deepEqual(await tight.findFlows({}), await roomy.findFlows({}));
    assert.deepEqual(await tight.findFlows({ port: 443 }, 50), await roomy.findFlows({ port: 443 }, 50));
    assert.equal(await tight.flowCount(), await roomy.flowCount());
    const multi = (await roomy.findFlows({})).filter((f) => (f.pieces?.length ?? 0) > 2).slice(0, 5);
    assert.ok(multi.length > 0);
    for (const f of multi) {
      assert.deepEqual(await tight.flowById(f.pieces?.[2].id ?? ''), f);
      assert.deepEqual(await sliceBytes(tight, [f], join(dir, 't.pcap')), await sliceBytes(roomy, [f], join(dir, 'r.pcap')));
    }
    assert.deepEqual(await storeStats(tight, 'x'), await storeStats(roomy, 'x'));
    // every index was read, never more than two at once (the one in use and the one before it)
    let largest = 0;
    for (const name of (await readdir(join(storeDir, 'indexes'))).filter((n) => n.endsWith('.tpi'))) {
      const f = await IndexFile.open(join(storeDir, 'indexes', name));
      largest = Math.max(largest, f.loadedBytes);
      await f.close();
    }
    const use = tight.indexMemoryUse;
    assert.ok(use.peak <= 2 * largest, `peak ${use.peak} bytes of indexes loaded, largest index ${largest}`);
    assert.ok(roomy.indexMemoryUse.peak > 10 * largest, 'the roomy store holds them all (else this test proves nothing)');
  } finally {
    await roomy.close();
    await tight.close();
  }
});

test('carving a capture indexed in parts gives the files of the capture indexed whole', async () => {
  const http = join(dir, 'http.pcap');
  writeHttpCapture(
    http,
    Array.from({ length: 120 }, (_, i) => ({ name: `f${i}.bin`, body: Buffer.alloc(600 + i * 37, i) })),
  );
  const whole = await Store.open(join(dir, 'http-whole'), { create: true, importMemoryBudget: Infinity });
  const parted = await Store.open(join(dir, 'http-parted'), { create: true, importMemoryBudget: 1 });
  try {
    await whole.import([http]);
    await parted.import([http]);
    assert.ok(parted.captures.length >= 3);
    const pf = await parted.findFlows({});
    assert.ok(pf.some((f) => (f.pieces?.length ?? 0) > 1), 'no HTTP flow crosses a part boundary');
    const files = async (store: Store): Promise<string[]> => {
      const flows = await store.findFlows({});
      const results = await carveFlowsInOnePass(store, flows);
      return results.flatMap((r) => r.files.map((f) => `${f.sha256} ${f.size} ${f.name}`)).sort();
    };
    const expected = await files(whole);
    assert.equal(expected.length, 120);
    assert.deepEqual(await files(parted), expected);
  } finally {
    await whole.close();
    await parted.close();
  }
});

test('tapline import --index-memory splits the index; a bad size is a usage error', async () => {
  const cli = join(repoRoot, 'dist/electron/cli/main.js');
  const storeDir = join(dir, 'cli-parted');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
  const bad = run('import', '--index-memory', 'lots', '--store', storeDir, capture);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--index-memory "lots" is not a size/);
  const r = run('import', '--index-memory', '1M', '--store', storeDir, capture);
  assert.equal(r.status, 0, r.stderr);
  const manifest = JSON.parse(await readFile(join(storeDir, 'store.json'), 'utf8')) as { captures: { parts?: number; memoryBudget?: number }[] };
  assert.ok((manifest.captures[0].parts ?? 1) > 2, `parts: ${manifest.captures[0].parts}`);
  assert.equal(manifest.captures[0].memoryBudget, 1024 * 1024);
  const stats = run('stats', '--store', storeDir, '--json');
  assert.equal(stats.status, 0, stats.stderr);
  const whole = await Store.open(join(dir, 'whole'));
  try {
    const st = JSON.parse(stats.stdout) as { captures: unknown[]; total: { flows: number } };
    assert.equal(st.captures.length, 1);
    assert.equal(st.total.flows, await whole.flowCount());
  } finally {
    await whole.close();
  }
});

test('an upload imported while it arrives is indexed in parts; one that does not match its fingerprint leaves no part behind', async () => {
  const fp = await captureFingerprint(capture);
  const arrive = (size: number): GrowingFile => {
    const g = new GrowingFile(capture, size);
    // the bytes arrive in 1 MiB steps while the import reads
    let at = 0;
    const step = (): void => {
      at = Math.min(size, at + (1 << 20));
      g.grew(at);
      if (at < size) setTimeout(step, 5);
    };
    step();
    return g;
  };
  const good = await Store.open(join(dir, 'upload-good'), { create: true, importMemoryBudget: 1 });
  try {
    const r = await good.importGrowing(arrive(fp.size), fp.fingerprint);
    assert.equal(r?.status, 'indexed', r?.message ?? '');
    assert.ok(good.captures.length > 10);
    const whole = await Store.open(join(dir, 'whole'));
    try {
      assert.deepEqual(await flowSet(good), await flowSet(whole));
    } finally {
      await whole.close();
    }
  } finally {
    await good.close();
  }
  const badDir = join(dir, 'upload-bad');
  const bad = await Store.open(badDir, { create: true, importMemoryBudget: 1 });
  try {
    const r = await bad.importGrowing(arrive(fp.size), 'f'.repeat(64));
    assert.equal(r?.status, 'failed');
    assert.match(r?.message ?? '', /do not match the fingerprint/);
    assert.equal(bad.captures.length, 0);
    assert.deepEqual((await readdir(join(badDir, 'indexes'))).filter((n) => n.endsWith('.tpi')), []);
  } finally {
    await bad.close();
  }
});

test('a missing index part is rebuilt from the capture, with the same flow ids', async () => {
  const storeDir = join(dir, 'parted');
  const logs: string[] = [];
  const before1 = await Store.open(storeDir, { importMemoryBudget: 1 });
  const ids = (await before1.findFlows({})).map((f) => `${f.id} ${JSON.stringify(f.record)}`);
  await before1.close();
  const files = (await readdir(join(storeDir, 'indexes'))).filter((n) => n.endsWith('.tpi')).sort();
  await unlink(join(storeDir, 'indexes', files[Math.floor(files.length / 2)]));
  // opened with another budget: the rebuild keeps the one the parts were built with
  const s = await Store.open(storeDir, { log: (l) => logs.push(l) });
  try {
    const again = (await s.findFlows({})).map((f) => `${f.id} ${JSON.stringify(f.record)}`);
    assert.deepEqual(again, ids);
    assert.ok(logs.some((l) => /index part \d+ of \d+: index file is missing; rebuilding/.test(l)), logs.join('\n'));
    assert.equal((await readdir(join(storeDir, 'indexes'))).filter((n) => n.endsWith('.tpi')).length, files.length);
  } finally {
    await s.close();
  }
});

test('every corpus capture indexed in parts gives the flows of the capture indexed whole', { skip: corpusSkipReason }, async () => {
  const whole = await Store.open(join(dir, 'corpus-whole'), { create: true, importMemoryBudget: Infinity });
  const parted = await Store.open(join(dir, 'corpus-parted'), { create: true, importMemoryBudget: 1 });
  try {
    for (const c of corpusCaptures()) {
      const [a] = await whole.import([capturePath(c)]);
      const [b] = await parted.import([capturePath(c)]);
      assert.equal(b.status, a.status, c);
      assert.deepEqual([b.packets, b.flows, b.message], [a.packets, a.flows, a.message], c);
    }
    assert.ok(parted.captures.length > whole.captures.length, 'no corpus capture was split');
    assert.deepEqual(await flowSet(parted), await flowSet(whole));
  } finally {
    await whole.close();
    await parted.close();
  }
});

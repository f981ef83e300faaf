/**
 * `tapline carve` end to end (the built dist/ entry in a child process): a generated HTTP capture
 * (no corpus needed) with a traversal name and a repeated name, and corpus captures whose carved
 * sha256s must equal tshark's export-objects (objects.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { capturePath, corpusSkipReason, readOracle, repoRoot } from '../helpers/corpus.js';
import { bundleProblem } from '../../electron/cli/carve-loader.js';
import { writeHttpCapture } from '../helpers/http-capture.js';
import { digestStages } from '../../node/carve/hash-worker.js';

const CLI = join(repoRoot, 'dist/electron/cli/main.js');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function tapline(...args: string[]): { code: number; stdout: string; stderr: string } {
  return taplineEnv({}, ...args);
}

function taplineEnv(env: Record<string, string>, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface CarveLine {
  sha256: string;
  md5: string;
  sha1: string;
  size: number;
  mime: string | null;
  name: string | null;
  protocol: string;
  flow_id: string;
  url: string | null;
  host: string | null;
  user_agent: string | null;
  path: string;
}

const parseLines = (s: string): CarveLine[] => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CarveLine);

test('tapline carve on a generated capture: names sanitized and deduplicated, never outside OUTDIR', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bodies = [
    { name: 'report.txt', body: Buffer.from('first report\n'.repeat(50)) },
    { name: 'report.txt', body: Buffer.from('second report\n'.repeat(40)) },
    { name: '../../escape.txt', body: Buffer.from('must stay inside\n') },
  ];
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, bodies);
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, pcap).code, 0);
  const out = join(dir, 'out');
  const r = tapline('carve', '--store', store, '-o', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = parseLines(r.stdout);
  assert.deepEqual(lines.map((l) => l.sha256).sort(), bodies.map((b) => sha(b.body)).sort());
  assert.deepEqual(readdirSync(out).sort(), ['escape.txt', 'report-1.txt', 'report.txt']);
  assert.ok(!existsSync(join(dir, 'escape.txt')) && !existsSync(join(store, 'escape.txt')));
  for (const l of lines) {
    assert.equal(sha(readFileSync(l.path)), l.sha256);
    assert.ok(l.path.startsWith(out));
    assert.equal(l.protocol, 'http');
    assert.equal(l.host, 'files.example');
    assert.equal(l.user_agent, 'carve-test');
    assert.match(l.url ?? '', /^http:\/\/files\.example\/dl\/4000\d$/);
    assert.match(l.flow_id, /^[0-9a-f]{12}-\d+$/);
    assert.equal(createHash('md5').update(readFileSync(l.path)).digest('hex'), l.md5);
  }
  // a second run into the same OUTDIR overwrites nothing
  const again = tapline('carve', '--store', store, '-o', out, '--json', '--port', '80', '--host', '192.0.2.1');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readdirSync(out).length, 6);
  // filters: a port no flow uses carves nothing
  const none = tapline('carve', '--store', store, '-o', join(dir, 'none'), '--json', '--port', '8443');
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, '');
  // usage errors
  assert.equal(tapline('carve', '--store', store).code, 2);
});

test('tapline carve: files written into OUTDIR as they are received equal copies made afterwards (worker stages, no O_DIRECT), each its own inode, no temporary file left', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-copies-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // sizes around an O_DIRECT block and the spool's gather buffer, one repeated (stored once, copied twice)
  const sizes = [1, 4095, 4096, 4097, 262_143, 262_145, 700_001, 4097];
  const bodies = sizes.map((n, i) => ({ name: `f${i}.bin`, body: Buffer.from(Array.from({ length: n }, (_, k) => (k * 31 + i * (n === 4097 ? 0 : 7)) & 255)) }));
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, bodies, { segment: 1448 });
  // the worker stages make no copies alongside (and without AVX-512 they are the only stages)
  const native = digestStages().native !== null;
  const runs = [
    ['alongside', {}, native ? bodies.length : 0],
    ['page cache', { TAPLINE_SPOOL_DIRECT: '0' }, native ? bodies.length : 0],
    ['afterwards', { TAPLINE_SPOOL_STAGE: 'workers' }, 0],
  ] as const;
  const outs = runs.map(([what, env, alongside]) => {
    const store = join(dir, `store-${what}`);
    assert.equal(tapline('import', '--store', store, pcap).code, 0);
    const out = join(dir, `out-${what}`);
    const r = taplineEnv({ ...env, TAPLINE_DEBUG: '1' }, 'carve', '--store', store, '-o', out, '--json');
    assert.equal(r.code, 0, `${what}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`OUTDIR copies: ${alongside} written as received, ${bodies.length - alongside} copied afterwards`), what);
    const lines = parseLines(r.stdout);
    assert.equal(lines.length, bodies.length, what);
    for (const l of lines) {
      assert.equal(sha(readFileSync(l.path)), l.sha256, `${what}: ${l.path}`);
      const st = statSync(l.path);
      assert.equal(st.nlink, 1, `${what}: ${l.path} has one name`);
      const stored = statSync(join(store, 'files', 'content', l.sha256));
      assert.notEqual(st.ino, stored.ino, `${what}: ${l.path} is not the store's file`);
    }
    const names = readdirSync(out).sort();
    assert.deepEqual(names.filter((n) => n.startsWith('.tapline-carve-')), [], `${what}: no temporary file left`);
    return Object.fromEntries(names.map((n) => [n, sha(readFileSync(join(out, n)))]));
  });
  assert.deepEqual(outs[0], outs[2]);
  assert.deepEqual(outs[1], outs[2]);
  assert.deepEqual(Object.keys(outs[2]).sort(), bodies.map((b) => b.name).sort());
});

interface Objects {
  objects: { http: { name: string; sha256: string }[] };
}

for (const capture of ['zeek__http_get.pcap', 'suricata-verify__pdf-dl.pcap']) {
  test(`tapline carve on ${capture}: sha256s equal tshark's export-objects`, { skip: corpusSkipReason }, async (t) => {
    const oracle = readOracle<Objects>(capture, 'objects.json');
    if (!oracle) return t.skip(`no objects.json for ${capture}`);
    const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-corpus-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const store = join(dir, 'store');
    assert.equal(tapline('import', '--store', store, capturePath(capture)).code, 0);
    const r = tapline('carve', '--store', store, '--proto', 'tcp', '-o', join(dir, 'out'), '--json');
    assert.equal(r.code, 0, r.stderr);
    const carved = new Set(parseLines(r.stdout).map((l) => l.sha256));
    assert.ok(oracle.objects.http.length > 0);
    for (const o of oracle.objects.http) assert.ok(carved.has(o.sha256), `${o.name} (${o.sha256}) carved`);
    for (const l of parseLines(r.stdout)) assert.equal(sha(readFileSync(l.path)), l.sha256);
  });
}

test('tapline carve: names taken early by files carved before their turn end up where flow order puts them', async (t) => {
  // flows are listed in the order they started and carved in capture order: files that finish
  // before an earlier flow's are copied at once, and names are still given in listing order
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-names-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bodies = ['a.txt', 'a.txt', 'a-1.txt', 'A.TXT', 'a-2.txt', 'b.txt', 'a.txt'].map((name, i) => ({ name, body: Buffer.from(`file ${i} (${name})\n`.repeat(10 + i)) }));
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, bodies);
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, pcap).code, 0);
  const out = join(dir, 'out');
  // a name already in OUTDIR is never replaced nor reused
  mkdirSync(out);
  writeFileSync(join(out, 'A-3.txt'), 'not ours');
  const r = tapline('carve', '--store', store, '-o', out, '--json');
  assert.equal(r.code, 0, r.stderr);
  const lines = parseLines(r.stdout);
  assert.equal(lines.length, bodies.length);
  // the names, derived independently: each line's wanted name, the first free of name, name-1, … in line order
  const taken = new Set(['a-3.txt']);
  const want = lines.map((l) => {
    const name = l.name as string;
    const dot = name.lastIndexOf('.');
    let n = name;
    for (let i = 1; taken.has(n.toLowerCase()); i++) n = `${name.slice(0, dot)}-${i}${name.slice(dot)}`;
    taken.add(n.toLowerCase());
    return n;
  });
  assert.deepEqual(lines.map((l) => basename(l.path)), want);
  // each name holds its own file, and nothing else is left (no temporary or stray name)
  for (const l of lines) assert.equal(sha(readFileSync(l.path)), l.sha256);
  assert.deepEqual(readdirSync(out).sort(), [...want, 'A-3.txt'].sort());
  assert.equal(readFileSync(join(out, 'A-3.txt'), 'utf8'), 'not ours');
  // listed in the order the flows started (as tshark exports): the first body keeps the name
  assert.deepEqual(lines.map((l) => l.sha256), bodies.map((b) => sha(b.body)));
  assert.equal(basename(lines[0].path), 'a.txt');
});

test('tapline carve: a few small flows of a bigger capture are read flow by flow, the whole capture in one pass; same files either way', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-paths-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // (the helper sends a response as one segment: under 64 KiB)
  const big = Buffer.alloc(60_000, 0x61);
  const bodies = [
    { name: 'big.bin', body: big },
    { name: 'small-1.txt', body: Buffer.from('one\n'.repeat(20)) },
    { name: 'small-2.txt', body: Buffer.from('two\n'.repeat(30)) },
  ];
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, bodies);
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, pcap).code, 0);
  // client port 40001 is small-1's flow: well under a quarter of the capture's bytes
  const one = tapline('carve', '--store', store, '-o', join(dir, 'one'), '--json', '--port', '40001');
  assert.equal(one.code, 0, one.stderr);
  const all = tapline('carve', '--store', store, '-o', join(dir, 'all'), '--json');
  assert.equal(all.code, 0, all.stderr);
  const oneLines = parseLines(one.stdout);
  const allLines = parseLines(all.stdout);
  assert.deepEqual(oneLines.map((l) => l.sha256), [sha(bodies[1].body)]);
  assert.deepEqual(allLines.map((l) => l.sha256).sort(), bodies.map((b) => sha(b.body)).sort());
  // the flow carved alone (per-flow path) and within the whole capture (single pass): the same record
  const strip = (l: CarveLine): Omit<CarveLine, 'path'> => {
    const { path: _path, ...rest } = l;
    return rest;
  };
  assert.deepEqual(strip(oneLines[0]), strip(allLines.find((l) => l.sha256 === oneLines[0].sha256) as CarveLine));
  assert.deepEqual(readFileSync(join(dir, 'all', 'big.bin')), big);
  // no temporary copies left behind
  assert.deepEqual(readdirSync(join(dir, 'all')).sort(), ['big.bin', 'small-1.txt', 'small-2.txt']);
});

// the built CLI loads `carve` from its one-file bundle (electron/cli/carve-loader.ts) when current
const BUNDLE = new URL('../../dist/electron/cli/carve-command.bundle.cjs', import.meta.url);
const BUNDLE_INPUTS = new URL('../../dist/electron/cli/carve-command.bundle.inputs.json', import.meta.url);
const bundleSkip = ((): string | false => {
  const p = bundleProblem(BUNDLE, BUNDLE_INPUTS);
  return p === null ? false : `carve bundle not usable (${p}): npm run build:carve`;
})();

test('tapline carve from the bundle and module by module: the same lines and files', { skip: bundleSkip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-cli-bundle-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bodies = [
    { name: 'page.html', body: Buffer.from('<!doctype html><html><body>hello</body></html>\n') },
    { name: 'data.bin', body: Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff)) },
    { name: 'doc.pdf', body: Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n') },
  ];
  const pcap = join(dir, 'http.pcap');
  writeHttpCapture(pcap, bodies);
  const store = join(dir, 'store');
  assert.equal(tapline('import', '--store', store, pcap).code, 0);
  const bundled = taplineEnv({ TAPLINE_DEBUG: '1' }, 'carve', '--store', store, '-o', join(dir, 'a'), '--json');
  const modules = taplineEnv({ TAPLINE_DEBUG: '1', TAPLINE_CARVE_BUNDLE: '0' }, 'carve', '--store', store, '-o', join(dir, 'b'), '--json');
  assert.equal(bundled.code, 0, bundled.stderr);
  assert.equal(modules.code, 0, modules.stderr);
  assert.doesNotMatch(bundled.stderr, /loaded one by one/);
  assert.match(bundled.stderr, /carve bundle compiled from its code cache/);
  assert.match(modules.stderr, /carve modules loaded one by one \(TAPLINE_CARVE_BUNDLE=0\)/);
  const strip = (l: CarveLine): Omit<CarveLine, 'path'> & { file: string } => {
    const { path, ...rest } = l;
    return { ...rest, file: path.slice(path.lastIndexOf('/') + 1) };
  };
  const a = parseLines(bundled.stdout).map(strip);
  assert.equal(a.length, 3);
  assert.deepEqual(a, parseLines(modules.stdout).map(strip));
  // typed by file-type inside the bundle (magic bytes) and by the text heuristic
  assert.deepEqual(Object.fromEntries(a.map((l) => [l.file, l.mime])), { 'page.html': 'text/html', 'data.bin': null, 'doc.pdf': 'application/pdf' });
  // a usage error from inside the bundled command is still a usage error (exit 2)
  assert.equal(taplineEnv({}, 'carve', '--store', store).code, 2);
});

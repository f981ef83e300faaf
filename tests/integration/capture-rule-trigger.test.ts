/**
 * Conditional capture with the rule engine as its alert source: `tapline capture --read -
 * --mode conditional --trigger-rules FILE` keeps only the flow a rule alerted on, from N packets
 * before the alerting packet to the flow's end, each record byte-identical to the input's.
 * The input is a generated capture fed on stdin, so no capture privilege is needed.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';
import { writeHttpCapture } from '../helpers/http-capture.js';

const CLI = join(repoRoot, 'electron/cli/main.ts');
const dir = mkdtempSync(join(tmpdir(), 'tl-cap-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tapline(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: repoRoot, input, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8') };
}

/** The records of a little-endian classic pcap as (time in ns as text, original length, bytes), whatever its time resolution. */
function records(pcap: Buffer): { ts: string; origLen: number; data: string }[] {
  const nano = pcap.readUInt32LE(0) === 0xa1b23c4d;
  const out: { ts: string; origLen: number; data: string }[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const len = pcap.readUInt32LE(at + 8);
    const frac = pcap.readUInt32LE(at + 4) * (nano ? 1 : 1000);
    out.push({ ts: `${pcap.readUInt32LE(at)}.${String(frac).padStart(9, '0')}`, origLen: pcap.readUInt32LE(at + 12), data: pcap.subarray(at + 16, at + 16 + len).toString('hex') });
    at += 16 + len;
  }
  return out;
}

test('rule-triggered conditional capture keeps the alerting flow from its pre-alert window on, byte-exact, and nothing else', () => {
  const input = join(dir, 'in.pcap');
  // three HTTP downloads on ports 40000..40002; only the second body carries the marker
  writeHttpCapture(input, [
    { name: 'a.txt', body: Buffer.from('nothing to see here\n') },
    { name: 'b.txt', body: Buffer.from('header\nTAPLINE-RULE-MARKER-7\nfooter\n') },
    { name: 'c.txt', body: Buffer.from('also harmless\n') },
  ]);
  const rules = join(dir, 'trigger.rules');
  writeFileSync(rules, 'alert http any any -> any any (msg:"marker in a body"; file.data; content:"TAPLINE-RULE-MARKER-7"; sid:7001; rev:1;)\n');
  const store = join(dir, 'store');
  const cap = tapline(['capture', '--read', '-', '--store', store, '--quiet', '--mode', 'conditional', '--trigger-rules', rules, '--pre-alert-packets', '2'], readFileSync(input));
  assert.equal(cap.code, 0, cap.stderr);

  const flows = tapline(['flows', '--store', store, '--json']);
  assert.equal(flows.code, 0, flows.stderr);
  const rows = flows.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; client_port: number; packets: number });
  assert.deepEqual(rows.map((r) => r.client_port), [40001], 'only the flow whose body matched the rule');

  // each flow of the input is 7 packets: SYN, SYN-ACK, ACK, request, response (the alert), FIN, FIN
  const inFlow = records(readFileSync(input)).slice(7, 14);
  const out = join(dir, 'flow.pcap');
  const slice = tapline(['slice', '--store', store, '--flow', rows[0].id, '-o', out]);
  assert.equal(slice.code, 0, slice.stderr);
  // the response (index 4) alerted: 2 packets before it, it, and the rest of the flow
  assert.deepEqual(records(readFileSync(out)), inFlow.slice(2), 'packets 2..6 of the flow: the same bytes, lengths and times (the live store writes nanosecond pcap)');
});

test('conditional capture refuses a rule file with no usable rule, in words', () => {
  const rules = join(dir, 'bad.rules');
  writeFileSync(rules, 'alert tcp any any -> any any (msg:"x"; byte_math:bytes 4, offset 0, oper +, rvalue 1, result v; sid:1;)\n');
  const input = join(dir, 'in2.pcap');
  writeHttpCapture(input, [{ name: 'a.txt', body: Buffer.from('x') }]);
  const cap = tapline(['capture', '--read', '-', '--store', join(dir, 'store2'), '--quiet', '--mode', 'conditional', '--trigger-rules', rules], readFileSync(input));
  assert.notEqual(cap.code, 0);
  assert.match(cap.stderr, /no usable rule \(1 skipped; first skipped: unsupported keyword "byte_math"/);
});

test('--trigger-rules needs conditional mode and an existing file', () => {
  const r = tapline(['capture', '--read', '-', '--store', join(dir, 'store3'), '--trigger-rules', join(dir, 'missing.rules'), '--mode', 'conditional']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--trigger-rules .*missing\.rules: no such file/);
  const rules = join(dir, 'ok.rules');
  writeFileSync(rules, 'alert tcp any any -> any any (msg:"x"; content:"GET"; sid:1;)\n');
  const full = tapline(['capture', '--read', '-', '--store', join(dir, 'store4'), '--trigger-rules', rules]);
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /apply to --mode conditional only/);
});

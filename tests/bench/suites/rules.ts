/**
 * Rule-matching benchmark: the cost of `tapline detect` per GB of capture with (a) no rules (the
 * read → decode → reassembly → HTTP/DNS/TLS parsing pass alone), (b) the shipped default set,
 * (c) 1,000 generated content rules (random 8–16 byte patterns over tcp/udp/http/dns, a quarter
 * nocase, some with a second relative content), and (d) the default set plus discovery; run
 * in-process over a store of a generated bench capture. Reference: tshark dissecting the same
 * file with one display-filter content match (`frame contains "…"`), the nearest comparable
 * single pass; tshark cannot take 1,000 rules, so the ratio is for orientation only.
 *
 * Env: BENCH_RULES_SIZE (256M: the capture size for this suite), BENCH_SEED, BENCH_TSHARK (1).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClassification } from '../../../common/rules/classification.js';
import { RuleLoader } from '../../../common/rules/load-rules.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { detectStore } from '../../../node/rules/detect-store.js';
import { DEFAULT_CLASSIFICATION_PATH, DEFAULT_RULES_PATH } from '../../../node/rules/rule-files.js';
import { Store } from '../../../node/store/store.js';
import { ensureCapture } from '../lib/capture.js';
import { envBool, envString, machineInfo, which, writeResults } from '../lib/env.js';
import { runMeasured, succeeded, failureText } from '../lib/measure.js';
import { Rng } from '../lib/prng.js';
import { fmt, fmtMs, renderTable, say, section } from '../lib/report.js';
import { formatBytes, mbPerSec } from '../lib/size.js';
import type { Suite, SuiteContext } from '../lib/suite.js';

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_/.=';

/** 1,000 content rules of the shape ET rules have (a fast pattern, sometimes a second content). */
export function generatedRules(n: number, seed: number): string {
  const rng = new Rng(seed);
  const word = (min: number, max: number): string => {
    const len = min + rng.int(max - min + 1);
    let s = '';
    for (let i = 0; i < len; i++) s += ALPHA[rng.int(ALPHA.length)];
    return s;
  };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = rng.int(4);
    const nocase = rng.int(4) === 0 ? ' nocase;' : '';
    const second = rng.int(3) === 0 ? ` content:"${word(4, 6)}"; distance:0; within:64;` : '';
    const sid = 8_000_000 + i;
    if (kind === 0) lines.push(`alert tcp any any -> any any (msg:"gen ${i}"; flow:established; content:"${word(8, 16)}";${nocase}${second} sid:${sid}; rev:1;)`);
    else if (kind === 1) lines.push(`alert udp any any -> any any (msg:"gen ${i}"; content:"${word(8, 16)}";${nocase}${second} sid:${sid}; rev:1;)`);
    else if (kind === 2) lines.push(`alert http any any -> any any (msg:"gen ${i}"; flow:established,to_server; http.uri; content:"${word(8, 16)}";${nocase} sid:${sid}; rev:1;)`);
    else lines.push(`alert dns any any -> any any (msg:"gen ${i}"; dns.query; content:"${word(8, 16)}";${nocase} sid:${sid}; rev:1;)`);
  }
  return lines.join('\n');
}

interface Pass {
  name: string;
  rules: number;
  ms: number;
  alerts: number;
  services: number;
  packets: number;
  flows: number;
}

export const rulesSuite: Suite = {
  name: 'rules',
  description: 'rule matching cost per GB: none, default set, 1,000 content rules, default + discovery; tshark reference',
  async run(ctx: SuiteContext): Promise<void> {
    const sizeText = envString('BENCH_RULES_SIZE', '256M');
    section(`rules: capture ${sizeText}, seed ${ctx.seed}`);
    const cap = await ensureCapture({ sizeText, seed: ctx.seed });
    const dir = mkdtempSync(join(tmpdir(), 'tl-bench-rules-'));
    const passes: Pass[] = [];
    let tshark: { ms: number; error: string | null } | null = null;
    try {
      const s = await Store.open(join(dir, 'store'), { create: true });
      try {
        const t0 = performance.now();
        await s.import([cap.path]);
        say(`imported ${formatBytes(cap.bytes)} in ${fmtMs(performance.now() - t0)} (not counted below)`);
        const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
        const load = (text: string): RuleSet => {
          const l = new RuleLoader({ classes });
          l.add(text);
          if (l.skipped.length) throw new Error(`bench rules skipped: ${l.skipped[0].reason}`);
          return new RuleSet(l.rules);
        };
        const defaults = load(readFileSync(DEFAULT_RULES_PATH, 'utf8'));
        const gen = load(generatedRules(1000, ctx.seed));
        const run = async (name: string, rules: RuleSet | null, discovery: boolean): Promise<void> => {
          let alerts = 0;
          let services = 0;
          const t = performance.now();
          const sum = await detectStore(s, { rules, discovery, onEvent: (e) => (e.kind === 'ids' ? alerts++ : services++) });
          const ms = performance.now() - t;
          passes.push({ name, rules: rules?.rules.length ?? 0, ms, alerts, services, packets: sum.packets, flows: sum.flows });
          say(`${name}: ${fmtMs(ms)}, ${alerts} alerts, ${services} discovery events`);
        };
        await run('no rules (read + decode + reassembly + app parsing)', load(''), false);
        await run('default rule set', defaults, false);
        await run('1,000 generated content rules', gen, false);
        await run('default rules + discovery', defaults, true);
      } finally {
        await s.close();
      }
      const ts = which('tshark');
      if (ts && envBool('BENCH_TSHARK', true)) {
        const r = await runMeasured({ cmd: ts, args: ['-n', '-r', cap.path, '-Y', 'frame contains "EICAR-STANDARD"'], stdout: 'ignore', stderr: 'capture' });
        tshark = { ms: r.wallMs, error: succeeded(r) ? null : failureText(r) };
        say(`tshark -r F -Y 'frame contains "EICAR-STANDARD"': ${fmtMs(r.wallMs)}${tshark.error ? ` (FAILED: ${tshark.error})` : ''}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const gb = cap.bytes / 1e9;
    const base = passes[0]?.ms ?? 0;
    const rows = passes.map((p) => [p.name, String(p.rules), fmtMs(p.ms), fmt(mbPerSec(cap.bytes, p.ms), 0), fmt(p.ms / 1000 / gb, 1), p === passes[0] ? '-' : fmt((p.ms - base) / 1000 / gb, 1), String(p.alerts)]);
    if (tshark) rows.push(['tshark one-content display filter', '1', fmtMs(tshark.ms), fmt(mbPerSec(cap.bytes, tshark.ms), 0), fmt(tshark.ms / 1000 / gb, 1), '-', '-']);
    process.stdout.write(
      `\n${renderTable(
        [
          { header: 'pass', align: 'left' },
          { header: 'rules', align: 'right' },
          { header: 'time', align: 'right' },
          { header: 'MB/s', align: 'right' },
          { header: 's/GB', align: 'right' },
          { header: 'rule cost s/GB', align: 'right' },
          { header: 'alerts', align: 'right' },
        ],
        rows,
      )}\n`,
    );
    const out = writeResults('rules', { machine: machineInfo(), capture: { path: cap.path, bytes: cap.bytes, packets: passes[0]?.packets, flows: passes[0]?.flows }, passes, tshark });
    say(`results: ${out}`);
  },
};

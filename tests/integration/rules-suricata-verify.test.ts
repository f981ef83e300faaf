/**
 * The rule engine against suricata-verify's own expectations: for each corpus capture shipped
 * with a test.rules (or other *.rules) and a test.yaml, the rules are loaded, run over the
 * capture through the store (`detectStore`), and every `checks:` filter that only counts alerts
 * (optionally of one signature_id) is compared with our alert count. A filter is comparable when
 * the rules it depends on all loaded (a skipped rule, e.g. filemagic or app-layer-event, makes
 * its filters not comparable: listed, not faked). Suricata's counts are the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClassification } from '../../common/rules/classification.js';
import { RuleLoader } from '../../common/rules/load-rules.js';
import { RuleSet } from '../../common/rules/rule-set.js';
import { detectStore } from '../../node/rules/detect-store.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../node/rules/rule-files.js';
import { Store } from '../../node/store/store.js';
import { capturePath, corpusDir, corpusSkipReason } from '../helpers/corpus.js';

interface Check {
  count: number;
  sid: number | null;
  /** Only event_type/alert.signature_id keys: something we can compare. */
  simple: boolean;
  requires: boolean;
}

/** The `checks:` filters of a suricata-verify test.yaml (its small, regular YAML subset). */
function parseChecks(yaml: string): Check[] {
  const at = `\n${yaml}`.indexOf('\nchecks:');
  if (at < 0) return [];
  const blocks = `\n${yaml}`.slice(at).split(/\n\s*-\s*filter:\s*\n/).slice(1);
  return blocks.map((b) => {
    const count = /\bcount:\s*(\d+)/.exec(b);
    const sid = /alert\.signature_id:\s*(\d+)/.exec(b);
    const keys = [...b.matchAll(/^\s+([\w.]+):/gm)].map((m) => m[1]);
    const matchKeys = keys.slice(keys.indexOf('match') + 1);
    const simple = matchKeys.every((k) => k === 'event_type' || k === 'alert.signature_id') && (!/event_type:/.test(b) || /event_type:\s*alert\b/.test(b));
    return { count: count ? Number(count[1]) : -1, sid: sid ? Number(sid[1]) : null, simple: simple && count !== null, requires: /requires:/.test(b) };
  });
}

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));

test('alert counts equal suricata-verify test.yaml checks on corpus captures', { skip: corpusSkipReason }, async (t) => {
  const oracles = join(corpusDir, 'oracles');
  let compared = 0;
  const notComparable: string[] = [];
  const mismatches: string[] = [];
  for (const cap of readdirSync(oracles).filter((d) => d.startsWith('suricata-verify__')).sort()) {
    const dir = join(oracles, cap);
    const ruleFiles = readdirSync(dir).filter((f) => f.endsWith('.rules'));
    const yamlPath = join(dir, 'suricata-verify__test.yaml');
    if (!ruleFiles.length || !existsSync(yamlPath)) continue;
    const checks = parseChecks(readFileSync(yamlPath, 'utf8'));
    const loader = new RuleLoader({ classes });
    // list files (filemd5's target.md5) sit next to the rules with the corpus's prefix
    const readList = (name: string): string | null => {
      const p = join(dir, `suricata-verify__${name}`);
      return existsSync(p) ? readFileSync(p, 'utf8') : null;
    };
    for (const f of ruleFiles) loader.add(readFileSync(join(dir, f), 'utf8'), f, readList);
    const skippedSids = new Set(loader.skipped.map((s) => s.sid));
    const allLoaded = loader.skipped.length === 0;
    const store = mkdtempSync(join(tmpdir(), 'tl-rules-sv-'));
    t.after(() => rmSync(store, { recursive: true, force: true }));
    const s = await Store.open(store, { create: true, log: () => undefined });
    const counts = new Map<number, number>();
    let total = 0;
    try {
      await s.import([capturePath(cap)]);
      await detectStore(s, {
        rules: new RuleSet(loader.rules),
        discovery: false,
        onEvent: (e) => {
          if (e.kind !== 'ids') return;
          total++;
          counts.set(e.alert.sid, (counts.get(e.alert.sid) ?? 0) + 1);
        },
      });
    } finally {
      await s.close();
    }
    for (const c of checks) {
      const label = `${cap} sid ${c.sid ?? '(any)'} count ${c.count}`;
      if (!c.simple || c.requires || (c.sid === null ? !allLoaded : skippedSids.has(c.sid) || !loader.rules.some((r) => r.sid === c.sid))) {
        notComparable.push(`${label}${c.sid !== null && skippedSids.has(c.sid) ? ` (rule skipped: ${loader.skipped.find((x) => x.sid === c.sid)?.reason})` : ''}`);
        continue;
      }
      compared++;
      const got = c.sid === null ? total : (counts.get(c.sid) ?? 0);
      if (got !== c.count) mismatches.push(`${label}: got ${got}`);
    }
  }
  t.diagnostic(`compared ${compared} checks; not comparable: ${notComparable.length}`);
  for (const n of notComparable) t.diagnostic(`not comparable: ${n}`);
  assert.deepEqual(mismatches, []);
  // http-chunked (23 checks) and pdf-dl (4) at least: the test must not pass by comparing nothing
  assert.ok(compared >= 27, `only ${compared} checks were comparable`);
});

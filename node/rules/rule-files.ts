/**
 * Reads rule files and the classification config from disk into a RuleSet and its load report.
 * The shipped defaults live in assets/rules/.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseClassification } from '../../common/rules/classification.js';
import { RuleLoader, type LoadReport } from '../../common/rules/load-rules.js';
import { DEFAULT_VARS } from '../../common/rules/net-list.js';
import { RuleSet } from '../../common/rules/rule-set.js';

/** Rule files above this size are refused (ET Open's full set is ~40 MB). */
export const MAX_RULE_FILE_BYTES = 256 * 1024 * 1024;

/** assets/rules/<name>, found by walking up from this module (sources via tsx, or dist/). */
function assetPath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, 'assets', 'rules', name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'assets', 'rules', name);
}

export const DEFAULT_RULES_PATH = assetPath('tapline-default.rules');
export const DEFAULT_CLASSIFICATION_PATH = assetPath('classification.config');

export interface LoadedRules {
  set: RuleSet;
  report: LoadReport;
}

export interface RuleFileOptions {
  classificationPath?: string;
  /** NAME=VALUE overrides of the rule variables ($HOME_NET, …). */
  vars?: Record<string, string>;
}

export async function loadRuleFiles(paths: string[], opts: RuleFileOptions = {}): Promise<LoadedRules> {
  const classes = parseClassification(await readFile(opts.classificationPath ?? DEFAULT_CLASSIFICATION_PATH, 'utf8'));
  const vars = new Map(DEFAULT_VARS);
  for (const [k, v] of Object.entries(opts.vars ?? {})) vars.set(k, v);
  const loader = new RuleLoader({ classes, vars });
  for (const p of paths) {
    const buf = await readFile(p);
    if (buf.length > MAX_RULE_FILE_BYTES) throw new Error(`${p}: rule file larger than ${MAX_RULE_FILE_BYTES} bytes`);
    loader.add(buf.toString('utf8'), p, listReader(dirname(p)));
  }
  return { set: new RuleSet(loader.rules), report: loader.report() };
}

/** List files (filemd5 …) above this size are refused. */
export const MAX_LIST_FILE_BYTES = 64 * 1024 * 1024;

/** Reads a list file a rule names, relative to its rule file's directory (as Suricata's default-rule-path); null when unreadable. */
export function listReader(dir: string): (name: string) => string | null {
  return (name) => {
    const p = isAbsolute(name) ? name : join(dir, name);
    try {
      if (statSync(p).size > MAX_LIST_FILE_BYTES) return null;
      return readFileSync(p, 'utf8');
    } catch {
      return null;
    }
  };
}

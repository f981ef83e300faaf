/**
 * A rule file's text → the rules that load and a report of the ones skipped, by reason. Lines
 * ending in `\` continue; `#` starts a comment line (commented-out rules are not counted).
 * Never throws, whatever the input. Environment-free.
 */
import type { ClassType } from './classification.js';
import { DEFAULT_VARS, type RuleVars } from './net-list.js';
import { parseRule } from './parse-rule.js';
import type { Rule } from './rule-types.js';

export interface SkippedRule {
  file: string;
  line: number;
  sid: number | null;
  reason: string;
}

export interface LoadReport {
  loaded: number;
  skipped: SkippedRule[];
  /** Skips counted by reason (the reason text with quoted names generalised). */
  byReason: Record<string, number>;
}

export interface LoadOptions {
  vars?: RuleVars;
  classes: ReadonlyMap<string, ClassType>;
}

/** Longest rule text accepted (ET Open's longest rules are a few KiB). */
export const MAX_RULE_CHARS = 64 * 1024;

export class RuleLoader {
  readonly rules: Rule[] = [];
  readonly skipped: SkippedRule[] = [];
  private readonly seen = new Set<string>();
  private readonly vars: RuleVars;

  constructor(private readonly opts: LoadOptions) {
    this.vars = opts.vars ?? DEFAULT_VARS;
  }

  /** Adds the rules of one file's text. `readList` reads the list files its rules name
   * (filemd5, …), relative to that rule file. */
  add(text: string, file = '<rules>', readList?: (name: string) => string | null): void {
    const lines = text.split(/\r?\n/);
    let buf = '';
    let start = 0;
    for (let i = 0; i < lines.length; i++) {
      let l = lines[i];
      if (!buf) {
        const t = l.trim();
        if (!t || t.startsWith('#')) continue;
        start = i + 1;
      }
      const cont = l.endsWith('\\');
      if (cont) l = l.slice(0, -1);
      buf += buf ? ` ${l.trim()}` : l.trim();
      if (buf.length > MAX_RULE_CHARS) {
        this.skipped.push({ file, line: start, sid: null, reason: `rule longer than ${MAX_RULE_CHARS} characters` });
        buf = '';
        // skip the rest of this continued rule
        while (cont && i + 1 < lines.length && lines[i].endsWith('\\')) i++;
        continue;
      }
      if (cont && i + 1 < lines.length) continue;
      this.one(buf, file, start, readList);
      buf = '';
    }
  }

  private one(text: string, file: string, line: number, readList?: (name: string) => string | null): void {
    const out = parseRule(text, line, { vars: this.vars, classes: this.opts.classes, readList });
    if ('skipped' in out) {
      this.skipped.push({ file, line, sid: out.sid, reason: out.skipped });
      return;
    }
    const key = `${out.rule.gid}:${out.rule.sid}`;
    if (this.seen.has(key)) {
      this.skipped.push({ file, line, sid: out.rule.sid, reason: `duplicate gid:sid ${key}` });
      return;
    }
    this.seen.add(key);
    this.rules.push(out.rule);
  }

  report(): LoadReport {
    const byReason: Record<string, number> = {};
    for (const s of this.skipped) {
      const k = reasonKey(s.reason);
      byReason[k] = (byReason[k] ?? 0) + 1;
    }
    return { loaded: this.rules.length, skipped: this.skipped, byReason };
  }
}

/** `unsupported keyword "flowint"` stays as is (the keyword is the reason); numbers and long
 * quoted fragments are generalised so the counts group. */
function reasonKey(r: string): string {
  if (r.startsWith('unsupported keyword') || r.startsWith('protocol') || r.startsWith('pcre flag')) return r;
  return r.replace(/"[^"]{0,80}"/g, '"…"').replace(/\d+/g, 'N');
}

export function loadRules(text: string, opts: LoadOptions, file?: string): { rules: Rule[]; report: LoadReport } {
  const l = new RuleLoader(opts);
  l.add(text, file);
  return { rules: l.rules, report: l.report() };
}

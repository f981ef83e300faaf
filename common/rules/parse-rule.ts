/**
 * One rule's text → a checked Rule, or the reason it is skipped. Never throws. Keywords the
 * matcher cannot honour are refused by name (a rule that silently ignored one would alert on
 * traffic its author meant to exclude). Environment-free.
 */
import type { ClassType } from './classification.js';
import { lowerAscii, parseContentArg } from './content-pattern.js';
import { parseNetList, parsePortList, type RuleVars } from './net-list.js';
import { translatePcre } from './pcre-translate.js';
import { parseBase64Decode, parseByteExtract, parseByteJump, parseByteTest, parseIsDataAt } from './byte-keywords.js';
import { parseFileHashes, parseFilesize, parseFlowint } from './file-flow-keywords.js';
import { APP_LAYER_EVENTS, BANNER_PROTOS, isFileRule, type Base64DecodeMatch, type BufferName, type ContentMatch, type CursorMatch, type DsizeOption, type FlowbitsOp, type FlowOption, type NumRef, type PatternMatch, type Rule, type RuleProto, type ThresholdOption } from './rule-types.js';

export type ParseOutcome = { rule: Rule } | { skipped: string; sid: number | null };

export interface ParseContext {
  vars: RuleVars;
  classes: ReadonlyMap<string, ClassType>;
  /** Text of a list file a rule names (filemd5/filesha1/filesha256), null when absent. */
  readList?: (name: string) => string | null;
}

const ACTIONS = new Set(['alert', 'log', 'drop', 'reject', 'sdrop']);
const PROTOS: Record<string, RuleProto> = { ip: 'ip', tcp: 'tcp', udp: 'udp', icmp: 'icmp', http: 'http', http1: 'http', dns: 'dns', tls: 'tls', 'tcp-pkt': 'tcp', 'tcp-stream': 'tcp', ssh: 'ssh', ftp: 'ftp', smtp: 'smtp', pop3: 'pop3', imap: 'imap' };

/** Sticky buffers (Suricata 5+ form): subsequent content/pcre look here. */
const STICKY: Record<string, BufferName> = {
  'http.uri': 'http.uri',
  'http.uri.raw': 'http.uri.raw',
  'http.method': 'http.method',
  'http.host': 'http.host',
  'http.host.raw': 'http.host',
  'http.user_agent': 'http.user_agent',
  'http.header': 'http.header',
  'http.request_header': 'http.request_header',
  'http.header.raw': 'http.header.raw',
  'http.cookie': 'http.cookie',
  'http.request_body': 'http.client_body',
  'http.client_body': 'http.client_body',
  'http.stat_code': 'http.stat_code',
  'file.data': 'file.data',
  file_data: 'file.data',
  'http.response_body': 'file.data',
  'dns.query': 'dns.query',
  dns_query: 'dns.query',
  'tls.sni': 'tls.sni',
  tls_sni: 'tls.sni',
  pkt_data: 'payload',
  'file.name': 'file.name',
  'file.magic': 'file.magic',
};

/** Older content modifiers (Snort 2 form): they move the content just before them. */
const MODIFIER_BUFFERS: Record<string, BufferName> = {
  http_uri: 'http.uri',
  http_raw_uri: 'http.uri.raw',
  http_method: 'http.method',
  http_host: 'http.host',
  http_raw_host: 'http.host',
  http_user_agent: 'http.user_agent',
  http_header: 'http.header',
  http_raw_header: 'http.header.raw',
  http_cookie: 'http.cookie',
  http_client_body: 'http.client_body',
  http_stat_code: 'http.stat_code',
};

/** Accepted and ignored: they do not change what matches. */
const IGNORED = new Set(['metadata', 'reference', 'target', 'rawbytes', 'tag', 'flowint_unused', 'fast_pattern', 'app-layer-protocol_unused']);

export const MAX_OPTIONS = 256;

/** Splits `name:value; name; …` honouring quotes and backslash escapes. */
export function splitOptions(body: string): { name: string; value: string | null }[] | { error: string } {
  const out: { name: string; value: string | null }[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      cur += c + body[i + 1];
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ';' && !quoted) {
      if (cur.trim()) {
        if (out.length >= MAX_OPTIONS) return { error: `more than ${MAX_OPTIONS} options` };
        const colon = cur.indexOf(':');
        out.push(colon < 0 ? { name: cur.trim(), value: null } : { name: cur.slice(0, colon).trim(), value: cur.slice(colon + 1).trim() });
      }
      cur = '';
      continue;
    }
    cur += c;
  }
  if (quoted) return { error: 'unterminated quoted string in options' };
  if (cur.trim()) return { error: `last option "${cur.trim().slice(0, 40)}" is not terminated by ";"` };
  return out;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/\\(["\\;:|])/g, '$1') : t;
}

function intArg(v: string | null, name: string, min: number, max: number): number {
  if (v === null || !/^-?\d{1,10}$/.test(v.trim())) throw new SkipRule(`${name} needs an integer`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new SkipRule(`${name} ${n} out of range ${min}..${max}`);
  return n;
}

class SkipRule extends Error {}

export function parseRule(text: string, line: number, ctx: ParseContext): ParseOutcome {
  let sid: number | null = null;
  try {
    const m = /\bsid\s*:\s*(\d{1,10})\s*;/.exec(text);
    if (m) sid = Number(m[1]);
    return { rule: parseRuleOrThrow(text, line, ctx) };
  } catch (e) {
    if (e instanceof SkipRule) return { skipped: e.message, sid };
    return { skipped: `parse error: ${(e as Error).message}`, sid };
  }
}

function parseRuleOrThrow(text: string, line: number, ctx: ParseContext): Rule {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new SkipRule('no option block "( … )"');
  if (text.slice(close + 1).trim()) throw new SkipRule('text after the closing ")"');
  const header = text.slice(0, open).trim().split(/\s+/);
  if (header.length !== 7) throw new SkipRule(`header needs 7 fields (action proto src sport dir dst dport), found ${header.length}`);
  const [action, protoText, srcText, sportText, dirText, dstText, dportText] = header;
  if (!ACTIONS.has(action)) throw new SkipRule(action === 'pass' ? 'action "pass" is not applied by offline detection' : `unknown action "${action}"`);
  const proto = PROTOS[protoText.toLowerCase()];
  if (!proto) throw new SkipRule(`protocol "${protoText}" is not supported`);
  if (dirText !== '->' && dirText !== '<>') throw new SkipRule(`direction "${dirText}" must be -> or <>`);
  let src, dst, srcPorts, dstPorts;
  try {
    src = parseNetList(srcText, ctx.vars);
    dst = parseNetList(dstText, ctx.vars);
    srcPorts = parsePortList(sportText, ctx.vars);
    dstPorts = parsePortList(dportText, ctx.vars);
  } catch (e) {
    throw new SkipRule(`header: ${(e as Error).message}`);
  }
  const opts = splitOptions(text.slice(open + 1, close));
  if ('error' in opts) throw new SkipRule(opts.error);

  const rule: Rule = {
    action: action as Rule['action'],
    proto,
    src,
    srcPorts,
    dst,
    dstPorts,
    bidirectional: dirText === '<>',
    gid: 1,
    sid: -1,
    rev: 1,
    msg: '',
    classtype: null,
    priority: 3,
    references: [],
    matches: [],
    flow: null,
    dsize: null,
    flowbits: [],
    flowint: [],
    files: [],
    appEvents: [],
    noalert: false,
    threshold: null,
    line,
    source: text,
  };
  let explicitPriority: number | null = null;
  let buffer: BufferName = 'payload';
  let lastContent: ContentMatch | null = null;
  let lastPattern: PatternMatch | null = null;
  // where content/pcre/byte keywords go: the rule's list, or after base64_data the decoded bytes'
  let list: PatternMatch[] = rule.matches;
  let lastDecode: Base64DecodeMatch | null = null;
  const extracted = new Set<string>();
  const checkVar = (n: NumRef | bigint | { var: string }, kw: string): void => {
    if (typeof n === 'object' && !extracted.has(n.var)) throw new SkipRule(`${kw} uses "${n.var}", which no earlier byte_extract sets`);
  };
  const pushCursor = (m: CursorMatch): void => {
    list.push(m);
  };
  const needContent = (name: string): ContentMatch => {
    if (!lastContent) throw new SkipRule(`${name} without a preceding content`);
    return lastContent;
  };

  for (const { name: rawName, value } of opts) {
    const name = rawName.toLowerCase();
    if (name in STICKY) {
      if (value !== null) throw new SkipRule(`${name} takes no value`);
      buffer = STICKY[name];
      lastContent = null;
      list = rule.matches;
      continue;
    }
    if (name in MODIFIER_BUFFERS) {
      const c = needContent(name);
      c.buffer = MODIFIER_BUFFERS[name];
      continue;
    }
    switch (name) {
      case 'msg':
        rule.msg = unquote(value ?? '');
        break;
      case 'sid':
        rule.sid = intArg(value, 'sid', 1, 0xffffffff);
        break;
      case 'rev':
        rule.rev = intArg(value, 'rev', 0, 0xffffffff);
        break;
      case 'gid':
        rule.gid = intArg(value, 'gid', 0, 0xffffffff);
        break;
      case 'classtype': {
        const c = (value ?? '').trim();
        if (!ctx.classes.has(c)) throw new SkipRule(`unknown classtype "${c}"`);
        rule.classtype = c;
        break;
      }
      case 'priority':
        explicitPriority = intArg(value, 'priority', 1, 255);
        break;
      case 'reference':
        if (value) rule.references.push(value);
        break;
      case 'content': {
        const arg = parseContentArg(value ?? '');
        if ('error' in arg) throw new SkipRule(arg.error);
        const c: ContentMatch = { kind: 'content', buffer, bytes: arg.bytes, nocase: false, negated: arg.negated, offset: null, depth: null, distance: null, within: null, startswith: false, endswith: false, fastPattern: false };
        list.push(c);
        lastContent = c;
        lastPattern = c;
        break;
      }
      case 'nocase': {
        const c = needContent(name);
        c.nocase = true;
        c.bytes = lowerAscii(c.bytes);
        break;
      }
      case 'offset':
      case 'depth':
      case 'distance':
      case 'within': {
        const c = needContent(name);
        const min = name === 'distance' ? -65535 : name === 'depth' || name === 'within' ? 1 : 0;
        const v = (value ?? '').trim();
        if (/^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(v)) {
          // a byte_extract variable: resolved when matching (a placeholder keeps the mode)
          checkVar({ var: v }, name);
          c.vars = { ...c.vars, [name]: v };
          c[name] = name === 'depth' || name === 'within' ? 65535 : 0;
          break;
        }
        c[name] = intArg(value, name, min, 65535);
        if ((name === 'depth' || name === 'within') && c[name] < c.bytes.length) throw new SkipRule(`${name} ${c[name]} is shorter than its content (${c.bytes.length} bytes)`);
        break;
      }
      case 'startswith':
        needContent(name).startswith = true;
        break;
      case 'endswith':
        needContent(name).endswith = true;
        break;
      case 'fast_pattern':
        // `fast_pattern:only` and `fast_pattern:o,l` only tune the prefilter
        needContent(name).fastPattern = true;
        break;
      case 'rawbytes':
        break;
      case 'pcre': {
        const t = translatePcre(value ?? '');
        if ('error' in t) throw new SkipRule(t.error);
        const p: PatternMatch = { kind: 'pcre', buffer: t.buffer ?? buffer, re: t.re, negated: t.negated, relative: t.relative, source: value ?? '' };
        list.push(p);
        lastPattern = p;
        lastContent = null;
        break;
      }
      case 'byte_test': {
        const r = parseByteTest(value);
        if ('error' in r) throw new SkipRule(r.error);
        checkVar(r.nbytes, name);
        checkVar(r.offset, name);
        checkVar(r.value, name);
        pushCursor({ ...r, buffer });
        lastContent = null;
        break;
      }
      case 'byte_jump': {
        const r = parseByteJump(value);
        if ('error' in r) throw new SkipRule(r.error);
        checkVar(r.nbytes, name);
        checkVar(r.offset, name);
        pushCursor({ ...r, buffer });
        lastContent = null;
        break;
      }
      case 'byte_extract': {
        const r = parseByteExtract(value);
        if ('error' in r) throw new SkipRule(r.error);
        extracted.add(r.name);
        pushCursor({ ...r, buffer });
        lastContent = null;
        break;
      }
      case 'isdataat': {
        const r = parseIsDataAt(value);
        if ('error' in r) throw new SkipRule(r.error);
        checkVar(r.at, name);
        pushCursor({ ...r, buffer });
        lastContent = null;
        break;
      }
      case 'base64_decode': {
        const r = parseBase64Decode(value);
        if ('error' in r) throw new SkipRule(r.error);
        if (list !== rule.matches) throw new SkipRule('base64_decode inside base64_data is not supported');
        lastDecode = { ...r, buffer, then: [] };
        pushCursor(lastDecode);
        lastContent = null;
        break;
      }
      case 'base64_data':
        if (value !== null) throw new SkipRule('base64_data takes no value');
        if (!lastDecode) throw new SkipRule('base64_data without a preceding base64_decode');
        list = lastDecode.then;
        lastContent = null;
        break;
      case 'flowint':
        rule.flowint.push(parseFlowint(value, (e) => new SkipRule(e)));
        break;
      case 'filemd5':
      case 'filesha1':
      case 'filesha256':
        rule.files.push(parseFileHashes(name, value, ctx.readList, (e) => new SkipRule(e)));
        break;
      case 'filesize':
        rule.files.push(parseFilesize(value, (e) => new SkipRule(e)));
        break;
      case 'filemagic':
      case 'filename':
      case 'fileext': {
        // the legacy forms: a case-insensitive content on file.magic / file.name (fileext: the
        // name ends with "." + ext), as Suricata 6+ rewrites them
        const arg = parseContentArg(value ?? '');
        if ('error' in arg) throw new SkipRule(`${name}: ${arg.error}`);
        const bytes = name === 'fileext' ? Uint8Array.from([0x2e, ...arg.bytes]) : arg.bytes;
        const c: ContentMatch = { kind: 'content', buffer: name === 'filemagic' ? 'file.magic' : 'file.name', bytes: lowerAscii(bytes), nocase: true, negated: arg.negated, offset: null, depth: null, distance: null, within: null, startswith: false, endswith: name === 'fileext', fastPattern: false };
        rule.matches.push(c);
        lastContent = c;
        break;
      }
      case 'strip_whitespace':
        // a transform of the sticky buffer; only file.data's is provided
        if (value !== null) throw new SkipRule('strip_whitespace takes no value');
        if (buffer !== 'file.data' || list !== rule.matches) throw new SkipRule(`strip_whitespace on ${buffer} is not supported (only on file.data)`);
        buffer = 'file.data.stripped';
        lastContent = null;
        break;
      case 'filestore':
        // storing is what `tapline carve` does; as a condition filestore matches every file
        break;
      case 'app-layer-event': {
        const v = (value ?? '').trim();
        const negated = v.startsWith('!');
        const ev = negated ? v.slice(1).trim() : v;
        if (!APP_LAYER_EVENTS.has(ev)) throw new SkipRule(`app-layer-event "${ev}" is not raised by this engine`);
        rule.appEvents.push({ name: ev, negated });
        break;
      }
      case 'flow':
        rule.flow = parseFlow(value);
        break;
      case 'dsize':
        rule.dsize = parseDsize(value);
        break;
      case 'flowbits': {
        const fb = parseFlowbits(value);
        if (fb.op === 'noalert') rule.noalert = true;
        rule.flowbits.push(fb);
        break;
      }
      case 'noalert':
        rule.noalert = true;
        break;
      case 'threshold':
      case 'detection_filter':
        if (rule.threshold) throw new SkipRule('more than one threshold/detection_filter');
        rule.threshold = parseThreshold(name, value);
        break;
      default:
        if (IGNORED.has(name)) break;
        throw new SkipRule(`unsupported keyword "${name}"`);
    }
  }
  void lastPattern;
  if (rule.sid < 0) throw new SkipRule('no sid');
  if (!rule.msg) rule.msg = `sid ${rule.sid}`;
  rule.priority = explicitPriority ?? (rule.classtype ? (ctx.classes.get(rule.classtype)?.priority ?? 3) : 3);
  checkBuffers(rule);
  return rule;
}

/** Buffers must fit the protocol: http.* only in http (or tcp) rules, dns.query in dns, … */
function checkBuffers(r: Rule): void {
  const fileRule = isFileRule(r);
  if (fileRule) {
    if (r.proto === 'dns' || r.proto === 'tls' || r.proto === 'udp' || r.proto === 'icmp') throw new SkipRule(`file keywords in a ${r.proto} rule are not supported`);
    if (r.appEvents.length) throw new SkipRule('file keywords with app-layer-event are not supported');
    const other = r.matches.find((m) => !['file.name', 'file.magic', 'file.data', 'file.data.stripped', 'http.uri', 'http.host', 'http.user_agent', 'http.method'].includes(m.buffer));
    if (other) throw new SkipRule(`buffer ${other.buffer} in a rule with file keywords is not supported (file rules see file.name, file.magic, file.data, http.uri, http.host, http.user_agent, http.method)`);
    if (r.dsize) throw new SkipRule('dsize in a rule with file keywords is not supported');
    if (r.proto === 'tcp' || r.proto === 'ip') return;
  }
  if (r.appEvents.length && r.proto !== 'http') throw new SkipRule(`app-layer-event in a ${r.proto} rule: only http events are raised`);
  for (const m of r.matches) {
    const b = m.buffer;
    if (b === 'payload' || b === 'file.name' || b === 'file.magic' || (fileRule && (b === 'file.data' || b === 'file.data.stripped'))) continue;
    const ok = b.startsWith('http.') || b === 'file.data' || b === 'file.data.stripped' ? r.proto === 'http' || r.proto === 'tcp' : b === 'dns.query' ? r.proto === 'dns' || r.proto === 'udp' || r.proto === 'tcp' : b === 'tls.sni' ? r.proto === 'tls' || r.proto === 'tcp' : false;
    if (!ok) throw new SkipRule(`buffer ${b} cannot be used in a ${r.proto} rule`);
  }
  // a transport rule using an application buffer is promoted to that application protocol
  const app = r.matches.find((m) => m.buffer !== 'payload');
  if (app && (r.proto === 'tcp' || r.proto === 'udp')) {
    const payloadToo = r.matches.some((m) => m.buffer === 'payload');
    if (payloadToo) throw new SkipRule(`a ${r.proto} rule mixing packet payload and ${app.buffer} is not supported`);
    r.proto = app.buffer === 'dns.query' ? 'dns' : app.buffer === 'tls.sni' ? 'tls' : 'http';
  }
  if (r.dsize && (r.proto === 'http' || r.proto === 'dns' || r.proto === 'tls')) throw new SkipRule('dsize in an application-layer rule is not supported');
  if (BANNER_PROTOS.has(r.proto) && !fileRule) {
    if (r.dsize) throw new SkipRule(`dsize in a ${r.proto} rule is not supported`);
    if (!r.matches.some((m) => !m.negated && (m.kind === 'content' || m.kind === 'pcre'))) throw new SkipRule(`a ${r.proto} rule needs a content or pcre (protocol-only rules are not supported)`);
  }
}

function parseFlow(v: string | null): FlowOption {
  if (!v) throw new SkipRule('flow needs a value');
  const f: FlowOption = { dir: null, established: null, stateless: false };
  for (const part of v.split(',').map((s) => s.trim().toLowerCase())) {
    if (part === 'to_server' || part === 'from_client') f.dir = 0;
    else if (part === 'to_client' || part === 'from_server') f.dir = 1;
    else if (part === 'established') f.established = true;
    else if (part === 'not_established') f.established = false;
    else if (part === 'stateless') f.stateless = true;
    else throw new SkipRule(`flow option "${part}" is not supported`);
  }
  return f;
}

function parseDsize(v: string | null): DsizeOption {
  const t = (v ?? '').replace(/\s+/g, '');
  let m = /^(\d{1,5})<>(\d{1,5})$/.exec(t);
  if (m) return { op: '<>', a: Number(m[1]), b: Number(m[2]) };
  m = /^([<>!]?)(\d{1,5})$/.exec(t);
  if (m) return { op: (m[1] || '=') as DsizeOption['op'], a: Number(m[2]), b: 0 };
  throw new SkipRule(`dsize "${v ?? ''}" is not N, <N, >N, !N or N<>M`);
}

const BIT_NAME = /^[A-Za-z0-9_.\-]{1,64}$/;

function parseFlowbits(v: string | null): FlowbitsOp {
  const parts = (v ?? '').split(',').map((s) => s.trim());
  const op = parts[0]?.toLowerCase();
  if (op === 'noalert' && parts.length === 1) return { op: 'noalert' };
  if (parts.length !== 2) throw new SkipRule(`flowbits "${v ?? ''}" needs an operation and a name`);
  const expr = parts[1];
  const any = expr.includes('|');
  if (any && expr.includes('&')) throw new SkipRule('flowbits mixing | and & are not supported');
  const names = expr.split(/[|&]/).map((s) => s.trim());
  if (!names.every((n) => BIT_NAME.test(n))) throw new SkipRule(`flowbit name "${expr}" is invalid`);
  if (op === 'set' || op === 'unset' || op === 'toggle') {
    if (names.length !== 1 && op === 'toggle') throw new SkipRule('flowbits toggle takes one name');
    return { op, names };
  }
  if (op === 'isset' || op === 'isnotset') return { op, names, any };
  throw new SkipRule(`flowbits operation "${op ?? ''}" is not supported`);
}

function parseThreshold(kind: 'threshold' | 'detection_filter', v: string | null): ThresholdOption {
  const t: Partial<ThresholdOption> = { kind, type: kind === 'detection_filter' ? 'threshold' : undefined };
  for (const part of (v ?? '').split(',').map((s) => s.trim())) {
    const [k, val] = part.split(/\s+/);
    if (k === 'type' && kind === 'threshold' && (val === 'limit' || val === 'threshold' || val === 'both')) t.type = val;
    else if (k === 'track' && (val === 'by_src' || val === 'by_dst' || val === 'by_rule' || val === 'by_both')) t.track = val;
    else if (k === 'count' && /^\d{1,9}$/.test(val ?? '')) t.count = Number(val);
    else if (k === 'seconds' && /^\d{1,9}$/.test(val ?? '')) t.seconds = Number(val);
    else throw new SkipRule(`${kind} part "${part}" is not supported`);
  }
  if (!t.type || !t.track || t.count === undefined || t.seconds === undefined || t.count < 1) throw new SkipRule(`${kind} needs type, track, count ≥ 1 and seconds`);
  return t as ThresholdOption;
}

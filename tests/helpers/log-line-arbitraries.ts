/**
 * Log lines for the fact extractor's and the native fast path's equivalence tests
 * (tests/unit/logs/log-facts.test.ts, log-fast-path.test.ts): real samples of every shape, lines
 * generated in the shapes the extractors read (with their edges), mutated and random text, and a
 * UDP batch of datagrams in udp-batch.ts's layout.
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { UDP_BATCH_WRITER_SOURCE, type UdpBatch } from '../../node/logs/udp-batch.js';
import { benchMessage } from '../bench/suites/logs.js';
import { mutatedLogText } from './mutated-log-lines.js';

export interface Writer {
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
export const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;
export const enc = new TextEncoder();

/** Real lines of each shape the extractor reads, and of those it leaves to the parser. */
export const SAMPLES = [
  "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
  '<34>Oct 11 22:14:15 mymachine su[230]: su root failed for lonvick on /dev/pts/8',
  '<13>robin: Hello',
  '<13>Nov  2 10:00:00 robin: Hello from 10.0.0.1 port 22',
  '<13>2026-11-22T10:00:00.123456+01:00 host app[1]: iso time variant',
  '<189>29: *Mar  1 00:00:29.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.9)',
  '<189>Mar  1 2026 00:00:29.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.9)',
  '<189>Mar  1 00:00:29 CEST: %A-1-B-2-C: x outside:10.0.0.1/80 y',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] An application event',
  '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It is time to make the do-nuts src=10.0.0.1',
  '<165>1 - host app - - - message with no time SRC=10.1.1.1',
  '<165>1 2003-08-24T05:14:15+0700 h a p m [id@1 a="b"]CEF:0|V|P|1|100|name|5|src=10.0.0.1 rt=1700000000123 spt=7',
  'Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
  '<13>Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected|10|src= 10.0.0.1  dst=1.1.1.1 spt=80 dpt=443  proto=tcp sourceAddress=10.0.0.2 src=10.0.0.3',
  '<13>Sep 19 08:26:10 host app: CEF:0|s|t|1|100|n|10|c6a2=::1 destinationAddress=10.0.0.9 sourcePort=5 transportProtocol=17 end=1700000000',
  'CEF:0|Vendor|Product|1|sig|name with \\\\ backslash|5|msg=line\\nbreak spt=1 dpt=2 shost=ws1.lab rt=1700000000000',
  '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x->/var/log/auth.log; srcip: 192.168.1.50; user: root; log',
  'Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> [2001:db8::1]:6',
  '<14>Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> [2001:db8::1]:6',
  '<14>Nov 22 10:00:00 S-0.lab {1,3} [1:2000003:3] ET SCAN Suspicious inbound {IP} <-',
  '<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234',
  '<166>Jan 05 2012 08:08:08: %ASA-6-106100: access-list x denied udp in/10.0.0.1(1) -> out/10.0.0.2(2)',
  '<4>Nov 22 10:00:00 gw kernel: [1.000] IN=eth0 OUT= SRC=10.0.3.235 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1003 DPT=53',
  '<4>Nov 22 10:00:00 gw kernel: src=10.0.0.1,Dst=10.0.0.2;sport=1 SRC=10.0.0.3 dport=99999 protocol=icmp ip.src=1.2.3.4 src=10.0.0.5',
  '<38>Nov 22 10:00:40 web6 sshd[2000]: Failed password for invalid user admin from 10.0.3.232 port 2024 ssh2',
  '<38>Nov 22 10:00:40 web6 sshd[2000]: Accepted key from xfrom 10.0.3.232 port 2024 from ::ffff:10.0.0.1 port 22 TCP',
  'free text without any syslog header',
  '<999>bad pri',
  '<13>Nov 22 10:00:00 h k: SRC=10.0.0.1 DST=10.0.0.2 PROTO=__proto__ __proto__=x',
  '<13>Feb 30 10:00:00 h k: bad date',
];

export const pri = fc.integer({ min: 0, max: 191 }).map((p) => `<${p}>`);
const pad2 = (n: number): string => String(n).padStart(2, '0');
export const bsd = fc
  .tuple(fc.constantFrom('Jan', 'Feb', 'Mar', 'nov', 'DEC', 'Foo'), fc.integer({ min: 0, max: 32 }), fc.boolean(), fc.option(fc.integer({ min: 1969, max: 2100 })), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.option(fc.stringMatching(/^\d{1,11}$/)))
  .map(([m, d, two, y, h, mi, s, frac]) => `${m}${two && d < 10 ? '  ' : ' '}${d} ${y === null ? '' : `${y} `}${pad2(h)}:${pad2(mi)}:${pad2(s)}${frac === null ? '' : `.${frac}`}`);
export const iso = fc
  .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 61 }), fc.option(fc.stringMatching(/^[.,]\d{1,12}$/)), fc.constantFrom('', 'Z', 'z', '+01:00', '-0530', '+24:00', '+1', '-07:60'))
  .map(([y, mo, d, h, mi, s, frac, z]) => `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(d)}T${pad2(h)}:${pad2(mi)}:${pad2(s)}${frac ?? ''}${z}`);
/** Words short and long: the parser's bounds (32, 48, 64, 255 characters) are crossed. */
export const word = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/),
  fc.tuple(fc.constantFrom('a', 'A', 'k', '_', 'Z9'), fc.oneof(fc.constantFrom(31, 32, 33, 47, 48, 49, 63, 64, 65, 66, 254, 255, 256), fc.integer({ min: 28, max: 70 }))).map(([c, n]) => c.repeat(Math.ceil(n / c.length)).slice(0, n)),
  fc.constantFrom('UT', 'UTC', 'ABCDE', 'ABCDEF', 'FW1', 'CEF', 'X'),
);
export const ip = fc.oneof(
  fc.tuple(fc.nat(300), fc.nat(255), fc.nat(255), fc.nat(300)).map((p) => p.join('.')),
  fc.constantFrom('::1', '2001:db8::5', '010.0.0.1', '1.2.3', '10.0.0.1.5', 'fe80::1%eth0', '::ffff:10.0.0.1'),
);
export const port = fc.oneof(fc.nat(70000).map(String), fc.constantFrom('', '0', '065535', 'x1'));
const roleKey = fc.oneof(word, fc.constantFrom('src', 'SRC', 'Src', 'srcip', 'source_ip', 'ip.src', 'dst', 'DST', 'daddr', 'spt', 'SPT', 'sport', 'dpt', 'dport', 'destination_port', 'proto', 'PROTO', 'protocol', 'seq', 'len', 'in', 'x.y', '_k', '1a'));
const kvPair = fc.tuple(roleKey, fc.oneof(ip, port, fc.constantFrom('tcp', 'UDP', 'icmp', '6', '300', 'ipv6-icmp', ''))).map(([k, v]) => `${k}=${v}`);
export const kvText = fc.array(fc.tuple(kvPair, fc.constantFrom(' ', ',', ';', ', ', '  ')), { maxLength: 8 }).map((ps) => ps.map(([p, s]) => p + s).join(''));
export const proseText = fc.array(
  fc.oneof(
    word,
    fc.tuple(fc.option(fc.oneof(fc.constantFrom('outside:', 'inside:', 'x.y-z:', '('), word.map((w) => `${w}:`))), ip, port).map(([pre, a, p]) => `${pre ?? ''}${a}/${p}`),
    fc.tuple(ip, port).map(([a, p]) => `from ${a} port ${p}`),
    fc.constantFrom('TCP', 'udp', 'Tcp', 'ICMPv6', 'gre', 'SCTP', 'xTCP', 'from', 'port', '(10.0.0.1/80)', 'connection'),
  ),
  { maxLength: 12 },
).map((ws) => ws.join(' '));
export const message = fc.oneof(kvText, proseText, fc.tuple(proseText, kvText).map(([a, b]) => `${a} ${b}`));
const cefExt = fc
  .array(fc.tuple(fc.constantFrom('src', 'dst', 'spt', 'dpt', 'proto', 'sourceAddress', 'destinationAddress', 'c6a2', 'c6a3', 'sourceIPv6Address', 'destinationIPv6Address', 'sourcePort', 'destinationPort', 'transportProtocol', 'rt', 'start', 'end', 'receiptTime', 'startTime', 'act', 'msg', 'cs1'), fc.oneof(ip, port, fc.constantFrom('tcp', '17', '1700000000123', '170000000', 'Nov 22 2026 10:00:00', ' ', 'a b c', ''))), { maxLength: 8 })
  .map((ps) => ps.map(([k, v]) => `${k}=${v}`).join(' '));
export const cef = fc.tuple(fc.constantFrom('0', '1', '12', 'x', ' 0', '1234'), word, word, fc.stringMatching(/^[ -{}~]{0,20}$/), cefExt).map(([v, a, b, name, ext]) => `CEF:${v}|${a}|${b}|1.0|100|${name.replace(/\|/g, '')}|5|${ext}`);
const tag = fc.oneof(
  fc.tuple(word, fc.option(fc.stringMatching(/^[0-9a-z]{0,34}$/)), fc.constantFrom(': ', ':', ' ')).map(([t, p, s]) => `${t}${p === null ? '' : `[${p}]`}${s}`),
  fc.constantFrom('%ASA-6-302013: ', '%SYS-5-CONFIG_I:', '%A-1-B-2-C: ', '%OSSEC-1-X: ', '%bad: ', 'ossec: ', 'wazuh: ', 'Wazuh-alert: '),
  fc.tuple(fc.constantFrom('A-1-', 'AB_C'), fc.oneof(fc.constantFrom(1, 31, 32, 33), fc.integer({ min: 1, max: 36 })), fc.integer({ min: 0, max: 9 }), fc.oneof(fc.constantFrom(1, 47, 48, 49), fc.integer({ min: 1, max: 52 })), fc.constantFrom(': ', ':')).map(([u, a, d, c, s]) => `%${u.repeat(9).slice(0, a)}-${d}-${'B_2-'.repeat(13).slice(0, c)}${s}`),
  fc.constant(''),
);
const host = fc.oneof(word, fc.constantFrom('', 'h:', '%x', 'CEF:0', 'a[1]:b'));
const zone = fc.constantFrom('', ' UTC', ' CEST:', ' CEF:', ' ABCDEF', ':', ' U', ' CT', ' CT:', ' ABCDE', ' ABCDE:', ' AB1');
/** RFC 3164's time: BSD, ISO (rsyslog's forwarding format, "T" or a space), a Cisco sequence number first, or a digit that starts no time. */
const time3164 = fc.oneof(bsd, bsd, iso, iso.map((t) => t.replace('T', ' ')), fc.tuple(fc.stringMatching(/^\d{1,11}$/), fc.constantFrom(': ', ' ', ':')).map(([d, s]) => `${d}${s}`));
const rfc3164 = fc.tuple(pri, time3164, zone, host, tag, fc.oneof(message, cef)).map(([p, t, z, h, g, m]) => `${p}${t}${z} ${h}${h ? ' ' : ''}${g}${m}`);
const sd = fc.oneof(fc.constant('-'), fc.array(fc.tuple(word, fc.array(fc.tuple(word, fc.stringMatching(/^[ -!#-[\]-~]{0,10}$/)), { maxLength: 3 })), { minLength: 1, maxLength: 2 }).map((els) => els.map(([id, ps]) => `[${id}${ps.map(([k, v]) => ` ${k}="${v}"`).join('')}]`).join('')));
const rfc5424 = fc
  .tuple(pri, fc.constantFrom('1', '2', '10'), fc.oneof(iso, fc.constant('-')), fc.oneof(word, fc.constant('-')), fc.oneof(word, fc.constantFrom('-', 'ossec', 'wazuh')), fc.oneof(word, fc.constant('-')), fc.oneof(word, fc.constant('-')), sd, fc.constantFrom(' ', ''), fc.oneof(message, cef, fc.constantFrom('Alert Level: 5; x', '** Alert 1:', '')))
  .map(([p, v, t, h, a, pid, mid, s, sp, m]) => `${p}${v} ${t} ${h} ${a} ${pid} ${mid} ${s}${sp}${m}`);

/** The seed's format in an RFC 3164 envelope (the sensor as host or tag), with the tail's variants. */
function seedTail0(): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom('TCP', 'UDP', 'IP', 'icmp', '6', 'x-y', 'A'.repeat(17)), fc.option(ip.map((a) => (a.includes(':') ? `[${a}]` : a))), fc.option(port), fc.constantFrom('->', '<-', '<->', '--', '=>'), fc.option(ip), fc.option(port)).map(
    ([p, s, sp, d, t, tp]) => ` {${p}}${s === null ? '' : ` ${s}${sp === null ? '' : `:${sp}`}`} ${d}${t === null ? '' : ` ${t}${tp === null ? '' : `:${tp}`}`}`,
  );
}
const seedTail = fc.oneof(
  seedTail0(),
  fc.constantFrom('', ' {TCP}', ' {TCP} a b c d', ' {TCP}  10.0.0.1', ' {TCP} 10.0.0.1 -> ', ' {} x', ' {TCP} -> 10.0.0.1:5 x', ' {TCP} a b ->', ' {TCP} a -> b c', ' {TCP} 10.0.0.1 10.0.0.2 ->'),
  // a first " {…}" that is not the tail, then the tail
  seedTail0().map((t) => ` {x} a b c d${t}`),
);
const seed = fc
  .tuple(pri, bsd, fc.constantFrom('S-0.lab', 'S-0.lab:', 'a:b:', 's'), fc.constantFrom('{1,0}', '{12,-3}', '{1234,0}', '{1,0', '{a,1}'), fc.constantFrom(' [1:2009375:3]', '', ' {x}'), proseText, seedTail)
  .map(([p, t, s, h, sig, m, tail]) => `${p}${t} ${s} ${h}${sig} ${m}${tail}`);

/** OSSEC's default syslog format (ossec-csyslogd) behind an OSSEC tag or any tag, with its key rules' edges. */
const ossecKey = fc.constantFrom('srcip', 'SrcIP', 'dstip', 'user', 'previous md5', 'Current SHA1', 'srccity', 'constructor', 'unknown', 'x', 'a b c d e f g h i j k l');
const ossecBody = fc
  .tuple(fc.constantFrom('5', '12', '123', 'x'), fc.constantFrom('5716', '12345678901', ''), fc.constantFrom('SSHD authentication failed.', 'a; b', 'x; Location: y', ''), fc.constantFrom('(web1) 10.0.0.5->/var/log/auth.log', 'loc;x', 'l'), fc.array(fc.tuple(ossecKey, fc.oneof(ip, word)), { maxLength: 4 }), fc.constantFrom('', ';', 'Failed password for root from 10.0.0.1 port 22 ssh2', 'SSHD authentication failed.: x', '{"a":1}'))
  .map(([lvl, rule, desc, loc, kvs, log]) => `Alert Level: ${lvl}; Rule: ${rule} - ${desc}; Location: ${loc}; ${kvs.map(([k, v]) => `${k}: ${v}; `).join('')}${log}`);
const ossec = fc
  .tuple(pri, bsd, word, fc.constantFrom('ossec: ', 'OSSEC: ', 'wazuh: ', 'ossec-alert: ', 'ossec-csyslogd: ', 'app: ', ''), fc.oneof(ossecBody, fc.constantFrom('** Alert 1540000000.1234: - syslog', '{"rule":{"level":5,"description":"x"}}', ' {"crit": 5}', 'plain text SRC=10.0.0.1')))
  .map(([p, t, h, tag, body]) => `${p}${t} ${h} ${tag}${body}`);
const ossec5424 = fc.tuple(pri, fc.constantFrom('ossec', 'wazuh', 'app', '-'), ossecBody).map(([p, a, body]) => `${p}1 2026-11-22T10:00:00Z host ${a} - - - ${body}`);

export const generated = fc.oneof(rfc3164, rfc5424, seed, ossec, ossec5424, fc.constantFrom(...SAMPLES), fc.nat(100_000).map((i) => benchMessage(i)));
/** Generated lines edited with the characters the extractor's rules turn on. */
export const mutated = mutatedLogText([...SAMPLES, ...Array.from({ length: 10 }, (_, i) => benchMessage(i))], /^[|=\\[\]"{}<>:/(),;. \n0-9a-zA-Z%*-]{0,6}$/, 6);
export const text = fc.oneof(generated, generated.chain((g) => mutatedLogText([g], /^[|=\\[\]"{}<>:/(),;. \n0-9a-zA-Z%*-]{0,6}$/, 4)), mutated, fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 60 }));

export function batchOf(datagrams: readonly Uint8Array[], t0: number): UdpBatch {
  const w = makeWriter(1 << 21);
  datagrams.forEach((d, i) => assert.ok(w.add(d, i % 3 === 0 ? '::1' : `127.0.0.${1 + (i % 5)}`, 1000 + i, t0 + i * 1.5)));
  const b = w.take(1 << 21);
  assert.ok(b);
  return b;
}

/** A generated line's bytes with 1-4 random bytes inserted anywhere (broken UTF-8, stray controls, cut tokens). */
export const withInsertedBytes = fc.tuple(generated, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([s, at, ins]) => {
  const b = enc.encode(s);
  const i = at % (b.length + 1);
  return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)]);
});

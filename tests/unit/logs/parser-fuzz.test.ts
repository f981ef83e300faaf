/**
 * Fuzzing every parser through parseLog (the one entry point) and the CEF/5424 parsers directly:
 * random strings, mutations of real samples, huge lines and invalid UTF-8 must never throw, never
 * hang, and always keep the line (the raw text stays the event's message or raw).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCef } from '../../../common/logs/cef.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { parseOssec } from '../../../common/logs/ossec.js';
import { parseRfc5424 } from '../../../common/logs/rfc5424.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { LogEventSchema } from '../../../common/bridge/messages.js';
import { mutatedLogText } from '../../helpers/mutated-log-lines.js';

const REF = 1_800_000_000;
const SAMPLES = [
  '<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
  'Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
  '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x->/var/log/auth.log; srcip: 192.168.1.50; user: root; log',
  'Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> 10.0.0.2:6',
  '<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234',
  '<132>Jul 10 10:11:23 wazuh-manager wazuh: {"rule":{"level":5,"description":"d","id":"1"},"data":{"srcip":"1.2.3.4"}}',
];

function checkEvent(text: string): void {
  const p = parseLog(text, REF);
  const e = toLogEvent(text, p, { id: 'x', sensor: 's', receivedSec: REF, receivedNsec: 0, transport: 'udp', senderIp: '127.0.0.1', senderPort: 1, captureFlow: null });
  // every result is a valid event of the Bridge: the journal and the API will accept it
  const ok = LogEventSchema.safeParse(e);
  assert.ok(ok.success, ok.success ? '' : `${JSON.stringify(text).slice(0, 200)}: ${ok.error.message}`);
  assert.equal(e.raw, text);
  if (p.format === 'raw') assert.ok(text.startsWith(p.message) || text.includes(p.message));
}

/** Mutations of a sample: insert, delete, replace and duplicate slices, with syntax characters favoured. */
const mutated = mutatedLogText(SAMPLES, /^[|=\\[\]"{}<>: \n\r0-9a-zA-Z%-]{0,6}$/, 8);

describe('parser fuzzing', () => {
  it('random strings: no throw, always a valid event holding the line', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), checkEvent), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkEvent), { numRuns: 1000 });
  });
  it('mutated real samples: no throw, always a valid event', () => {
    fc.assert(fc.property(mutated, checkEvent), { numRuns: 5000 });
  });
  it('random bytes as received (invalid UTF-8 included) decode and parse', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => checkEvent(decodeLogBytes(b))), { numRuns: 2000 });
  });
  it('direct parsers never throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutated), (s) => {
        parseCef(`CEF:${s}`);
        parseRfc5424(`1 ${s}`);
        parseOssec(s);
      }),
      { numRuns: 3000 },
    );
  });
  it('huge and pathological lines finish (bounded work per line)', () => {
    const big = 1_000_000;
    const lines = [
      `<13>Oct 11 22:14:15 h a: ${'x'.repeat(big)}`,
      `CEF:0|a|b|c|d|e|5|${'k=v '.repeat(big / 4)}`,
      `CEF:0|a|b|c|d|e|5|${'='.repeat(big)}`,
      `CEF:0|a|b|c|d|e|5|${'\\'.repeat(big)}`,
      `CEF:0|${'\\|'.repeat(big / 2)}`,
      `<13>1 2026-01-01T00:00:00Z h a - - ${'[a@1 k="v"]'.repeat(big / 12)}`,
      `<13>1 2026-01-01T00:00:00Z h a - - [a@1 k="${'\\"'.repeat(big / 2)}`,
      `Feb 29 17:12:09 S-0.tcovel: {1,0} ${'{x} '.repeat(big / 4)}{TCP} -> `,
      `<13>Oct 11 22:14:15 h a: ${'1.2.3.4/5 '.repeat(big / 10)}`,
      `<13>Oct 11 22:14:15 h a: ${'a=b '.repeat(big / 4)}`,
      '{'.repeat(big),
    ];
    for (const l of lines) checkEvent(l);
  });
});

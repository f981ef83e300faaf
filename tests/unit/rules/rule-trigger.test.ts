/**
 * RuleTrigger as conditional capture's alert source: returns true exactly on the packet that
 * completes a match — a packet rule on its own packet, an HTTP rule on the packet that completes
 * the request split over two segments — and keeps flows apart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClassification } from '../../../common/rules/classification.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { RuleTrigger } from '../../../common/rules/rule-trigger.js';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../../node/rules/rule-files.js';
import { ethernet, ipv4, tcp, V4_DST, V4_SRC } from '../../helpers/packet-builders.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const SYN = 0x02;
const ACK = 0x10;

function pkt(fromClient: boolean, flags: number, seq: number, ack: number, payload = '') {
  const t = tcp({ sport: fromClient ? 40000 : 80, dport: fromClient ? 80 : 40000, seq, ack, flags, payload: [...Buffer.from(payload)] });
  const data = ethernet(0x0800, ipv4({ proto: 6, src: fromClient ? V4_SRC : V4_DST, dst: fromClient ? V4_DST : V4_SRC, payload: t }));
  const decoded = createDecodedPacket();
  decodePacket(1, data, decoded);
  return { linkType: 1, tsSec: 1, tsNsec: 0, data, decoded };
}

test('alerts on the packet completing an HTTP request and on a packet rule match', () => {
  const { rules } = loadRules(
    [
      'alert http any any -> any any (msg:"admin uri"; flow:to_server; http.uri; content:"/admin"; sid:1;)',
      'alert tcp any 80 -> any any (msg:"server says secret"; content:"secret"; sid:2;)',
    ].join('\n'),
    { classes },
  );
  const seen: number[] = [];
  const trig = new RuleTrigger(new RuleSet(rules), { onAlert: (_k, h) => seen.push(h.rule.sid) });
  const req = 'GET /admin HTTP/1.1\r\nHost: x\r\n\r\n';
  const out = [
    trig.inspect('k1', pkt(true, SYN, 100, 0)),
    trig.inspect('k1', pkt(false, SYN | ACK, 500, 101)),
    trig.inspect('k1', pkt(true, ACK, 101, 501)),
    trig.inspect('k1', pkt(true, ACK, 101, 501, req.slice(0, 10))),
    trig.inspect('k2', pkt(true, ACK, 7, 7, 'unrelated flow')),
    trig.inspect('k1', pkt(true, ACK, 111, 501, req.slice(10))),
    trig.inspect('k1', pkt(false, ACK, 501, 101 + req.length, 'HTTP/1.1 200 OK\r\n\r\nsecret')),
  ];
  assert.deepEqual(out, [false, false, false, false, false, true, true]);
  assert.deepEqual(seen, [1, 2]);
});

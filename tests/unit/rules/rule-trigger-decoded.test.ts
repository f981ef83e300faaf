/**
 * The live RuleTrigger (conditional capture's alert source) sees HTTP bodies the way offline
 * detect does: chunked framing undone, and, given node's body decoder, gzip undone, so a file.data
 * rule fires on a gzip + chunked response on the packet that completes it; without the decoder
 * the coded bytes do not match (the decoding is what makes it fire).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseClassification } from '../../../common/rules/classification.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { RuleTrigger } from '../../../common/rules/rule-trigger.js';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../../node/rules/rule-files.js';
import { nodeBodyDecoder } from '../../../node/rules/body-decoder.js';
import { ethernet, ipv4, tcp, V4_DST, V4_SRC } from '../../helpers/packet-builders.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const SYN = 0x02;
const ACK = 0x10;

function pkt(fromClient: boolean, flags: number, seq: number, ack: number, payload: Uint8Array = new Uint8Array(0)) {
  const t = tcp({ sport: fromClient ? 40000 : 80, dport: fromClient ? 80 : 40000, seq, ack, flags, payload: [...payload] });
  const data = ethernet(0x0800, ipv4({ proto: 6, src: fromClient ? V4_SRC : V4_DST, dst: fromClient ? V4_DST : V4_SRC, payload: t }));
  const decoded = createDecodedPacket();
  decodePacket(1, data, decoded);
  return { linkType: 1, tsSec: 1, tsNsec: 0, data, decoded };
}

/** A gzip-coded body sent chunked, split over three server segments (the last one ends it). */
function exchange(): { fromClient: boolean; flags: number; seq: number; ack: number; payload: Uint8Array }[] {
  const req = Buffer.from('GET /report HTTP/1.1\r\nHost: x\r\n\r\n');
  const gz = gzipSync(Buffer.from(`<html>${'padding '.repeat(50)}exfil-marker-7731</html>`));
  const half = Math.floor(gz.length / 2);
  const chunk = (b: Buffer): Buffer => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
  const resp = Buffer.concat([
    Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n'),
    chunk(gz.subarray(0, half)),
    chunk(gz.subarray(half)),
    Buffer.from('0\r\n\r\n'),
  ]);
  const cuts = [0, Math.floor(resp.length / 3), Math.floor((2 * resp.length) / 3), resp.length];
  const out = [
    { fromClient: true, flags: SYN, seq: 100, ack: 0, payload: new Uint8Array(0) },
    { fromClient: false, flags: SYN | ACK, seq: 500, ack: 101, payload: new Uint8Array(0) },
    { fromClient: true, flags: ACK, seq: 101, ack: 501, payload: req },
  ];
  for (let i = 0; i < 3; i++) out.push({ fromClient: false, flags: ACK, seq: 501 + cuts[i], ack: 101 + req.length, payload: resp.subarray(cuts[i], cuts[i + 1]) });
  return out;
}

const RULE = 'alert http any any -> any any (msg:"marker in a decoded body"; flow:to_client; file.data; content:"exfil-marker-7731"; sid:77;)';

test('a gzip + chunked HTTP body alerts on the packet that completes it when the trigger has the body decoder', () => {
  const { rules } = loadRules(RULE, { classes });
  const seen: number[] = [];
  const trig = new RuleTrigger(new RuleSet(rules), { decodeBody: nodeBodyDecoder, onAlert: (_k, h) => seen.push(h.rule.sid) });
  const out = exchange().map((p) => trig.inspect('gz', pkt(p.fromClient, p.flags, p.seq, p.ack, p.payload)));
  assert.deepEqual(out, [false, false, false, false, false, true]);
  assert.deepEqual(seen, [77]);
});

test('without the body decoder the same gzip body does not match (the coded bytes are what it sees)', () => {
  const { rules } = loadRules(RULE, { classes });
  const trig = new RuleTrigger(new RuleSet(rules));
  const out = exchange().map((p) => trig.inspect('gz', pkt(p.fromClient, p.flags, p.seq, p.ack, p.payload)));
  assert.deepEqual(out, [false, false, false, false, false, false]);
});

/**
 * JA4 against published fingerprints (hello fields taken from their JA3 strings and ja4_r
 * forms, the expected JA4 computed by other implementations), and JA3/JA3S of discovery against
 * tshark's tls.handshake.ja3_full / ja3s_full on the corpus TLS captures. This tshark (4.0) has
 * no JA4 field, so JA4 has no corpus oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveryEvent } from '../../../common/bridge/messages.js';
import { ja4 } from '../../../common/discovery/tls-fingerprints.js';
import type { ClientHello } from '../../../common/discovery/tls-handshake.js';
import { detectStore } from '../../../node/rules/detect-store.js';
import { Store } from '../../../node/store/store.js';
import { capturePath, corpusSkipReason } from '../../helpers/corpus.js';

const sha256 = (t: string): string => createHash('sha256').update(t).digest('hex');

/** A ClientHello from a JA3 string (wire order, GREASE already removed) plus what JA3 lacks. */
function hello(ja3: string, alpn: string[], sigAlgs: string, sni: boolean, tls13: boolean): ClientHello {
  const [v, c, e, g, p] = ja3.split(',');
  const nums = (s: string): number[] => (s ? s.split('-').map(Number) : []);
  const extensions = nums(e);
  return {
    version: Number(v),
    sni: sni ? 'example.com' : null,
    alpn,
    ciphers: nums(c),
    extensions,
    groups: nums(g),
    pointFormats: nums(p),
    supportedVersions: tls13 ? [0x0a0a, 0x0304, 0x0303] : [],
    sigAlgs: sigAlgs.split(',').map((x) => parseInt(x, 16)),
    raw: new Uint8Array(0),
  };
}

test('JA4 of a Chrome hello with ALPN h2 equals its published fingerprint', () => {
  const h = hello('771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0', ['h2', 'http/1.1'], '0403,0804,0401,0503,0805,0501,0806,0601', true, true);
  const r = ja4(h, sha256);
  assert.equal(r.ja4, 't13d1516h2_8daaf6152771_d8a2da3f94cd');
  assert.equal(r.raw, 't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
});

test('JA4 of a hello without ALPN equals its published fingerprint', () => {
  const h = hello('771,4865-4866-4867-49199-49195-49200-49196-49191-52393-52392-49161-49171-49162-49172-156-157-47-53,0-23-65281-10-11-35-13-51-45-43,29-23-24,0', [], '0403,0804,0401,0503,0805,0501,0806,0601,0201', true, true);
  assert.equal(ja4(h, sha256).ja4, 't13d181000_5d04281c6031_78e6aca7449b');
});

test('JA4 edge rules: GREASE ignored, no SNI, legacy version, non-alphanumeric ALPN, empty lists', () => {
  const base = hello('771,2570-47,2570-13,,', ['\u0001x\u00ff'], '0401', false, false);
  const r = ja4(base, sha256);
  assert.match(r.ja4, /^t12i0101[0-9a-f]{2}_/, 'GREASE cipher and extension not counted; no SNI → i; 0x0303 → 12');
  assert.ok(r.ja4.startsWith('t12i01010f_'), 'ALPN with non-alphanumeric ends: first and last hex digits of 0178ff');
  const empty = ja4({ ...base, ciphers: [], extensions: [], sigAlgs: [], alpn: [] }, sha256);
  assert.equal(empty.ja4, 't12i000000_000000000000_000000000000');
});

function tshark(capture: string, type: 1 | 2): string[] {
  const out = execFileSync('tshark', ['-r', capturePath(capture), '-Y', `tls.handshake.type==${type}`, '-T', 'fields', '-e', type === 1 ? 'tls.handshake.ja3_full' : 'tls.handshake.ja3s_full'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter(Boolean);
}

const tsharkSkip = corpusSkipReason || ((): string | false => {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'tshark is not installed';
  }
})();

for (const capture of ['zeek__tls_ecdhe.pcap', 'zeek__tls_tls1.2.pcap']) {
  test(`JA3 and JA3S equal tshark's ja3_full / ja3s_full: ${capture}`, { skip: tsharkSkip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-disc-ja-'));
    const out: DiscoveryEvent[] = [];
    try {
      const s = await Store.open(dir, { create: true, log: () => undefined });
      try {
        await s.import([capturePath(capture)]);
        await detectStore(s, { rules: null, discovery: true, onEvent: (e) => e.kind === 'discovery' && out.push(e) });
      } finally {
        await s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const tls = out.filter((e) => e.discovery.what === 'tls');
    assert.deepEqual(tls.map((e) => e.discovery.fields.ja3_string).sort(), tshark(capture, 1).sort());
    assert.deepEqual(tls.map((e) => e.discovery.fields.ja3s_string).sort(), tshark(capture, 2).sort());
    for (const e of tls) {
      assert.equal(e.discovery.fields.ja3s, createHash('md5').update(String(e.discovery.fields.ja3s_string)).digest('hex'));
      assert.match(String(e.discovery.fields.ja4), /^t1[0-3][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    }
  });
}

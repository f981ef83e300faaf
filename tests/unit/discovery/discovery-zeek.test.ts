/**
 * Discovery against Zeek's own logs for the same corpus captures (zeek-baseline ssl.log and
 * dns.log): TLS version, cipher, curve, SNI and the certificate chain's SHA-256 fingerprints;
 * DNS queries with their answers and TTLs. Zeek's outputs are the oracle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiscoveryEvent } from '../../../common/bridge/messages.js';
import { detectStore } from '../../../node/rules/detect-store.js';
import { Store } from '../../../node/store/store.js';
import { capturePath, corpusDir, corpusSkipReason } from '../../helpers/corpus.js';

function zeekLog(capture: string, suffix: string): Record<string, string>[] {
  const dir = join(corpusDir, 'oracles', capture);
  const f = readdirSync(dir).find((n) => n.startsWith('zeek-baseline__') && n.endsWith(suffix));
  if (!f) return [];
  const lines = readFileSync(join(dir, f), 'utf8').split('\n');
  const fields = (lines.find((l) => l.startsWith('#fields')) ?? '').split('\t').slice(1);
  return lines.filter((l) => l && !l.startsWith('#')).map((l) => Object.fromEntries(l.split('\t').map((v, i) => [fields[i], v])));
}

async function discover(capture: string): Promise<DiscoveryEvent[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tl-disc-'));
  try {
    const s = await Store.open(dir, { create: true, log: () => undefined });
    const out: DiscoveryEvent[] = [];
    try {
      await s.import([capturePath(capture)]);
      await detectStore(s, { rules: null, discovery: true, onEvent: (e) => e.kind === 'discovery' && out.push(e) });
    } finally {
      await s.close();
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const list = (v: string): string[] => (v === '-' || v === '(empty)' ? [] : v.split(','));

for (const capture of ['zeek__tls_ecdhe.pcap', 'zeek__tls_tls1.2.pcap']) {
  test(`TLS discovery equals Zeek's ssl.log: ${capture}`, { skip: corpusSkipReason }, async () => {
    const zeek = zeekLog(capture, 'ssl.log');
    assert.ok(zeek.length > 0);
    const tls = (await discover(capture)).filter((e) => e.discovery.what === 'tls');
    for (const z of zeek) {
      const m = tls.find((e) => e.discovery.host === z['id.resp_h'] && e.discovery.port === Number(z['id.resp_p']) && e.discovery.peer === z['id.orig_h']);
      assert.ok(m, `a tls record for ${z['id.resp_h']}:${z['id.resp_p']}`);
      const f = m.discovery.fields;
      assert.equal(f.version, z.version);
      assert.equal(f.cipher, z.cipher);
      assert.equal(f.curve ?? '-', z.curve);
      assert.equal(f.sni ?? '-', z.server_name);
      assert.deepEqual(f.cert_chain_sha256 ?? [], list(z.cert_chain_fps));
      assert.match(String(f.subject), /CN=/);
      assert.match(String(f.ja3), /^[0-9a-f]{32}$/);
    }
  });
}

for (const capture of ['zeek__dns53.pcap', 'zeek__ipv6-fragmented-dns.pcap', 'zeek__wikipedia.pcap']) {
  test(`DNS discovery equals Zeek's dns.log answers: ${capture}`, { skip: corpusSkipReason }, async () => {
    const zeek = zeekLog(capture, 'dns.log').filter((z) => z.answers !== '-');
    assert.ok(zeek.length > 0);
    const dns = (await discover(capture)).filter((e) => e.discovery.what === 'dns');
    for (const z of zeek) {
      // events bound each list item to 1,024 characters (cut with "…"): Zeek's long TXT answers too
      const answers = list(z.answers).map((a) => (a.length > 1024 ? `${a.slice(0, 1023)}…` : a));
      const ttls = list(z.TTLs).map(Number);
      const m = dns.find((e) => e.discovery.fields.query === z.query && JSON.stringify(e.discovery.fields.answers) === JSON.stringify(answers));
      assert.ok(m, `answers ${z.answers.slice(0, 80)} for ${z.query} (have ${JSON.stringify(dns.map((d) => [d.discovery.fields.query, d.discovery.fields.answers])).slice(0, 400)})`);
      assert.deepEqual((m.discovery.fields.ttls as string[]).map(Number), ttls);
    }
  });
}

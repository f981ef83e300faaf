/**
 * SMTP/IMF carving against tshark's `--export-objects imf` on the shared corpus: every capture whose
 * objects.json lists imf objects (or whose name says SMTP) is imported, every TCP flow carved, and
 *   objects.imf       → our message files (kind message: whole .eml, or an attached message/rfc822),
 *   imf_mime_parts    → our mime-part files (decoded leaves),
 * by sha256. Where tshark's export is wrong the test rebuilds tshark's bytes from ours to prove it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { decodeLeaf, walkMime } from '../../common/carve/mime/mime-walker.js';
import { corpusCaptures, corpusDir, corpusSkipReason, readOracle } from '../helpers/corpus.js';
import { corpusCarver } from '../helpers/corpus-carver.js';

interface OracleObject {
  name: string;
  size: number;
  sha256: string;
  md5: string;
}
interface MimePart {
  message: string;
  part_index: number;
  content_type: string;
  filename: string | null;
  size: number;
  sha256: string;
  md5: string;
}
interface Objects {
  objects: { imf: OracleObject[] };
  imf_mime_parts: MimePart[];
}

const captures = corpusCaptures().filter((c) => {
  const o = readOracle<Objects>(c, 'objects.json');
  return (!!o && o.objects.imf.length > 0) || /smtp/i.test(c);
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** SMTP dot-stuffing put back (a "." doubled at each line start): tshark exports DATA without undoing it. */
const stuff = (b: Buffer): Buffer => Buffer.from(b.toString('latin1').replace(/(^|\n)\./g, '$1..'), 'latin1');

/**
 * tshark 4.0 mis-reassembles this SMTP DATA phase: the client retransmitted its first five
 * segments with a smaller MSS (1460 → 1452 bytes), and tshark's export is our message's bytes
 * [0,5840) followed by 508-byte pieces of the retransmissions and then [7260,14544): bytes
 * repeated, 1420 bytes lost, the final empty line dropped. tshark also does not undo SMTP
 * dot-stuffing (RFC 5321 4.5.2: the receiver removes a line's leading "."; Zeek does: its
 * files.log sizes are ours + the CRLF before the boundary). Rebuilding tshark's object from our
 * message (stuffed again, then those ranges) gives tshark's sha256 exactly: our message is the
 * stream, tshark's the mis-assembly.
 */
const TSHARK_SMTP_EML_RANGES: [number, number][] = [[0, 5840], [0, 508], [1460, 1968], [2920, 3428], [4380, 4888], [7260, 14544]];
const MISASSEMBLED: Record<string, string> = {
  'zeek__smtp.pcap': 'SMTP.eml',
  'suricata-verify__bug-3616-smtp_input.pcap': 'SMTP.eml',
};
/**
 * tshark drops a message's last line when it is empty ("...\r\n\r\n.\r\n"): its IMF export ends one
 * CRLF early (it matches "\r\n.\r\n" on the empty line itself). RFC 5321 4.1.1.4: the CRLF before
 * "." ends the last line, so the empty line is part of the message.
 */
const LAST_EMPTY_LINE_DROPPED: Record<string, string> = { 'zeek__smtp.pcap': 'Re%3a Bro SMTP CC Header.eml' };

const carver = corpusCarver(captures, 'tapline-carve-mail-', (r) => r.proto === 6);
const carved = (capture: string): Promise<CarvedFileRecord[]> => carver.carved(capture);
const content = (sha256: string): Buffer => carver.content(sha256);

test('SMTP/IMF carving matches tshark export-objects imf on the corpus', { skip: corpusSkipReason }, async (t) => {
  t.after(() => carver.close());
  assert.ok(captures.length >= 5, `found ${captures.length} SMTP captures in ${corpusDir}`);

  for (const capture of captures) {
    await t.test(capture, async () => {
      const o = readOracle<Objects>(capture, 'objects.json') as Objects;
      const files = await carved(capture);
      const messages = new Set(files.filter((f) => f.kind === 'message').map((f) => f.sha256));
      const parts = new Set(files.filter((f) => f.kind === 'mime-part').map((f) => f.sha256));
      const skip = new Set([MISASSEMBLED[capture], LAST_EMPTY_LINE_DROPPED[capture]]);
      for (const obj of o.objects.imf) {
        if (skip.has(obj.name)) continue;
        assert.ok(messages.has(obj.sha256), `imf object ${obj.name} (${obj.size} bytes) not carved`);
      }
      for (const p of o.imf_mime_parts) {
        if (skip.has(p.message)) continue;
        assert.ok(parts.has(p.sha256), `MIME part ${p.part_index} of ${p.message} (${p.content_type}, ${p.size} bytes) not carved`);
      }
      for (const f of files) {
        assert.equal(f.protocol, 'smtp');
        assert.ok(f.email, `${f.id} has email fields`);
        assert.equal(content(f.sha256).length, f.size);
      }
    });
  }

  for (const [capture, name] of Object.entries(MISASSEMBLED)) {
    await t.test(`${capture}: tshark's ${name} is a mis-assembly of our message (retransmissions with a new MSS)`, async () => {
      const o = readOracle<Objects>(capture, 'objects.json') as Objects;
      const want = o.objects.imf.find((x) => x.name === name) as OracleObject;
      const msg = (await carved(capture)).find((f) => f.kind === 'message' && f.email?.subject === 'SMTP');
      assert.ok(msg, 'the message is carved');
      const ours = stuff(content(msg.sha256));
      const theirs = Buffer.concat(TSHARK_SMTP_EML_RANGES.map(([a, b]) => ours.subarray(a, b)));
      assert.equal(sha(theirs), want.sha256);
      // tshark's MIME parts come from its broken message: the same walker over the rebuilt bytes gives them
      const tree = walkMime(theirs);
      for (const p of o.imf_mime_parts.filter((x) => x.message === name)) {
        assert.equal(sha(decodeLeaf(theirs, tree.nodes[p.part_index]).bytes), p.sha256, `part ${p.part_index}`);
      }
      // ours: one NEWS.txt attachment where tshark's broken message shows two
      const news = (await carved(capture)).filter((f) => f.kind === 'mime-part' && f.name === 'NEWS.txt');
      assert.equal(news.length, 1);
      assert.equal(msg.email?.envelopeFrom, 'gurpartap@patriots.in');
      // Zeek unstuffs too: its files.log seen_bytes agree with our parts (its quoted-printable decoder adds a final CRLF)
      const zeek = readFileSync(join(corpusDir, 'oracles', 'zeek__smtp.pcap', 'zeek-baseline__scripts.base.protocols.smtp.attachment__files.log'), 'utf8');
      const seen = zeek.split('\n').filter((l) => l.includes('\t1470\t')).map((l) => Number(l.split('\t')[15]));
      const ourParts = (await carved(capture)).filter((f) => f.kind === 'mime-part' && f.parentId === msg.id).map((f) => f.size + (f.encoding.codings[0] === 'quoted-printable' ? 2 : 0));
      assert.deepEqual(ourParts, seen);
    });
  }

  await t.test(`zeek__smtp.pcap: ${LAST_EMPTY_LINE_DROPPED['zeek__smtp.pcap']} — tshark drops the empty last line`, async () => {
    const o = readOracle<Objects>('zeek__smtp.pcap', 'objects.json') as Objects;
    const want = o.objects.imf.find((x) => x.name === LAST_EMPTY_LINE_DROPPED['zeek__smtp.pcap']) as OracleObject;
    const msg = (await carved('zeek__smtp.pcap')).find((f) => f.kind === 'message' && f.size === want.size + 2);
    assert.ok(msg);
    const ours = content(msg.sha256);
    assert.equal(ours.subarray(-4).toString('latin1'), '\r\n\r\n', 'our message ends with an empty line');
    assert.equal(sha(ours.subarray(0, -2)), want.sha256);
    const part = o.imf_mime_parts.find((p) => p.message === want.name) as MimePart;
    // its body part: ours has the empty line too
    const body = (await carved('zeek__smtp.pcap')).find((f) => f.kind === 'mime-part' && f.parentId === msg.id);
    assert.ok(body);
    assert.equal(body.size, part.size + 2);
    assert.equal(sha(content(body.sha256).subarray(0, -2)), part.sha256);
  });

  await t.test('suricata-verify smtp-attachment-md5: the attachment has the md5 Suricata must find', async () => {
    const target = readFileSync(join(corpusDir, 'oracles', 'suricata-verify__smtp-attachment-md5_input.pcap', 'suricata-verify__target.md5'), 'utf8').trim().split(/\s+/)[0];
    const files = await carved('suricata-verify__smtp-attachment-md5_input.pcap');
    const att = files.find((f) => f.md5 === target);
    assert.ok(att, `a file with md5 ${target}`);
    assert.equal(att.kind, 'mime-part');
  });

  await t.test('BDAT (RFC 3030): tshark exports nothing; our message has the BDAT byte count and the fields of Zeek\'s smtp.log', async () => {
    const capture = 'zeek__smtp_rfc3030-bdat-multipart.pcap';
    assert.equal((readOracle<Objects>(capture, 'objects.json') as Objects).objects.imf.length, 0);
    const log = readFileSync(join(corpusDir, 'oracles', capture, 'zeek-baseline__scripts.base.protocols.smtp.bdat-multipart__smtp.log'), 'utf8');
    const names = (log.split('\n').find((l) => l.startsWith('#fields')) ?? '').split('\t').slice(1);
    const row = log.split('\n').find((l) => !l.startsWith('#') && l.trim() !== '')?.split('\t') ?? [];
    const z = (n: string): string => row[names.indexOf(n)];
    const files = await carved(capture);
    const msg = files.find((f) => f.kind === 'message');
    assert.ok(msg?.email);
    assert.equal(msg.size, 3460, 'the client sent "BDAT 3460 LAST"');
    assert.deepEqual(
      [msg.email.envelopeFrom, msg.email.envelopeTo, msg.email.date, msg.email.from, msg.email.to, msg.email.messageId, msg.email.subject],
      [z('mailfrom'), [z('rcptto')], z('date'), z('from'), [z('to')], z('msg_id'), z('subject')],
    );
    const png = files.find((f) => f.name === 'zeek-logo.png');
    assert.deepEqual([png?.mime, png?.kind, png?.parentId], ['image/png', 'mime-part', msg.id]);
  });

  await t.test('email fields: from, to, subject and the envelope', async () => {
    const files = await carved('chrissanders__mail_sender_attachment.pcapng');
    const msg = files.find((f) => f.kind === 'message');
    assert.ok(msg?.email);
    assert.deepEqual([msg.email.from, msg.email.to, msg.email.subject, msg.name], ['Chris Sanders <sanders@skynet.local>', ['ppa@skynet.local'], 'New Coworker', 'New Coworker.eml']);
    const jpg = files.find((f) => f.name === 'newguy.jpg');
    assert.ok(jpg);
    assert.deepEqual([jpg.mime, jpg.parentId, jpg.email?.subject, jpg.direction], ['image/jpeg', msg.id, 'New Coworker', 'upload']);
  });
});

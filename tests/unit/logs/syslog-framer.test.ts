import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SyslogFramer, type Frame } from '../../../common/logs/syslog-framer.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function frames(chunks: Uint8Array[], max?: number): Frame[] {
  const out: Frame[] = [];
  const f = new SyslogFramer((x) => out.push(x), max);
  for (const c of chunks) f.push(c);
  f.end();
  return out;
}

describe('RFC 6587 framing', () => {
  it('reads octet-counted and LF-terminated frames mixed on one connection (as in Zeek\'s tcp-framing capture)', () => {
    const stream = "51 <13>Oct 11 22:14:15 mymachine su: 'su root' failed <14>Oct 11 22:14:16 mymachine su: 'su root' failed\n50 <15>Oct 11 22:14:17 mymachine su: 'su bob' failed <16>Oct 11 22:14:18 mymachine su: 'su bob' failed\n";
    const got = frames([enc.encode(stream)]).map((f) => [dec.decode(f.bytes), f.octetCounted]);
    assert.deepEqual(got, [
      ["<13>Oct 11 22:14:15 mymachine su: 'su root' failed ", true],
      ["<14>Oct 11 22:14:16 mymachine su: 'su root' failed", false],
      ["<15>Oct 11 22:14:17 mymachine su: 'su bob' failed ", true],
      ["<16>Oct 11 22:14:18 mymachine su: 'su bob' failed", false],
    ]);
  });
  it('gives the same frames whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 40 }).map((s) => `<13>${s.replace(/\n/g, ' ')}`)), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 50 }), (msgs, cuts) => {
        const parts = msgs.map(([counted, m]) => (counted ? `${enc.encode(m).length} ${m}` : `${m}\n`));
        const all = enc.encode(parts.join(''));
        const chunks: Uint8Array[] = [];
        let pos = 0;
        for (let i = 0; pos < all.length; i++) {
          const n = cuts[i % cuts.length];
          chunks.push(all.slice(pos, pos + n));
          pos += n;
        }
        assert.deepEqual(frames(chunks).map((f) => dec.decode(f.bytes)), msgs.map(([, m]) => m));
      }),
      { numRuns: 200 },
    );
  });
  it('strips CR before LF, skips empty lines, keeps digits that are not a count', () => {
    const got = frames([enc.encode('\r\n\n123abc\r\n42\n7 <1>abc')]).map((f) => dec.decode(f.bytes));
    assert.deepEqual(got, ['123abc', '42', '<1>abc']);
  });
  it('cuts over-long frames at the limit, marks them, and resynchronises on the next frame', () => {
    const long = 'x'.repeat(100);
    const got = frames([enc.encode(`${long}\n105 ${long}yyyyy<13>ok\n`)], 10);
    assert.deepEqual(got.map((f) => [dec.decode(f.bytes), f.truncated]), [
      ['x'.repeat(10), true],
      ['x'.repeat(10), true],
      ['<13>ok', false],
    ]);
  });
  it('keeps memory bounded on an endless line or an enormous count (100 MB pushed)', () => {
    const out: Frame[] = [];
    const f = new SyslogFramer((x) => out.push(x), 4096);
    const chunk = new Uint8Array(1 << 20).fill(0x41);
    for (let i = 0; i < 50; i++) f.push(chunk);
    f.push(enc.encode('\n999999999 '));
    for (let i = 0; i < 50; i++) f.push(chunk);
    const internal = f as unknown as { buf: Uint8Array };
    assert.ok(internal.buf.length <= 4096);
    assert.equal(out.length, 2);
    assert.ok(out.every((x) => x.truncated && x.bytes.length === 4096));
  });
  it('delivers a last line without LF at the end of the connection', () => {
    assert.deepEqual(frames([enc.encode('<13>a\n<13>b')]).map((f) => dec.decode(f.bytes)), ['<13>a', '<13>b']);
  });
});

/**
 * The follow renderings, line by line, against what tshark's ui/cli/tap-follow.c prints for the
 * same records (the corpus comparison is tests/integration/follow-tshark.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FollowWriter, endpointText, gapMarkerText, type FollowFormat } from '../../../common/reassembly/follow-format.js';

const enc = (s: string): Uint8Array => new Uint8Array([...s].map((c) => c.charCodeAt(0)));

function render(format: FollowFormat, chunks: [0 | 1, number, Uint8Array, number][]): string {
  const w = new FollowWriter(format);
  w.header({ protocol: 'tcp', format, filter: 'flow.id eq abc-1', node0: '10.0.0.1:1234', node1: '[2001:db8::1]:80' });
  for (const [dir, off, data, gap] of chunks) w.chunk(dir, off, data, gap);
  w.footer();
  return Buffer.from(w.take()).toString('latin1');
}

const SEP = '='.repeat(67);
const HEAD = (format: string): string => `\n${SEP}\nFollow: tcp,${format}\nFilter: flow.id eq abc-1\nNode 0: 10.0.0.1:1234\nNode 1: [2001:db8::1]:80\n`;

describe('follow formats', () => {
  test('raw: one hex line per chunk, server lines indented with a tab', () => {
    const out = render('raw', [
      [0, 0, enc('GET'), 0],
      [1, 0, new Uint8Array([0, 0xff, 0x10]), 0],
      [0, 3, enc('!'), 0],
    ]);
    assert.equal(out, `${HEAD('raw')}474554\n\t00ff10\n21\n${SEP}\n`);
  });

  test('ascii: a length line, then the bytes with non-printables as dots, CR and LF kept', () => {
    const out = render('ascii', [
      [0, 0, enc('hi\r\n\t\x00~\x7f'), 0],
      [1, 0, enc('ok'), 0],
    ]);
    assert.equal(out, `${HEAD('ascii')}8\nhi\r\n..~.\n\t2\nok\n${SEP}\n`);
  });

  test('hex: 16-byte lines with the extra column after 8, offsets per direction', () => {
    const bytes = enc('0123456789abcdefXYZ');
    const out = render('hex', [
      [0, 0, bytes, 0],
      [1, 0x1f0, enc('12345678'), 0],
    ]);
    const l1 = '00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  01234567 89abcdef';
    const l2 = `00000010  58 59 5a${' '.repeat(42)}XYZ`;
    // exactly 8 bytes: tshark drops the separator space that would end the ASCII column
    const l3 = `\t000001F0  31 32 33 34 35 36 37 38${' '.repeat(27)}12345678`;
    assert.equal(out, `${HEAD('hex')}${l1}\n${l2}\n${l3}\n${SEP}\n`);
  });

  test("hex: a real space ending the ASCII column is dropped too (tshark's quirk)", () => {
    const out = render('hex', [[0, 0, enc('ab '), 0]]);
    assert.ok(out.includes(`00000000  61 62 20${' '.repeat(42)}ab\n`));
  });

  test('gaps: the tshark marker with its NUL in raw and ascii; a text line in hex', () => {
    const marker = gapMarkerText(1418);
    assert.equal(marker, '[1418 bytes missing in capture file]');
    const hexMarker = Buffer.from(`${marker}\0`, 'latin1').toString('hex');
    assert.equal(render('raw', [[1, 1500, enc('A'), 1418]]), `${HEAD('raw')}\t${hexMarker}\n\t41\n${SEP}\n`);
    assert.equal(render('ascii', [[0, 1500, enc('A'), 1418]]), `${HEAD('ascii')}${marker.length + 1}\n${marker}.\n1\nA\n${SEP}\n`);
    assert.equal(render('hex', [[1, 0x5dc, enc('A'), 1418]]), `${HEAD('hex')}\t${marker}\n\t000005DC  41${' '.repeat(48)}A\n${SEP}\n`);
  });

  test('endpoints: IPv6 in brackets', () => {
    assert.equal(endpointText('192.0.2.1', 80), '192.0.2.1:80');
    assert.equal(endpointText('2001:db8::1', 443), '[2001:db8::1]:443');
  });

  test('large chunks grow the buffer; take() starts over', () => {
    const w = new FollowWriter('raw');
    const big = new Uint8Array(200_000).fill(0xab);
    w.chunk(0, 0, big, 0);
    const out = w.take();
    assert.equal(out.length, 400_001);
    assert.equal(w.length, 0);
  });
});

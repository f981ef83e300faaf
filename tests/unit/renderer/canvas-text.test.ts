/**
 * The canvas grids' text fitting: a cell shows its text, or the longest prefix that fits with
 * "…" after it, like CSS text-overflow: ellipsis; monospace fonts are measured once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextFitter, type TextMeasurer } from '../../../renderer/src/ui/canvas-text.js';

/** A measurer whose fonts are "mono" (7 px a character) or "prop" (i = 3 px, W = 11 px, others 6 px); counts calls. */
function fakeMeasurer(): TextMeasurer & { calls: number } {
  const m = {
    font: '',
    calls: 0,
    measureText(text: string) {
      m.calls++;
      if (m.font.includes('mono')) return { width: [...text].length * 7 };
      let w = 0;
      for (const ch of text) w += ch === 'i' ? 3 : ch === 'W' ? 11 : ch === '…' ? 8 : 6;
      return { width: w };
    },
  };
  return m;
}

test('text that fits is shown whole; text that does not ends in an ellipsis within the width', () => {
  const f = new TextFitter(fakeMeasurer());
  assert.equal(f.fit('192.0.2.10', '12px mono', 70), '192.0.2.10');
  // 7 px a character, the ellipsis 7 px: 50 px hold 6 characters + "…"
  assert.equal(f.fit('192.0.2.10', '12px mono', 50), '192.0.…');
  assert.equal(f.fit('192.0.2.10', '12px mono', 5), '');
  assert.equal(f.fit('', '12px mono', 50), '');
});

test('proportional fonts: the longest prefix that fits before the ellipsis', () => {
  const f = new TextFitter(fakeMeasurer());
  // "WWiii" = 11+11+3+3+3 = 31; at 30 px: room 22 for the prefix → "WW" (22) fits, "WWi" (25) does not
  assert.equal(f.fit('WWiii', '13px prop', 30), 'WW…');
  assert.equal(f.fit('WWiii', '13px prop', 31), 'WWiii');
  for (let w = 0; w < 40; w++) {
    const shown = f.fit('WiWiWiW', '13px prop', w);
    assert.ok(f.width(shown, '13px prop') <= w, `"${shown}" fits ${w} px`);
  }
});

test('a monospace font is measured once, not per string', () => {
  const m = fakeMeasurer();
  const f = new TextFitter(m);
  f.fit('10.0.0.1', '12px mono', 100);
  const after = m.calls;
  for (let i = 0; i < 1000; i++) f.fit(`10.0.${i >> 8}.${i & 255}`, '12px mono', 60);
  assert.equal(m.calls, after, 'no measureText call per string');
});

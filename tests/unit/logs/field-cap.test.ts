import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { parseLog } from '../../../common/logs/parse-log.js';
import { MAX_FIELDS } from '../../../common/logs/parsed-log.js';

describe('at most MAX_FIELDS fields per message', () => {
  it('a CEF line with 400 extension keys keeps the header fields and the first keys, 256 in all', () => {
    const ext = Array.from({ length: 400 }, (_, i) => `k${i}=v${i}`).join(' ');
    const p = parseLog(`<132>Nov 22 10:00:00 ids CEF:0|Acme|IDS|1.0|100|many|5|${ext}`, Date.UTC(2026, 10, 22) / 1000);
    assert.equal(p.format, 'cef');
    const keys = Object.keys(p.fields);
    assert.equal(keys.length, MAX_FIELDS);
    assert.equal(p.fields['cef.vendor'], 'Acme');
    assert.equal(p.fields.k0, 'v0');
    assert.equal(p.fields[`k${MAX_FIELDS - 7}`], `v${MAX_FIELDS - 7}`);
    assert.equal(p.fields[`k${MAX_FIELDS - 6}`], undefined);
  });

  it('a repeated key keeps its latest value without taking another slot', () => {
    const p = parseLog('<13>Nov 22 10:00:00 fw app: SRC=10.0.0.1 DST=10.0.0.2 SRC=10.0.0.3', Date.UTC(2026, 10, 22) / 1000);
    assert.equal(p.fields.SRC, '10.0.0.3');
    assert.equal(Object.keys(p.fields).filter((k) => k === 'SRC').length, 1);
  });
});

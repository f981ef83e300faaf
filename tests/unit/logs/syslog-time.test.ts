import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatBsdTime, inferYear, matchBsdTime, matchIsoTime } from '../../../common/logs/syslog-time.js';

describe('syslog times (integer calendar arithmetic)', () => {
  it('ISO times equal Date.UTC for any valid date and time, 1900-2400', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2400, 11, 31, 23, 59, 59)), noInvalidDate: true }), (d) => {
        const iso = d.toISOString().slice(0, 19);
        const m = matchIsoTime(`${iso}Z rest`);
        assert.ok(m && m.time);
        assert.equal(m.time.sec, Math.floor(d.getTime() / 1000));
        assert.equal(m.time.zoned, true);
      }),
      { numRuns: 3000 },
    );
  });
  it('BSD times round-trip through formatBsdTime with the inferred year (reference just after)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (sec) => {
        const m = matchBsdTime(formatBsdTime(sec), sec + 10);
        assert.equal(m?.time?.sec, sec);
      }),
      { numRuns: 3000 },
    );
  });
  it('rejects dates that do not exist (Feb 30, Apr 31, Feb 29 of 2100)', () => {
    assert.equal(matchIsoTime('2026-02-30T00:00:00Z')?.time, null);
    assert.equal(matchIsoTime('2026-04-31T00:00:00Z')?.time, null);
    assert.equal(matchIsoTime('2100-02-29T00:00:00Z')?.time, null);
    assert.ok(matchIsoTime('2000-02-29T00:00:00Z')?.time);
    assert.equal(inferYear(1, 29, 0, 0, 0, Date.UTC(2101, 5, 1) / 1000), 2096);
  });
});

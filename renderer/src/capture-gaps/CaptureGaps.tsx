/**
 * The capture gaps of this store in the sensor window: when, for how long, and why live capture
 * recorded nothing (newest first). Packets lost during a gap are not known: the source was not
 * capturing, so nothing counted them; the table says so rather than showing a number.
 */
import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import { useServices, useSettings } from '../app/services-context.js';
import { splitTs } from '../flows/row-store.js';
import { formatCount } from '../format/numbers.js';
import { formatFullTime } from '../format/time.js';
import { createCaptureGapsStore, formatGapLength } from './capture-gaps-store.js';
import './capture-gaps.css';

function Time({ ts, zone }: { ts: string; zone: string }) {
  const [sec, nsec] = splitTs(ts);
  // milliseconds are enough to read a gap; the exact value is in the title
  const full = formatFullTime(sec, nsec, zone);
  return <span title={`epoch ${ts}`}>{full.replace(/(\.\d{3})\d{6}/, '$1')}</span>;
}

/** `refreshKey` changes when the sensor window refreshes (the gaps are fetched again). */
export function CaptureGaps({ refreshKey }: { refreshKey: number | null }) {
  const { bridge } = useServices();
  const store = useMemo(() => createCaptureGapsStore({ bridge, now: () => Date.now() }), [bridge]);
  const zone = useSettings((s) => s.timeZone);
  const { gaps, total, unreadableLines, loadedAt, error } = useStore(store);
  useEffect(() => {
    void store.getState().refresh();
  }, [store, refreshKey]);
  const lost = gaps.reduce((n, g) => n + g.seconds, 0);
  return (
    <div className="capture-gaps" data-field="capture-gaps">
      <h4>
        Capture gaps{' '}
        <span className="muted" data-field="gap-count">
          {loadedAt === null ? 'loading…' : total === 0 ? 'none recorded' : `${formatCount(total)} recorded${total > gaps.length ? `, newest ${gaps.length} shown` : ''} · ${formatGapLength(lost)} without capture`}
        </span>
      </h4>
      {error ? (
        <div className="dialog-failure" role="alert">
          <div>The capture gaps could not be loaded: {error.message}</div>
          <div className="muted">{error.hint ?? 'refresh the window to try again'}</div>
        </div>
      ) : null}
      {gaps.length ? (
        <div className="table-wrap capture-gaps-wrap">
          <table aria-label="Capture gaps">
            <thead>
              <tr>
                <th>From</th>
                <th>To</th>
                <th className="num">Length</th>
                <th>Reason</th>
                <th className="num" title="Packets lost during a gap are not counted: the source was not capturing">
                  Packets lost
                </th>
              </tr>
            </thead>
            <tbody>
              {gaps.map((g, i) => (
                <tr key={`${g.from}-${i}`} data-gap-from={g.from}>
                  <td className="mono">
                    <Time ts={g.from} zone={zone} />
                  </td>
                  <td className="mono">
                    <Time ts={g.to} zone={zone} />
                  </td>
                  <td className="num">{formatGapLength(g.seconds)}</td>
                  <td data-field="gap-reason">{g.reason}</td>
                  <td className="num muted">not known</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {unreadableLines ? <p className="muted">{formatCount(unreadableLines)} unreadable line(s) in the gap log were skipped (a crash mid-write).</p> : null}
    </div>
  );
}

/** The captures each sensor holds: size, packets, flows, index overhead, and what is wrong with any. */
import { useEffect } from 'react';
import type { CaptureSummary, StoreStats } from '../../../common/bridge/messages.js';
import { useApp, useSettings, useStats } from '../app/services-context.js';
import { formatBytes, formatCount, formatPercent } from '../format/numbers.js';
import { formatGridTime } from '../format/time.js';
import { IconRefresh, IconWarning } from '../ui/icons.js';
import { splitTs } from '../flows/row-store.js';

function TimeRange({ c, zone }: { c: CaptureSummary; zone: string }) {
  if (!c.first_ts || !c.last_ts) return <span className="muted">—</span>;
  const [a] = splitTs(c.first_ts);
  const [b] = splitTs(c.last_ts);
  return (
    <span className="mono">
      {formatGridTime(a, zone)} – {formatGridTime(b, zone)}
    </span>
  );
}

function Problems({ c }: { c: CaptureSummary }) {
  const items: string[] = [];
  if (!c.available) items.push('Capture file missing: flows are listed, but slices need the file back at this path.');
  if (c.damage) items.push(`Damaged: ${c.damage}. Flows cover the readable part.`);
  if (!items.length) return <span className="ok-text">OK</span>;
  return (
    <ul className="problems">
      {items.map((t) => (
        <li key={t} className="warn-text">
          <IconWarning />
          <span>{t}</span>
        </li>
      ))}
    </ul>
  );
}

function SensorCaptures({ s, zone }: { s: StoreStats; zone: string }) {
  const sensorName = useApp((st) => st.sensorName);
  const damaged = s.captures.filter((c) => c.damage || !c.available).length;
  return (
    <section className="card" aria-labelledby={`sensor-${s.sensor}`}>
      <div className="card-head">
        <h2 id={`sensor-${s.sensor}`}>{sensorName(s.sensor)}</h2>
        <div className="stat-row">
          <span>
            <strong>{formatCount(s.captures.length)}</strong> captures
          </span>
          <span>
            <strong>{formatBytes(s.total.size)}</strong>
          </span>
          <span>
            <strong>{formatCount(s.total.packets)}</strong> packets
          </span>
          <span>
            <strong>{formatCount(s.total.flows)}</strong> flows
          </span>
          <span>
            index <strong>{formatBytes(s.total.index_bytes)}</strong> ({formatPercent(s.total.index_bytes, s.total.size)})
          </span>
          {damaged ? <span className="warn-text">{damaged} need attention</span> : null}
        </div>
      </div>
      {s.captures.length === 0 ? (
        <p className="muted card-empty">No captures yet. Import some with the Import button or by dropping files on the window.</p>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col" className="num">Size</th>
                <th scope="col" className="num">Packets</th>
                <th scope="col" className="num">Flows</th>
                <th scope="col" className="num">Index</th>
                <th scope="col">Time range</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {s.captures.map((c) => (
                <tr key={c.id} className={c.damage || !c.available ? 'row-warn' : undefined}>
                  <td className="mono path" title={`${c.path}\ncapture id ${c.id}`}>
                    {c.path}
                  </td>
                  <td className="num mono">{formatBytes(c.size)}</td>
                  <td className="num mono">{formatCount(c.packets)}</td>
                  <td className="num mono">{formatCount(c.flows)}</td>
                  <td className="num mono" title={`${formatCount(c.index_bytes)} bytes`}>
                    {formatPercent(c.index_bytes, c.size)}
                  </td>
                  <td>
                    <TimeRange c={c} zone={zone} />
                  </td>
                  <td>
                    <Problems c={c} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function StoreView() {
  const stats = useStats((s) => s.stats);
  const loading = useStats((s) => s.loading);
  const error = useStats((s) => s.error);
  const refresh = useStats((s) => s.refresh);
  const zone = useSettings((s) => s.timeZone);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Store</h1>
        <p className="muted">Captures indexed in place. The index is derived data: it is rebuilt from the capture when needed.</p>
        <button type="button" className="btn btn-small" onClick={() => void refresh()} disabled={loading} aria-busy={loading}>
          <IconRefresh />
          <span>{loading ? 'Refreshing…' : 'Refresh'}</span>
        </button>
      </div>
      {error ? (
        <div className="inline-error" role="alert">
          <IconWarning />
          <div>
            <div className="inline-error-msg">{error.message}</div>
            {error.hint ? <div className="inline-error-hint">{error.hint}</div> : null}
          </div>
        </div>
      ) : null}
      {stats === null && !error ? <p className="muted">Loading…</p> : null}
      {stats?.map((s) => (
        <SensorCaptures key={s.sensor} s={s} zone={zone} />
      ))}
    </div>
  );
}

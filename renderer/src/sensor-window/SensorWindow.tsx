/**
 * The sensor connection window (from the toolbar's Sensors button): per sensor, this store and
 * every remote `serve` sensor, its connection status and uptime, what it captures, packets and
 * bytes per second, drops by where they happened, store size, and the last error with what to do.
 * Capture figures follow the live `capture` events; statuses and sizes refresh every few seconds
 * while the window is open.
 */
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { useServices } from '../app/services-context.js';
import { formatBytes, formatCount } from '../format/numbers.js';
import { IconClose, IconRefresh } from '../ui/icons.js';
import { CaptureGaps } from '../capture-gaps/CaptureGaps.js';
import { IDLE_CONTROL, REFRESH_MS, type SensorCapture } from './sensor-window-store.js';
import { formatUptime, summarizeAll, type SensorSummary } from './sensor-summary.js';
import './sensor-window.css';

function rate(n: number, unit: string): string {
  return `${n >= 100 ? formatCount(Math.round(n)) : n.toFixed(1)} ${unit}/s`;
}

const STATUS_TONE: Record<string, string> = { connected: 'ok', connecting: 'wait', offline: 'warn', error: 'bad' };

function nullableCount(n: number | null): string {
  return n === null ? '—' : formatCount(n);
}

/** Start a capture on this sensor (an interface and a BPF filter); remote sensors through the services with their token. */
function CaptureControls({ sensor }: { sensor: string }) {
  const store = useServices().sensorWindow;
  const control = useStore(store, (s) => s.control[sensor] ?? IDLE_CONTROL);
  const [iface, setIface] = useState('');
  const [filter, setFilter] = useState('');
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (shown && control.interfaces === null) void store.getState().loadInterfaces(sensor);
  }, [shown, control.interfaces, store, sensor]);
  const chosen = iface || control.interfaces?.find((i) => i.up !== false && !i.loopback)?.name || control.interfaces?.[0]?.name || '';
  if (!shown) {
    return (
      <div className="sensor-controls">
        <button type="button" className="btn btn-small" onClick={() => setShown(true)}>
          Capture on this sensor…
        </button>
      </div>
    );
  }
  return (
    <form
      className="sensor-controls"
      aria-label={`Start a capture on ${sensor}`}
      onSubmit={(e) => {
        e.preventDefault();
        void store.getState().startCapture(sensor, chosen, filter);
      }}
    >
      <label>
        Interface{' '}
        <select value={chosen} onChange={(e) => setIface(e.currentTarget.value)} data-field="iface">
          {!control.interfaces?.length ? <option value="">{control.interfaces ? 'none' : 'loading…'}</option> : null}
          {control.interfaces?.map((i) => (
            <option key={i.name} value={i.name}>
              {i.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        BPF filter <input className="mono" value={filter} placeholder="e.g. udp port 53" spellCheck={false} autoComplete="off" onChange={(e) => setFilter(e.currentTarget.value)} data-field="filter" />
      </label>
      <button type="submit" className="btn btn-small btn-primary" disabled={control.busy || !chosen}>
        {control.busy ? 'Working…' : 'Start capture'}
      </button>
    </form>
  );
}

function CaptureLine({ c, nowMs }: { c: SensorCapture; nowMs: number }) {
  const store = useServices().sensorWindow;
  const busy = useStore(store, (s) => s.control[c.sensor]?.busy ?? false);
  const drops = (c.kernel_drops ?? 0) + (c.if_drops ?? 0) + (c.handoff_drops ?? 0) + c.store_drops;
  return (
    <tr data-capture-id={c.id} data-state={c.state}>
      <td className="mono">{c.id}</td>
      <td>
        {c.source}
        {c.filter ? <div className="muted mono">{c.filter}</div> : null}
      </td>
      <td>
        <span className={`capture-state capture-state-${c.state}`}>{c.state}</span>
      </td>
      <td className="num">{c.state === 'running' ? formatUptime(nowMs / 1000 - Number(c.started_at)) : c.stopped_at ? formatUptime(Number(c.stopped_at) - Number(c.started_at)) : '—'}</td>
      <td className="num">{rate(c.packets_per_sec, 'pkt')}</td>
      <td className="num" data-stat="packets">
        {formatCount(c.packets)}
      </td>
      <td className="num">{formatBytes(c.bytes)}</td>
      <td className={`num${drops ? ' warn-text' : ''}`} title={`kernel ${c.kernel_drops ?? '—'}, interface ${c.if_drops ?? '—'}, hand-off ${c.handoff_drops ?? '—'}, store ${c.store_drops}`}>
        {formatCount(drops)}
      </td>
      <td className="num">{formatBytes(c.store_bytes)}</td>
      <td>
        {c.state === 'running' || c.state === 'starting' ? (
          <button type="button" className="btn btn-small" disabled={busy} onClick={() => void store.getState().stopCapture(c.sensor, c.id)}>
            Stop
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function SensorCard({ s, nowMs }: { s: SensorSummary; nowMs: number }) {
  const tone = STATUS_TONE[s.sensor.status] ?? 'wait';
  const failure = useStore(useServices().sensorWindow, (st) => st.control[s.sensor.id]?.failure ?? null);
  const refreshedAt = useStore(useServices().sensorWindow, (st) => st.refreshedAt);
  return (
    <section className="card sensor-card" data-sensor={s.sensor.id} data-status={s.sensor.status} aria-label={`Sensor ${s.sensor.name || s.sensor.id}`}>
      <div className="card-head">
        <h3>
          {s.sensor.name || s.sensor.id}
          {s.sensor.name && s.sensor.name !== s.sensor.id ? <span className="muted"> ({s.sensor.id})</span> : null}
        </h3>
        <span className={`conn conn-${tone}`} role="status">
          <span className="conn-dot" aria-hidden="true" />
          <span data-field="status">{s.sensor.status}</span>
        </span>
        <span className="muted">{s.local ? 'this store' : (s.sensor.url ?? '')}</span>
        <span className="muted">
          {s.sensor.status === 'connected' ? 'up' : 'for'} <span data-field="uptime">{formatUptime(s.statusAgeSec)}</span>
        </span>
      </div>
      <dl className="sensor-facts">
        <div>
          <dt>Capturing</dt>
          <dd data-field="source">{s.source ?? 'no capture running'}</dd>
        </div>
        <div>
          <dt>Packets/s</dt>
          <dd data-field="pps">{rate(s.packetsPerSec, 'pkt')}</dd>
        </div>
        <div>
          <dt>Bytes/s</dt>
          <dd data-field="bps">{formatBytes(s.bytesPerSec)}/s</dd>
        </div>
        <div>
          <dt>Captured</dt>
          <dd data-field="captured">
            {formatCount(s.packets)} packets · {formatBytes(s.bytes)}
          </dd>
        </div>
        <div>
          <dt>Drops</dt>
          <dd data-field="drops" className={s.drops.total ? 'warn-text' : undefined}>
            {formatCount(s.drops.total)}{' '}
            <span className="muted">
              (kernel {nullableCount(s.drops.kernel)} · interface {nullableCount(s.drops.iface)} · hand-off {nullableCount(s.drops.handoff)} · store {formatCount(s.drops.store)})
            </span>
          </dd>
        </div>
        <div>
          <dt>Store size</dt>
          <dd data-field="store">
            {s.storeBytes === null ? '—' : formatBytes(s.storeBytes)}
            {s.captureFiles !== null ? <span className="muted"> ({formatCount(s.captureFiles)} captures and indexes)</span> : null}
            {s.running.length ? <span className="muted"> · live segments {formatBytes(s.liveStoreBytes)}</span> : null}
          </dd>
        </div>
        <div>
          <dt>Capture uptime</dt>
          <dd data-field="capture-uptime">{formatUptime(s.captureUptimeSec)}</dd>
        </div>
      </dl>
      {s.stale ? <p className="warn-text sensor-note">No capture update for more than 10 s: the sensor or the link may be stuck.</p> : null}
      {s.lastError ? (
        <div className="dialog-failure sensor-error" role="alert" data-field="last-error">
          <div>{s.lastError.message}</div>
          {s.lastError.hint ? <div className="muted">{s.lastError.hint}</div> : null}
        </div>
      ) : null}
      {s.sensor.status === 'connected' ? <CaptureControls sensor={s.sensor.id} /> : null}
      {failure ? (
        <div className="dialog-failure sensor-error" role="alert" data-field="control-error">
          <div>{failure.message}</div>
          {failure.hint ? <div className="muted">{failure.hint}</div> : null}
        </div>
      ) : null}
      {s.captures.length ? (
        <div className="table-wrap">
          <table className="sensor-captures" aria-label={`Captures on ${s.sensor.id}`}>
            <thead>
              <tr>
                <th>Id</th>
                <th>Source</th>
                <th>State</th>
                <th className="num">Uptime</th>
                <th className="num">Rate</th>
                <th className="num">Packets</th>
                <th className="num">Bytes</th>
                <th className="num">Drops</th>
                <th className="num">Store</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {s.captures.map((c) => (
                <CaptureLine key={c.id} c={c} nowMs={nowMs} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {s.local ? <CaptureGaps refreshKey={refreshedAt} /> : null}
    </section>
  );
}

export function SensorWindow() {
  const services = useServices();
  const store = services.sensorWindow;
  const sensors = useStore(store, (s) => s.sensors);
  const captures = useStore(store, (s) => s.captures);
  const stats = useStore(store, (s) => s.stats);
  const sensorsError = useStore(store, (s) => s.sensorsError);
  const statsError = useStore(store, (s) => s.statsError);
  const refreshedAt = useStore(store, (s) => s.refreshedAt);
  const [nowMs, setNow] = useState(() => Date.now());
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    ref.current?.focus();
    const tick = window.setInterval(() => setNow(Date.now()), 1000);
    const poll = window.setInterval(() => void store.getState().refresh(), REFRESH_MS);
    return () => {
      window.clearInterval(tick);
      window.clearInterval(poll);
    };
  }, [store]);

  const close = () => {
    store.getState().setOpen(false);
    document.getElementById('sensors-button')?.focus();
  };
  const list = summarizeAll(sensors, Object.values(captures), stats, nowMs);

  return (
    <div
      ref={ref}
      className="sensor-window"
      role="dialog"
      aria-label="Sensors"
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          close();
        }
      }}
    >
      <div className="sensor-window-head">
        <h2>Sensors</h2>
        <span className="muted">{refreshedAt === null ? 'loading…' : `${list.length} sensor${list.length === 1 ? '' : 's'} · capture figures live`}</span>
        <span className="topbar-spacer" />
        <button type="button" className="icon-btn" aria-label="Refresh sensors" title="Refresh" onClick={() => void store.getState().refresh()}>
          <IconRefresh />
        </button>
        <button type="button" className="icon-btn" aria-label="Close sensors (Esc)" title="Close (Esc)" onClick={close}>
          <IconClose />
        </button>
      </div>
      <div className="sensor-window-body">
        {sensorsError ? (
          <div className="dialog-failure" role="alert">
            <div>The sensor list could not be loaded: {sensorsError.message}</div>
            {sensorsError.hint ? <div className="muted">{sensorsError.hint}</div> : null}
          </div>
        ) : null}
        {statsError ? (
          <div className="dialog-failure" role="alert">
            <div>Store sizes could not be loaded: {statsError.message}</div>
            {statsError.hint ? <div className="muted">{statsError.hint}</div> : null}
          </div>
        ) : null}
        {list.map((s) => (
          <SensorCard key={s.sensor.id} s={s} nowMs={nowMs} />
        ))}
        <p className="muted sensor-note">Remote sensors are added in Settings → Sensors; a capture started here on a remote sensor runs on that sensor (its capture worker, its store) and its figures arrive over its live link. SSH sources are started from Store → Live capture.</p>
      </div>
    </div>
  );
}

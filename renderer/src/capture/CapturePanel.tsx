/**
 * Start and stop a live capture on the sensor: a local interface (from listInterfaces) or a
 * remote host over ssh (key and known_hosts are files on the sensor), a BPF filter, and the live
 * packet rate, drops and store size from the `capture` status events. Failures are shown in
 * words with the back end's hint (e.g. how to grant capture privileges).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import type { CaptureStatus } from '../../../common/bridge/capture-messages.js';
import { useServices } from '../app/services-context.js';
import { formatBytes, formatCount } from '../format/numbers.js';
import { formRequest, mayRetryElevated, type CaptureForm, type SourceKind } from './capture-form.js';
import { captureStoreFor } from './capture-store.js';
import './capture.css';

function rate(n: number, unit: string): string {
  return `${n >= 100 ? Math.round(n) : n.toFixed(1)} ${unit}/s`;
}

function CaptureRow({ c, onStop, busy }: { c: CaptureStatus; onStop: () => void; busy: boolean }) {
  const live = c.state === 'running' || c.state === 'starting';
  const drops = (c.kernel_drops ?? 0) + (c.if_drops ?? 0) + c.store_drops;
  return (
    <div className="card capture-status" data-capture-id={c.id} data-state={c.state} aria-label={`Capture ${c.id}`}>
      <div className="card-head">
        <h3>
          {c.source}
          {c.filter ? <span className="muted mono"> {c.filter}</span> : null}
        </h3>
        <span className={`capture-state capture-state-${c.state}`} role="status">
          {c.state}
        </span>
        {live ? (
          <button type="button" className="btn btn-small" disabled={busy} onClick={onStop}>
            Stop
          </button>
        ) : null}
      </div>
      <div className="stat-row">
        <span>
          <strong data-stat="rate">{rate(c.packets_per_sec, 'pkt')}</strong> ({formatBytes(c.bytes_per_sec)}/s)
        </span>
        <span>
          <strong data-stat="packets">{formatCount(c.packets)}</strong> packets
        </span>
        <span>
          <strong>{formatBytes(c.bytes)}</strong>
        </span>
        <span className={drops ? 'warn-text' : undefined}>
          <strong data-stat="drops">{formatCount(drops)}</strong> drops
          {drops ? ` (kernel ${c.kernel_drops ?? '—'}, interface ${c.if_drops ?? '—'}, store ${c.store_drops})` : ''}
        </span>
        <span>
          store <strong data-stat="store">{formatBytes(c.store_bytes)}</strong>
        </span>
        {c.active_flows !== null ? (
          <span>
            <strong>{formatCount(c.active_flows)}</strong> active flows
          </span>
        ) : null}
        {c.flow_events_skipped ? <span className="muted">{formatCount(c.flow_events_skipped)} flow updates not shown live (all are stored)</span> : null}
      </div>
      {c.error ? (
        <div className="dialog-failure" role="alert">
          <div>{c.error}</div>
          {c.hint ? <div className="muted">{c.hint}</div> : null}
        </div>
      ) : null}
    </div>
  );
}

export function CapturePanel() {
  const services = useServices();
  const store = captureStoreFor(services.bridge);
  const interfaces = useStore(store, (s) => s.interfaces);
  const interfacesError = useStore(store, (s) => s.interfacesError);
  const captures = useStore(store, (s) => s.captures);
  const busy = useStore(store, (s) => s.busy);
  const failure = useStore(store, (s) => s.failure);
  const form = useStore(store, (s) => s.form);
  const [formError, setFormError] = useState<string | null>(null);

  useEffect(() => {
    void store.getState().loadInterfaces();
    void store.getState().refresh();
  }, [store]);

  useEffect(() => {
    if (form.kind === 'iface' && !form.iface && interfaces?.length) store.getState().setForm({ iface: interfaces.find((i) => i.up !== false && !i.loopback)?.name ?? interfaces[0].name });
  }, [interfaces, form.kind, form.iface, store]);

  const start = async (elevate: boolean) => {
    const r = formRequest(form, { elevate });
    if (!r.ok) {
      setFormError(r.error);
      return;
    }
    setFormError(null);
    const s = await store.getState().start(r.value);
    if (s) services.app.getState().notify({ level: 'success', text: `Capturing on ${s.source}${s.filter ? ` (${s.filter})` : ''}` });
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await start(false);
  };
  const set = (patch: Partial<CaptureForm>) => {
    store.getState().setForm(patch);
    setFormError(null);
    store.getState().clearFailure();
  };
  const running = captures.some((c) => c.state === 'running' || c.state === 'starting' || c.state === 'stopping');

  return (
    <section className="card capture-panel" aria-labelledby="capture-title">
      <div className="card-head">
        <h2 id="capture-title">Live capture</h2>
      </div>
      <form className="editor" aria-label="Start a capture" onSubmit={(e) => void submit(e)} noValidate>
        <div className="editor-grid">
          <div className="field">
            <label htmlFor="capture-kind">Source</label>
            <select id="capture-kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value as SourceKind })}>
              <option value="iface">Interface on this sensor</option>
              <option value="ssh">Remote host over SSH</option>
            </select>
          </div>
          {form.kind === 'iface' ? (
            <div className="field">
              <label htmlFor="capture-iface">Interface</label>
              <select id="capture-iface" value={form.iface} onChange={(e) => set({ iface: e.currentTarget.value })}>
                {!interfaces?.length ? <option value="">{interfacesError ? 'unavailable' : 'loading…'}</option> : null}
                {interfaces?.map((i) => (
                  <option key={i.name} value={i.name}>
                    {i.name}
                    {i.addresses.length ? ` (${i.addresses.slice(0, 2).join(', ')})` : ''}
                    {i.up === false ? ' down' : ''}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <>
              <div className="field">
                <label htmlFor="capture-ssh">SSH host</label>
                <input id="capture-ssh" placeholder="user@host" autoComplete="off" spellCheck={false} value={form.destination} onChange={(e) => set({ destination: e.currentTarget.value })} />
              </div>
              <div className="field">
                <label htmlFor="capture-remote-iface">Remote interface</label>
                <input id="capture-remote-iface" placeholder="eth1" autoComplete="off" spellCheck={false} value={form.remoteIface} onChange={(e) => set({ remoteIface: e.currentTarget.value })} />
              </div>
              <div className="field">
                <label htmlFor="capture-identity">Key file on the sensor</label>
                <input id="capture-identity" placeholder="/home/tapline/.ssh/id_ed25519" autoComplete="off" spellCheck={false} value={form.identityFile} onChange={(e) => set({ identityFile: e.currentTarget.value })} />
              </div>
              <div className="field">
                <label htmlFor="capture-known-hosts">known_hosts file on the sensor</label>
                <input id="capture-known-hosts" placeholder="/home/tapline/.ssh/known_hosts" autoComplete="off" spellCheck={false} value={form.knownHostsFile} onChange={(e) => set({ knownHostsFile: e.currentTarget.value })} />
              </div>
              <div className="field">
                <label htmlFor="capture-host-key">or pinned host key</label>
                <input id="capture-host-key" placeholder="SHA256:… (ssh-keygen -lf the host key)" autoComplete="off" spellCheck={false} value={form.hostKeyFingerprint} onChange={(e) => set({ hostKeyFingerprint: e.currentTarget.value })} />
              </div>
              <div className="field">
                <label>
                  <input type="checkbox" checked={form.sudo} onChange={(e) => set({ sudo: e.currentTarget.checked })} /> run tcpdump with sudo -n
                </label>
              </div>
            </>
          )}
          <div className="field">
            <label htmlFor="capture-filter">BPF filter</label>
            <input id="capture-filter" className="mono" placeholder="e.g. tcp port 80 or udp port 53" autoComplete="off" spellCheck={false} value={form.filter} onChange={(e) => set({ filter: e.currentTarget.value })} />
          </div>
        </div>
        {interfacesError && form.kind === 'iface' ? (
          <div className="dialog-failure" role="alert">
            <div>Cannot list interfaces: {interfacesError.message}</div>
            {interfacesError.hint ? <div className="muted">{interfacesError.hint}</div> : null}
          </div>
        ) : null}
        {formError || failure ? (
          <div className="dialog-failure capture-failure" role="alert">
            <div>{formError ?? `Capture did not start: ${failure?.message}`}</div>
            {!formError && failure?.hint ? <div className="muted">{failure.hint}</div> : null}
            {!formError && mayRetryElevated(form, failure) ? (
              <button type="button" className="btn" disabled={busy} onClick={() => void start(true)} title="The sensor starts its capture worker through pkexec, which asks for an administrator password on the sensor's screen">
                Retry with administrator rights
              </button>
            ) : null}
          </div>
        ) : null}
        <div className="dialog-actions">
          <button type="submit" className="btn btn-primary" disabled={busy || running}>
            {busy ? 'Working…' : 'Start capture'}
          </button>
        </div>
      </form>
      {captures
        .slice()
        .reverse()
        .map((c) => (
          <CaptureRow key={c.id} c={c} busy={busy} onStop={() => void store.getState().stop(c.id)} />
        ))}
    </section>
  );
}

/**
 * Settings → Sensors: this store and the remote `tapline serve` sensors with their connection
 * status (refreshed every few seconds while shown); add one with its URL, token and pinned
 * certificate fingerprint; remove one.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { Sensor } from '../../../common/bridge/messages.js';
import { useSensors, useServices } from '../app/services-context.js';
import { EMPTY_SENSOR_FORM, formToSensor, type SensorForm, type SensorFormErrors } from './sensor-form.js';

const STATUS_POLL_MS = 5000;

const FIELDS: readonly { field: keyof SensorForm; label: string; placeholder: string; type: 'text' | 'password' }[] = [
  { field: 'id', label: 'Name', placeholder: 'e.g. tap-dmz', type: 'text' },
  { field: 'url', label: 'URL', placeholder: 'https://10.0.0.7:7880', type: 'text' },
  { field: 'token', label: 'Token', placeholder: 'its STORE/serve-token', type: 'password' },
  { field: 'fingerprint', label: 'Certificate fingerprint (SHA-256)', placeholder: 'AB:CD:… as tapline serve printed it', type: 'text' },
];

function statusClass(s: Sensor['status']): string {
  return s === 'connected' ? 'ok-text' : s === 'connecting' ? 'muted' : 'warn-text';
}

function AddSensorForm({ onDone }: { onDone: () => void }) {
  const services = useServices();
  const [form, setForm] = useState<SensorForm>({ ...EMPTY_SENSOR_FORM });
  const [errors, setErrors] = useState<SensorFormErrors>({});
  const [failure, setFailure] = useState<{ message: string; hint: string | null } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = formToSensor(form);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setFailure(null);
    setBusy(true);
    const out = await services.sensors.getState().add(r.value);
    setBusy(false);
    if (!out.ok) {
      setFailure({ message: out.error.message, hint: out.error.hint });
      return;
    }
    services.app.getState().notify({ level: 'success', text: `Added sensor ${out.value.id} (${out.value.status})` });
    onDone();
  };

  return (
    <form className="editor" aria-label="Add a sensor" onSubmit={(e) => void submit(e)} noValidate>
      <div className="editor-grid">
        {FIELDS.map((f) => (
          <div key={f.field} className={`field${errors[f.field] ? ' field-invalid' : ''}`}>
            <label htmlFor={`sensor-${f.field}`}>{f.label}</label>
            <input
              id={`sensor-${f.field}`}
              type={f.type}
              autoComplete="off"
              spellCheck={false}
              placeholder={f.placeholder}
              value={form[f.field]}
              aria-invalid={errors[f.field] ? true : undefined}
              aria-describedby={errors[f.field] ? `sensor-${f.field}-error` : undefined}
              onChange={(e) => {
                const v = e.currentTarget.value;
                setForm((x) => ({ ...x, [f.field]: v }));
                setErrors((x) => ({ ...x, [f.field]: undefined }));
              }}
            />
            {errors[f.field] ? (
              <div id={`sensor-${f.field}-error`} className="field-error" role="alert">
                {errors[f.field]}
              </div>
            ) : null}
          </div>
        ))}
      </div>
      {failure ? (
        <div className="dialog-failure" role="alert">
          <div>{failure.message}</div>
          {failure.hint ? <div className="muted">{failure.hint}</div> : null}
        </div>
      ) : null}
      <div className="dialog-actions">
        <button type="button" className="btn btn-ghost" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Connecting…' : 'Add sensor'}
        </button>
      </div>
    </form>
  );
}

export function SensorsSection() {
  const services = useServices();
  const sensors = useSensors((s) => s.sensors);
  const error = useSensors((s) => s.error);
  const [adding, setAdding] = useState(false);

  useEffect(() => {
    const load = () => void services.sensors.getState().load();
    load();
    const t = window.setInterval(load, STATUS_POLL_MS);
    return () => window.clearInterval(t);
  }, [services]);

  const remove = async (s: Sensor) => {
    const r = await services.sensors.getState().remove(s.id);
    if (r.ok) services.app.getState().notify({ level: 'success', text: `Removed sensor ${s.id}` });
    else services.app.getState().notify({ level: 'error', text: `Could not remove sensor ${s.id}: ${r.error.message}`, hint: r.error.hint });
  };

  return (
    <section className="card settings-card settings-wide" aria-labelledby="settings-sensors">
      <h2 id="settings-sensors">Sensors</h2>
      <p className="muted">Remote <span className="mono">tapline serve</span> sensors searched together with this store; their flows show in the grid with their name in the Sensor column.</p>
      {error ? (
        <div className="dialog-failure" role="alert">
          <div>{error.message}</div>
          {error.hint ? <div className="muted">{error.hint}</div> : null}
        </div>
      ) : null}
      {sensors.length ? (
        <div className="table-wrap">
          <table className="table" aria-label="Sensors">
            <thead>
              <tr>
                <th>Name</th>
                <th>Address</th>
                <th>Status</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sensors.map((s) => (
                <tr key={s.id} data-sensor-id={s.id}>
                  <td>{s.name || s.id}</td>
                  <td className="mono">{s.url ?? 'this store'}</td>
                  <td>
                    <span className={statusClass(s.status)}>{s.status}</span>
                    {s.message ? <div className="muted">{s.message}</div> : null}
                  </td>
                  <td className="actions">
                    {s.url !== null ? (
                      <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove sensor ${s.id}`} onClick={() => void remove(s)}>
                        Remove
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {adding ? (
        <AddSensorForm onDone={() => setAdding(false)} />
      ) : (
        <button type="button" className="btn btn-small" onClick={() => setAdding(true)}>
          Add sensor
        </button>
      )}
    </section>
  );
}

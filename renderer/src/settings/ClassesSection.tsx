/** Settings → Event classes: the list (enable, edit, delete) and the editor. */
import { useEffect, useState, type FormEvent } from 'react';
import { CLASSIFIABLE_KINDS, type EventClass } from '../../../common/bridge/messages.js';
import { useRanking, useServices } from '../app/services-context.js';
import { EMPTY_CLASS_FORM, classToForm, describeMatch, effectText, formToClass, type ClassForm, type ClassFormErrors, type ClassFormField } from '../ranking/class-form.js';

interface TextFieldSpec {
  field: Exclude<ClassFormField, 'match' | 'kind' | 'value'>;
  label: string;
  placeholder: string;
}

const MATCH_FIELDS: readonly TextFieldSpec[] = [
  { field: 'address', label: 'Address', placeholder: 'IP or CIDR, either side' },
  { field: 'port', label: 'Port', placeholder: 'either side' },
  { field: 'sid', label: 'Signature id', placeholder: 'IDS rule sid' },
  { field: 'message', label: 'Message contains', placeholder: 'text (any case)' },
  { field: 'sensor', label: 'Sensor', placeholder: 'sensor id' },
];

function ClassEditor({ editing, onDone }: { editing: EventClass | null; onDone: () => void }) {
  const services = useServices();
  const [form, setForm] = useState<ClassForm>(() => (editing ? classToForm(editing) : { ...EMPTY_CLASS_FORM }));
  const [errors, setErrors] = useState<ClassFormErrors>({});
  const [failure, setFailure] = useState<{ message: string; hint: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ClassForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    // editing a field clears its error, and any match criterion clears "give at least one"
    setErrors((e) => {
      const next: ClassFormErrors = { ...e, match: undefined };
      for (const k of Object.keys(patch)) delete next[(k === 'effect' ? 'value' : k) as ClassFormField];
      return next;
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = formToClass(form);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    const out = await services.ranking.getState().saveClass(editing?.id ?? null, r.value);
    setBusy(false);
    if (!out.ok) {
      setFailure({ message: out.error.message, hint: out.error.hint });
      return;
    }
    services.app.getState().notify({ level: 'success', text: `${editing ? 'Saved' : 'Created'} class ${out.value.name}` });
    onDone();
  };

  const err = (f: ClassFormField) => errors[f];
  return (
    <form className="editor" aria-label={editing ? `Edit class ${editing.name}` : 'New class'} onSubmit={(e) => void submit(e)} noValidate>
      <div className={`field${err('name') ? ' field-invalid' : ''}`}>
        <label htmlFor="class-name">Name</label>
        <input id="class-name" type="text" value={form.name} autoComplete="off" aria-invalid={err('name') ? true : undefined} aria-describedby={err('name') ? 'class-name-error' : undefined} onChange={(e) => set({ name: e.currentTarget.value })} />
        {err('name') ? <div id="class-name-error" className="field-error" role="alert">{err('name')}</div> : null}
      </div>
      <fieldset className="editor-group">
        <legend>Matches (every field given must hold)</legend>
        <div className="editor-grid">
          {MATCH_FIELDS.map((m) => (
            <div key={m.field} className={`field${err(m.field) ? ' field-invalid' : ''}`}>
              <label htmlFor={`class-${m.field}`}>{m.label}</label>
              <input
                id={`class-${m.field}`}
                type="text"
                autoComplete="off"
                spellCheck={false}
                placeholder={m.placeholder}
                value={form[m.field]}
                aria-invalid={err(m.field) ? true : undefined}
                aria-describedby={err(m.field) ? `class-${m.field}-error` : undefined}
                onChange={(e) => set({ [m.field]: e.currentTarget.value })}
              />
              {err(m.field) ? <div id={`class-${m.field}-error`} className="field-error" role="alert">{err(m.field)}</div> : null}
            </div>
          ))}
          <div className="field">
            <label htmlFor="class-kind">Event kind</label>
            <select id="class-kind" value={form.kind} onChange={(e) => set({ kind: e.currentTarget.value as ClassForm['kind'] })}>
              <option value="">any</option>
              {CLASSIFIABLE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
        </div>
        {err('match') ? <div className="field-error" role="alert">{err('match')}</div> : null}
      </fieldset>
      <fieldset className="editor-group">
        <legend>Rank</legend>
        <div className="editor-row">
          <div className="segmented" role="radiogroup" aria-label="Rank effect">
            <label className={`segment${form.effect === 'delta' ? ' is-on' : ''}`}>
              <input type="radio" name="class-effect" checked={form.effect === 'delta'} onChange={() => set({ effect: 'delta' })} />
              <span>Change by</span>
            </label>
            <label className={`segment${form.effect === 'set' ? ' is-on' : ''}`}>
              <input type="radio" name="class-effect" checked={form.effect === 'set'} onChange={() => set({ effect: 'set' })} />
              <span>Set to</span>
            </label>
          </div>
          <div className={`field f-rank${err('value') ? ' field-invalid' : ''}`}>
            <label htmlFor="class-value">{form.effect === 'set' ? 'Rank' : 'Change'}</label>
            <input id="class-value" type="number" min={-10} max={10} step={1} value={form.value} aria-invalid={err('value') ? true : undefined} aria-describedby={err('value') ? 'class-value-error' : undefined} onChange={(e) => set({ value: e.currentTarget.value })} />
          </div>
          <label className="check">
            <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
            <span>Enabled</span>
          </label>
        </div>
        {err('value') ? <div id="class-value-error" className="field-error" role="alert">{err('value')}</div> : null}
      </fieldset>
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
          {editing ? 'Save class' : 'Create class'}
        </button>
      </div>
    </form>
  );
}

export function ClassesSection() {
  const services = useServices();
  const classes = useRanking((s) => s.classes);
  const error = useRanking((s) => s.classesError);
  const loaded = useRanking((s) => s.loaded);
  /** null: closed; 'new'; or the class being edited. */
  const [editing, setEditing] = useState<EventClass | 'new' | null>(null);

  useEffect(() => {
    void services.ranking.getState().load();
  }, [services]);

  const report = (what: string, r: { ok: boolean; error?: { message: string; hint: string | null } }) => {
    if (!r.ok && r.error) services.app.getState().notify({ level: 'error', text: `Could not ${what}: ${r.error.message}`, hint: r.error.hint });
  };

  return (
    <section className="card settings-card settings-wide" aria-labelledby="settings-classes">
      <h2 id="settings-classes">Event classes</h2>
      <p className="muted">A class labels the events and flows it matches and raises or lowers their rank. Changes apply to live events and every later search; matches are recorded as class-match and ranking events.</p>
      {error ? (
        <div className="dialog-failure" role="alert">
          <div>{error.message}</div>
          {error.hint ? <div className="muted">{error.hint}</div> : null}
        </div>
      ) : null}
      {loaded && !error && classes.length === 0 ? <p className="muted">No classes yet. Create one here, or right-click an address or port in the flows grid and choose Classify.</p> : null}
      {classes.length ? (
        <div className="table-wrap">
          <table className="table" aria-label="Event classes">
            <thead>
              <tr>
                <th>Name</th>
                <th>Matches</th>
                <th className="num">Rank</th>
                <th>Enabled</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {classes.map((c) => (
                <tr key={c.id} data-class-id={c.id}>
                  <td>{c.name}</td>
                  <td className="mono">{describeMatch(c.match)}</td>
                  <td className="num mono">{effectText(c)}</td>
                  <td>
                    <input type="checkbox" aria-label={`Enable class ${c.name}`} checked={c.enabled} onChange={(e) => void services.ranking.getState().setClassEnabled(c, e.currentTarget.checked).then((r) => report('change the class', r))} />
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(c)}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" aria-label={`Delete class ${c.name}`} onClick={() => void services.ranking.getState().deleteClass(c.id).then((r) => report('delete the class', r))}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {editing === null ? (
        <button type="button" className="btn btn-small" disabled={error !== null} onClick={() => setEditing('new')}>
          New class
        </button>
      ) : (
        <ClassEditor key={editing === 'new' ? 'new' : editing.id} editing={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />
      )}
    </section>
  );
}

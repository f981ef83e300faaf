/** Settings → Threat lists: named address lists with a rank; entries pasted one per line. */
import { useEffect, useState, type FormEvent } from 'react';
import type { ThreatList } from '../../../common/bridge/messages.js';
import { useRanking, useServices } from '../app/services-context.js';
import { formatCount } from '../format/numbers.js';
import { EMPTY_THREAT_LIST_FORM, formToThreatList, threatListToForm, type ThreatListErrors, type ThreatListForm } from '../ranking/threat-list-form.js';

function ListEditor({ editing, onDone }: { editing: ThreatList | null; onDone: () => void }) {
  const services = useServices();
  const [form, setForm] = useState<ThreatListForm>(() => (editing ? threatListToForm(editing) : { ...EMPTY_THREAT_LIST_FORM }));
  const [errors, setErrors] = useState<ThreatListErrors>({});
  const [failure, setFailure] = useState<{ message: string; hint: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ThreatListForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[k as keyof ThreatListErrors];
      return next;
    });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = formToThreatList(form);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    const out = await services.ranking.getState().saveList(editing?.id ?? null, r.value);
    setBusy(false);
    if (!out.ok) {
      setFailure({ message: out.error.message, hint: out.error.hint });
      return;
    }
    services.app.getState().notify({ level: 'success', text: `${editing ? 'Saved' : 'Created'} threat list ${out.value.name} (${formatCount(out.value.entries.length)} entries)` });
    onDone();
  };

  return (
    <form className="editor" aria-label={editing ? `Edit threat list ${editing.name}` : 'New threat list'} onSubmit={(e) => void submit(e)} noValidate>
      <div className="editor-row">
        <div className={`field${errors.name ? ' field-invalid' : ''}`}>
          <label htmlFor="list-name">Name</label>
          <input id="list-name" type="text" autoComplete="off" value={form.name} aria-invalid={errors.name ? true : undefined} aria-describedby={errors.name ? 'list-name-error' : undefined} onChange={(e) => set({ name: e.currentTarget.value })} />
          {errors.name ? <div id="list-name-error" className="field-error" role="alert">{errors.name}</div> : null}
        </div>
        <div className={`field f-rank${errors.rank ? ' field-invalid' : ''}`}>
          <label htmlFor="list-rank">Rank</label>
          <input id="list-rank" type="number" min={-10} max={10} step={1} value={form.rank} aria-invalid={errors.rank ? true : undefined} aria-describedby={errors.rank ? 'list-rank-error' : undefined} onChange={(e) => set({ rank: e.currentTarget.value })} />
          {errors.rank ? <div id="list-rank-error" className="field-error" role="alert">{errors.rank}</div> : null}
        </div>
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => set({ enabled: e.currentTarget.checked })} />
          <span>Enabled</span>
        </label>
      </div>
      <div className={`field${errors.entries ? ' field-invalid' : ''}`}>
        <label htmlFor="list-entries">Addresses and CIDR blocks, one per line (# starts a comment)</label>
        <textarea
          id="list-entries"
          rows={8}
          spellCheck={false}
          className="mono"
          value={form.entries}
          placeholder={'198.51.100.7\n203.0.113.0/24\n2001:db8:bad::/48'}
          aria-invalid={errors.entries ? true : undefined}
          aria-describedby={errors.entries ? 'list-entries-error' : undefined}
          onChange={(e) => set({ entries: e.currentTarget.value })}
        />
        {errors.entries ? <div id="list-entries-error" className="field-error" role="alert">{errors.entries}</div> : null}
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
          {editing ? 'Save list' : 'Create list'}
        </button>
      </div>
    </form>
  );
}

export function ThreatListsSection() {
  const services = useServices();
  const lists = useRanking((s) => s.lists);
  const error = useRanking((s) => s.listsError);
  const loaded = useRanking((s) => s.loaded);
  const [editing, setEditing] = useState<ThreatList | 'new' | null>(null);

  useEffect(() => {
    void services.ranking.getState().load();
  }, [services]);

  const report = (what: string, r: { ok: boolean; error?: { message: string; hint: string | null } }) => {
    if (!r.ok && r.error) services.app.getState().notify({ level: 'error', text: `Could not ${what}: ${r.error.message}`, hint: r.error.hint });
  };

  return (
    <section className="card settings-card settings-wide" aria-labelledby="settings-lists">
      <h2 id="settings-lists">Threat lists</h2>
      <p className="muted">A flow or event touching a listed address gets the list’s rank (negative ranks mark known-benign hosts). When several lists match, the highest rank counts.</p>
      {error ? (
        <div className="dialog-failure" role="alert">
          <div>{error.message}</div>
          {error.hint ? <div className="muted">{error.hint}</div> : null}
        </div>
      ) : null}
      {loaded && !error && lists.length === 0 ? <p className="muted">No threat lists yet.</p> : null}
      {lists.length ? (
        <div className="table-wrap">
          <table className="table" aria-label="Threat lists">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Entries</th>
                <th className="num">Rank</th>
                <th>Enabled</th>
                <th>
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lists.map((l) => (
                <tr key={l.id}>
                  <td>{l.name}</td>
                  <td className="num">{formatCount(l.entries.length)}</td>
                  <td className="num mono">{l.rank > 0 ? `+${l.rank}` : l.rank}</td>
                  <td>
                    <input type="checkbox" aria-label={`Enable threat list ${l.name}`} checked={l.enabled} onChange={(e) => void services.ranking.getState().setListEnabled(l, e.currentTarget.checked).then((r) => report('change the list', r))} />
                  </td>
                  <td className="actions">
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(l)}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-small btn-ghost" aria-label={`Delete threat list ${l.name}`} onClick={() => void services.ranking.getState().deleteList(l.id).then((r) => report('delete the list', r))}>
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
          New threat list
        </button>
      ) : (
        <ListEditor key={editing === 'new' ? 'new' : editing.id} editing={editing === 'new' ? null : editing} onDone={() => setEditing(null)} />
      )}
    </section>
  );
}

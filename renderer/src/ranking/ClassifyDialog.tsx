/**
 * The Classify dialog (from the flows menu): a new class for the clicked address or port with a
 * rank change, or an existing class applied to it. Saving re-runs the search, so the Rank column
 * shows the result at once. Escape or Cancel closes it; focus returns to the grid.
 */
import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useRanking, useServices } from '../app/services-context.js';
import { classChoices, classifyRequest, defaultClassifyForm, targetLabel, type ClassifyErrors, type ClassifyForm, type ClassifyTarget } from './classify.js';

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <div id={id} className="field-error" role="alert">
      {text}
    </div>
  ) : null;
}

export function ClassifyDialog({ target }: { target: ClassifyTarget }) {
  const services = useServices();
  const classes = useRanking((s) => s.classes);
  const classesError = useRanking((s) => s.classesError);
  const choices = useMemo(() => classChoices(classes), [classes]);
  const [form, setForm] = useState<ClassifyForm>(() => defaultClassifyForm(classes));
  const [errors, setErrors] = useState<ClassifyErrors>({});
  const [failure, setFailure] = useState<{ message: string; hint: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const label = targetLabel(target);

  useEffect(() => first.current?.focus(), []);
  // classes may arrive after the dialog opened
  useEffect(() => {
    if (!form.existing && choices.length) setForm((f) => ({ ...f, existing: choices[0].name }));
  }, [choices, form.existing]);

  const close = () => {
    services.ranking.getState().closeClassify();
    document.querySelector<HTMLElement>('.grid')?.focus({ preventScroll: true });
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = classifyRequest(target, form, classes);
    if ('errors' in r) {
      setErrors(r.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    const out = await services.ranking.getState().saveClass(null, r.value);
    setBusy(false);
    if (!out.ok) {
      if (out.error.status === 401) services.app.getState().setLoggedOut(true);
      setFailure({ message: out.error.message, hint: out.error.hint });
      return;
    }
    const how = out.value.set_rank !== undefined ? `rank set to ${out.value.set_rank}` : `rank ${out.value.rank_delta && out.value.rank_delta > 0 ? '+' : ''}${out.value.rank_delta ?? 0}`;
    services.app.getState().notify({ level: 'success', text: `Classified ${label} as ${out.value.name} (${how})` });
    close();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };

  /** Editing a field clears its error (as the search bar does). */
  const set = (patch: Partial<ClassifyForm>) => {
    setForm((f) => ({ ...f, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[(k === 'mode' ? 'existing' : k) as keyof ClassifyErrors];
      return next;
    });
  };

  return (
    <div className="dialog-backdrop">
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="classify-title" onKeyDown={onKeyDown} onSubmit={(e) => void submit(e)} noValidate>
        <h2 id="classify-title">Classify {label}</h2>
        <p className="muted">Events and flows with {target.field === 'address' ? 'this address on either side' : 'this port on either side'} get the class as a label and its rank change.</p>
        <div className="segmented" role="radiogroup" aria-label="Class">
          <label className={`segment${form.mode === 'new' ? ' is-on' : ''}`}>
            <input type="radio" name="classify-mode" value="new" checked={form.mode === 'new'} onChange={() => set({ mode: 'new' })} />
            <span>New class</span>
          </label>
          <label className={`segment${form.mode === 'existing' ? ' is-on' : ''}`}>
            <input type="radio" name="classify-mode" value="existing" checked={form.mode === 'existing'} disabled={!choices.length} onChange={() => set({ mode: 'existing' })} />
            <span>Existing class</span>
          </label>
        </div>
        {form.mode === 'new' ? (
          <div className="dialog-fields">
            <div className={`field${errors.name ? ' field-invalid' : ''}`}>
              <label htmlFor="classify-name">Class name</label>
              <input
                ref={first}
                id="classify-name"
                type="text"
                autoComplete="off"
                value={form.name}
                placeholder="e.g. Known scanner"
                aria-invalid={errors.name ? true : undefined}
                aria-describedby={errors.name ? 'classify-name-error' : undefined}
                onChange={(e) => set({ name: e.currentTarget.value })}
              />
              <FieldError id="classify-name-error" text={errors.name} />
            </div>
            <div className={`field f-rank${errors.delta ? ' field-invalid' : ''}`}>
              <label htmlFor="classify-delta">Rank change</label>
              <input
                id="classify-delta"
                type="number"
                min={-10}
                max={10}
                step={1}
                value={form.delta}
                aria-invalid={errors.delta ? true : undefined}
                aria-describedby={errors.delta ? 'classify-delta-error' : 'classify-delta-help'}
                onChange={(e) => set({ delta: e.currentTarget.value })}
              />
              <FieldError id="classify-delta-error" text={errors.delta} />
            </div>
            <p id="classify-delta-help" className="muted">
              −10 … −1: likely false positive · +1 … +10: more threatening (an IDS priority 1 rule is +3).
            </p>
          </div>
        ) : (
          <div className={`field${errors.existing ? ' field-invalid' : ''}`}>
            <label htmlFor="classify-existing">Apply class</label>
            <select id="classify-existing" value={form.existing} onChange={(e) => set({ existing: e.currentTarget.value })} aria-describedby={errors.existing ? 'classify-existing-error' : undefined}>
              {choices.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.effect})
                </option>
              ))}
            </select>
            <FieldError id="classify-existing-error" text={errors.existing} />
          </div>
        )}
        {classesError ? <p className="warn-text">Existing classes could not be loaded: {classesError.message}</p> : null}
        {failure ? (
          <div className="dialog-failure" role="alert">
            <div>{failure.message}</div>
            {failure.hint ? <div className="muted">{failure.hint}</div> : null}
          </div>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="btn btn-ghost" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? 'Saving…' : 'Classify'}
          </button>
        </div>
      </form>
    </div>
  );
}

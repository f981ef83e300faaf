/**
 * One labelled text field of a search form with its inline error (the flow search bar and the
 * Historical form): time fields carry the time syntax help in their title.
 */
import { TIME_HELP } from '../flows/search-form.js';

export interface FormFieldProps {
  id: string;
  name: string;
  label: string;
  className: string;
  value: string;
  error: string | null | undefined;
  placeholder: string;
  inputMode?: 'numeric' | 'text';
  /** A time field: its title explains the syntax and the zone times without one are read in. */
  timeZoneLabel?: string;
  onChange(value: string): void;
}

export function FormField(p: FormFieldProps) {
  return (
    <div className={`field ${p.className}${p.error ? ' field-invalid' : ''}`}>
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        name={p.name}
        type="text"
        inputMode={p.inputMode}
        autoComplete="off"
        spellCheck={false}
        value={p.value}
        placeholder={p.placeholder}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={p.error ? `${p.id}-error` : undefined}
        title={p.timeZoneLabel !== undefined ? `${TIME_HELP}. Times without a zone are read in ${p.timeZoneLabel}.` : undefined}
        onChange={(e) => p.onChange(e.currentTarget.value)}
      />
      {p.error ? (
        <div id={`${p.id}-error`} className="field-error" role="alert">
          {p.error}
        </div>
      ) : null}
    </div>
  );
}

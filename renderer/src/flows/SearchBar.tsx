/** The flow search: hosts (IP or CIDR, up to two), port, protocol, time window, Community ID, limit. */
import type { FormEvent } from 'react';
import { useApp, useFlows, useSettings } from '../app/services-context.js';
import { LOCAL_ZONE, localZoneName } from '../format/time.js';
import { IconSearch } from '../ui/icons.js';
import { type SearchField } from './search-form.js';
import { FormField } from '../ui/FormField.js';

interface FieldSpec {
  field: SearchField;
  label: string;
  placeholder: string;
  className: string;
  inputMode?: 'numeric' | 'text';
}

const FIELDS: readonly FieldSpec[] = [
  { field: 'host1', label: 'Host', placeholder: 'IP or CIDR', className: 'f-host' },
  { field: 'host2', label: 'and host', placeholder: 'IP or CIDR', className: 'f-host' },
  { field: 'port', label: 'Port', placeholder: 'any', className: 'f-port', inputMode: 'numeric' },
  { field: 'proto', label: 'Proto', placeholder: 'tcp, udp, 47', className: 'f-proto' },
  { field: 'since', label: 'Since', placeholder: '-1h, 2024-03-01 14:00', className: 'f-time' },
  { field: 'until', label: 'Until', placeholder: 'now', className: 'f-time' },
  { field: 'communityId', label: 'Community ID', placeholder: '1:…', className: 'f-cid' },
  { field: 'limit', label: 'Limit', placeholder: '1000', className: 'f-limit', inputMode: 'numeric' },
];

function Field({ spec, zoneLabel }: { spec: FieldSpec; zoneLabel: string }) {
  const value = useFlows((s) => s.form[spec.field]);
  const error = useFlows((s) => s.fieldErrors[spec.field]);
  const setField = useFlows((s) => s.setField);
  const isTime = spec.field === 'since' || spec.field === 'until';
  return (
    <FormField
      id={`search-${spec.field}`}
      name={spec.field}
      label={spec.label}
      className={spec.className}
      value={value}
      error={error}
      placeholder={spec.placeholder}
      inputMode={spec.inputMode}
      timeZoneLabel={isTime ? zoneLabel : undefined}
      onChange={(v) => setField(spec.field, v)}
    />
  );
}

function SensorField() {
  const info = useApp((s) => s.info);
  const sensors = info?.sensors ?? [];
  const value = useFlows((s) => s.form.sensor);
  const setField = useFlows((s) => s.setField);
  if (sensors.length < 2) return null;
  return (
    <div className="field f-sensor">
      <label htmlFor="search-sensor">Sensor</label>
      <select id="search-sensor" value={value} onChange={(e) => setField('sensor', e.currentTarget.value)}>
        <option value="">All sensors</option>
        {sensors.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name || s.id}
          </option>
        ))}
      </select>
    </div>
  );
}

export function SearchBar() {
  const submit = useFlows((s) => s.submit);
  const resetForm = useFlows((s) => s.resetForm);
  const loading = useFlows((s) => s.status.kind === 'loading');
  const zone = useSettings((s) => s.timeZone);
  const zoneLabel = zone === LOCAL_ZONE ? `local time (${localZoneName()})` : zone;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit();
  };

  return (
    <form className="searchbar" role="search" aria-label="Flow search" onSubmit={onSubmit} noValidate>
      {FIELDS.map((f) => (
        <Field key={f.field} spec={f} zoneLabel={zoneLabel} />
      ))}
      <SensorField />
      <div className="search-actions">
        <button type="submit" className="btn btn-primary" disabled={loading} aria-busy={loading}>
          <IconSearch />
          <span>{loading ? 'Searching…' : 'Search'}</span>
        </button>
        <button type="button" className="btn btn-ghost" onClick={resetForm}>
          Clear
        </button>
      </div>
    </form>
  );
}

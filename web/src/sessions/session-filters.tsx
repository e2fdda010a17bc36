// The filters panel of Remote Sessions: edits a draft, applied on Filter (or Enter), cleared on Clear.

import { useState, type FormEvent } from 'react';

export interface SessionFilterValues {
  id: string;
  sessionId: string;
  user: string;
  credential: string;
  device: string;
  originIp: string;
  protocol: string;
  status: string;
  startFrom: string;
  startTo: string;
  preventPurge: '' | 'true' | 'false';
}

export const EMPTY_FILTERS: SessionFilterValues = {
  id: '',
  sessionId: '',
  user: '',
  credential: '',
  device: '',
  originIp: '',
  protocol: '',
  status: '',
  startFrom: '',
  startTo: '',
  preventPurge: '',
};

export function activeFilterCount(f: SessionFilterValues): number {
  return Object.values(f).filter((v) => v !== '').length;
}

const TEXT_FIELDS: ReadonlyArray<{ key: keyof SessionFilterValues; label: string; inputMode?: 'numeric' }> = [
  { key: 'id', label: 'ID', inputMode: 'numeric' },
  { key: 'sessionId', label: 'Session ID' },
  { key: 'user', label: 'User' },
  { key: 'credential', label: 'Credential' },
  { key: 'device', label: 'Device' },
  { key: 'originIp', label: 'Origin IP' },
];

export interface SessionFiltersProps {
  value: SessionFilterValues;
  onApply: (f: SessionFilterValues) => void;
}

export function SessionFilters({ value, onApply }: SessionFiltersProps) {
  const [draft, setDraft] = useState(value);
  const set = (k: keyof SessionFilterValues, v: string) => setDraft((d) => ({ ...d, [k]: v }));

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply(draft);
  }

  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      <div className="filters-grid">
        {TEXT_FIELDS.map((f) => (
          <label key={f.key} className="field">
            <span>{f.label}</span>
            <input type="text" inputMode={f.inputMode} value={draft[f.key]} onChange={(e) => set(f.key, e.target.value)} />
          </label>
        ))}
        <label className="field">
          <span>Protocol</span>
          <select value={draft.protocol} onChange={(e) => set('protocol', e.target.value)}>
            <option value="">All</option>
            <option value="SSH">SSH</option>
            <option value="SFTP">SFTP</option>
          </select>
        </label>
        <label className="field">
          <span>Status</span>
          <select value={draft.status} onChange={(e) => set('status', e.target.value)}>
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="completed">Completed</option>
            <option value="dropped">Dropped</option>
            <option value="interrupted">Interrupted</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <fieldset className="field field-range">
          <legend>Session start</legend>
          <input type="datetime-local" aria-label="Session start from" value={draft.startFrom} onChange={(e) => set('startFrom', e.target.value)} />
          <span className="range-sep">to</span>
          <input type="datetime-local" aria-label="Session start to" value={draft.startTo} onChange={(e) => set('startTo', e.target.value)} />
        </fieldset>
        <label className="field">
          <span>Prevent purge</span>
          <select value={draft.preventPurge} onChange={(e) => set('preventPurge', e.target.value)}>
            <option value="">All</option>
            <option value="true">Yes</option>
            <option value="false">No</option>
          </select>
        </label>
      </div>
      <div className="filters-actions">
        <button
          type="button"
          className="button"
          onClick={() => {
            setDraft(EMPTY_FILTERS);
            onApply(EMPTY_FILTERS);
          }}
        >
          Clear
        </button>
        <button type="submit" className="button button-primary">
          Filter
        </button>
      </div>
    </form>
  );
}

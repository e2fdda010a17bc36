// Administration > Settings: retention, default auditors, and what happens when recording fails.

import { useEffect, useState, type FormEvent } from 'react';
import { adminApi } from '../../api/admin-api';
import type { Settings } from '../../api/wire';
import { PageHeader } from '../../app/page-header';
import { ErrorMessage, Loading, SuccessMessage } from '../../components/feedback';
import { useLoad } from '../../components/use-load';
import { useSubmit } from './use-submit';

export function SettingsPage() {
  const settings = useLoad(() => adminApi.settings());
  const users = useLoad(() => adminApi.users());
  const [draft, setDraft] = useState<Settings | null>(null);
  const s = useSubmit();

  useEffect(() => {
    if (settings.data) setDraft(settings.data);
  }, [settings.data]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!draft || !settings.data) return;
    const current = settings.data;
    const changed = (Object.keys(draft) as Array<keyof Settings>).filter((k) => JSON.stringify(draft[k]) !== JSON.stringify(current[k]));
    // One PUT per changed setting, in order; a failure stops there and leaves the form as typed.
    const ok = await s.run(async () => {
      for (const k of changed) await adminApi.setSetting(k, draft[k] as never);
    }, changed.length ? 'Settings saved.' : 'Nothing to change.');
    if (ok) settings.reload();
  }

  return (
    <section className="page">
      <PageHeader title="Settings" crumbs={['Administration', 'System', 'Settings']} />
      <ErrorMessage>{settings.error}</ErrorMessage>
      {!draft ? (
        settings.loading && <Loading />
      ) : (
        <form className="card form-card settings-form" onSubmit={submit} aria-label="Settings">
          <label className="field field-block">
            <span>Recording retention (days)</span>
            <input type="number" min={1} max={3650} value={draft['retention.days']} onChange={(e) => setDraft({ ...draft, 'retention.days': Number(e.target.value) })} />
            <small className="hint">Recordings older than this are purged, except active and purge-protected sessions.</small>
          </label>
          <label className="field field-block">
            <span>When recording fails</span>
            <select value={draft['recording.onFailure']} onChange={(e) => setDraft({ ...draft, 'recording.onFailure': e.target.value as Settings['recording.onFailure'] })}>
              <option value="drop">Drop the session</option>
              <option value="continue">Continue unrecorded</option>
            </select>
          </label>
          <fieldset className="checks">
            <legend>Default auditors (added to every new session)</legend>
            {(users.data ?? []).map((u) => (
              <label key={u.id} className="check">
                <input
                  type="checkbox"
                  checked={draft['auditors.default'].includes(u.id)}
                  onChange={(e) =>
                    setDraft({
                      ...draft,
                      'auditors.default': e.target.checked ? [...draft['auditors.default'], u.id] : draft['auditors.default'].filter((x) => x !== u.id),
                    })
                  }
                />
                {u.username}
              </label>
            ))}
            {users.error && <small className="hint">Users could not be listed: {users.error}</small>}
          </fieldset>
          <ErrorMessage>{s.error}</ErrorMessage>
          <SuccessMessage>{s.done}</SuccessMessage>
          <button type="submit" className="button button-primary" disabled={s.busy}>
            Save settings
          </button>
        </form>
      )}
    </section>
  );
}

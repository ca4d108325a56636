import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { usePolled } from '../api/use-polled.ts';
import { searchEquipment, type Equipment } from '../assets/assets-api.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useDebounced } from '../records/use-debounced.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { emptyPlanDraft, planBody, type PlanDraft, type PlanField } from './plan-draft.ts';
import { createPmPlan, pmKinds } from './pm-api.ts';

/** A manager plans maintenance on a piece of equipment: by calendar, or by the usage its device measures. */
export function PlanForm({ onCreated, onCancel }: { onCreated: () => void; onCancel: () => void }) {
  const t = useT();
  const ids = { equipment: useId(), title: useId(), days: useId(), lead: useId(), first: useId(), metric: useId(), usage: useId() };
  const [draft, setDraft] = useState<PlanDraft>(emptyPlanDraft);
  const [chosen, setChosen] = useState<Equipment | null>(null);
  const [search, setSearch] = useState('');
  const [invalid, setInvalid] = useState<PlanField[]>([]);
  const { busy, error, send } = useSubmission();
  const typed = useDebounced(search.trim(), 300);
  const matches = usePolled(!chosen && typed ? `plan-equipment:${typed}` : null, (signal) => searchEquipment({ q: typed, limit: 8 }, signal), 0);
  const set = (change: Partial<PlanDraft>) => setDraft((d) => ({ ...d, ...change }));
  const bad = (field: PlanField) => invalid.includes(field);
  const choose = (equipment: Equipment | null) => {
    setChosen(equipment);
    set({ equipmentId: equipment?.id ?? null });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = planBody(draft);
    if ('invalid' in result) {
      setInvalid(result.invalid);
      return;
    }
    setInvalid([]);
    await send(async () => {
      await createPmPlan(result.body);
      onCreated();
    });
  };

  return (
    <form className="card pm-form" data-testid="pm-plan-form" onSubmit={submit} noValidate>
      <h2 className="card__title">{t('pm.form.title')}</h2>
      <div className="pm-form__row">
        <div className="field field--grow">
          <label htmlFor={ids.equipment}>{t('pm.col.equipment')}</label>
          {chosen ? (
            <span className="pm-form__chosen">
              <strong>{chosen.code}</strong> {chosen.name}
              <button type="button" className="link-button small" onClick={() => choose(null)}>
                {t('pm.form.change')}
              </button>
            </span>
          ) : (
            <>
              <input id={ids.equipment} type="search" data-testid="pm-plan-equipment" autoComplete="off" value={search} aria-invalid={bad('equipmentId')} placeholder={t('pm.form.findEquipment')} onChange={(e) => setSearch(e.target.value)} />
              <ul className="pm-form__matches">
                {(matches.data?.equipment ?? []).map((e) => (
                  <li key={e.id}>
                    <button type="button" className="link-button" data-testid="pm-plan-equipment-match" data-equipment-id={e.id} onClick={() => choose(e)}>
                      {e.code} · {e.name}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        <div className="field field--grow">
          <label htmlFor={ids.title}>{t('pm.col.plan')}</label>
          <input id={ids.title} data-testid="pm-plan-title" maxLength={200} value={draft.title} aria-invalid={bad('title')} onChange={(e) => set({ title: e.target.value })} />
        </div>
      </div>
      <div className="segmented pm-form__kind" role="radiogroup" aria-label={t('pm.form.kind')}>
        {pmKinds.map((k) => (
          <button key={k} type="button" role="radio" className="segmented__item" aria-checked={draft.kind === k} data-testid={`pm-plan-kind-${k}`} onClick={() => set({ kind: k })}>
            {t(`pm.form.kind.${k}`)}
          </button>
        ))}
      </div>
      {draft.kind === 'calendar' ? (
        <div className="pm-form__row">
          <div className="field">
            <label htmlFor={ids.days}>{t('pm.form.everyDays')}</label>
            <input id={ids.days} data-testid="pm-plan-days" inputMode="numeric" value={draft.intervalDays} aria-invalid={bad('intervalDays')} onChange={(e) => set({ intervalDays: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.first}>{t('pm.form.firstDue')}</label>
            <input id={ids.first} data-testid="pm-plan-first-due" type="date" value={draft.firstDue} onChange={(e) => set({ firstDue: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.lead}>{t('pm.form.leadDays')}</label>
            <input id={ids.lead} inputMode="numeric" value={draft.leadDays} aria-invalid={bad('leadDays')} onChange={(e) => set({ leadDays: e.target.value })} />
          </div>
        </div>
      ) : (
        <div className="pm-form__row">
          <div className="field">
            <label htmlFor={ids.metric}>{t('pm.form.metric')}</label>
            <input id={ids.metric} data-testid="pm-plan-metric" value={draft.metric} placeholder="runHours" aria-invalid={bad('metric')} onChange={(e) => set({ metric: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={ids.usage}>{t('pm.form.everyUsage')}</label>
            <input id={ids.usage} data-testid="pm-plan-usage" inputMode="decimal" value={draft.intervalUsage} aria-invalid={bad('intervalUsage')} onChange={(e) => set({ intervalUsage: e.target.value })} />
          </div>
        </div>
      )}
      {invalid.length ? <p className="warning-text small">{t('pm.form.invalid')}</p> : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="pm-plan-submit" disabled={busy}>
          {t('pm.form.submit')}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t('pm.form.cancel')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

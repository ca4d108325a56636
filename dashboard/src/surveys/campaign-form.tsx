import { useId, useMemo, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { currentPeriods, endOfDay, fieldErrors, isPeriod } from './survey-helpers.ts';
import { dimensionLabel } from './survey-labels.ts';
import { createCampaign, surveyDimensions, type Campaign, type SurveyDimension } from './surveys-api.ts';

/**
 * A manager starts a survey: a title, the month or quarter it measures, the owners of
 * one building or the whole estate, what it asks and when it closes. The hub invites
 * the owners at once and answers with how many.
 */
export function CampaignForm({ onCreated }: { onCreated: (campaign: Campaign) => void }) {
  const t = useT();
  const buildings = useBuildingNames();
  const ids = { title: useId(), period: useId(), scope: useId(), closes: useId() };
  const periods = useMemo(() => currentPeriods(new Date()), []);
  const [title, setTitle] = useState('');
  const [period, setPeriod] = useState(periods.quarter);
  const [building, setBuilding] = useState('');
  const [closes, setCloses] = useState('');
  const [asked, setAsked] = useState<readonly SurveyDimension[]>(surveyDimensions);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [created, setCreated] = useState<Campaign | null>(null);
  const errors = fieldErrors(error);
  const periodProblem = period && !isPeriod(period.trim()) ? t('surveys.create.periodInvalid') : errors.period;

  const toggle = (d: SurveyDimension) => setAsked((now) => (now.includes(d) ? now.filter((x) => x !== d) : surveyDimensions.filter((x) => x === d || now.includes(x))));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim() || !isPeriod(period.trim()) || asked.length === 0) return;
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const campaign = await createCampaign({
        title: title.trim(),
        period: period.trim(),
        buildingId: building || undefined,
        // All dimensions is the hub's default: only a narrower choice is sent.
        dimensions: asked.length === surveyDimensions.length ? undefined : [...asked],
        closesAt: closes ? endOfDay(closes) : undefined,
      });
      setCreated(campaign);
      setTitle('');
      onCreated(campaign);
    } catch (cause) {
      if (!isApiError(cause)) throw cause;
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (message: string | undefined, field: string) =>
    message ? (
      <span className="sv-field-error" data-testid="campaign-field-error" data-field={field}>
        {message}
      </span>
    ) : null;

  return (
    <form className="card sv-create" data-testid="campaign-form" onSubmit={submit} noValidate>
      <h2 className="card__title">{t('surveys.create.title')}</h2>
      <div className="sv-create__row">
        <div className="field field--grow">
          <label htmlFor={ids.title}>{t('surveys.create.name')}</label>
          <input id={ids.title} data-testid="campaign-title" required maxLength={200} value={title} aria-invalid={errors.title ? true : undefined} onChange={(e) => setTitle(e.target.value)} />
          {fieldError(errors.title, 'title')}
        </div>
        <div className="field">
          <label htmlFor={ids.period}>{t('surveys.create.period')}</label>
          <input id={ids.period} data-testid="campaign-period" required list={`${ids.period}-list`} value={period} aria-invalid={periodProblem ? true : undefined} onChange={(e) => setPeriod(e.target.value)} />
          <datalist id={`${ids.period}-list`}>
            <option value={periods.quarter} />
            <option value={periods.month} />
          </datalist>
          {fieldError(periodProblem, 'period')}
        </div>
        <div className="field">
          <label htmlFor={ids.scope}>{t('surveys.create.scope')}</label>
          <select id={ids.scope} data-testid="campaign-scope" value={building} onChange={(e) => setBuilding(e.target.value)}>
            <option value="">{t('surveys.estate')}</option>
            {buildings.ids.map((id) => (
              <option key={id} value={id}>
                {buildings.label(id)}
              </option>
            ))}
          </select>
          {fieldError(errors.buildingId, 'buildingId')}
        </div>
        <div className="field">
          <label htmlFor={ids.closes}>{t('surveys.create.closes')}</label>
          <input id={ids.closes} type="date" data-testid="campaign-closes" value={closes} onChange={(e) => setCloses(e.target.value)} />
          {fieldError(errors.closesAt, 'closesAt')}
        </div>
      </div>
      <fieldset className="sv-create__dimensions">
        <legend>{t('surveys.create.dimensions')}</legend>
        {surveyDimensions.map((d) => (
          <label key={d} className="sv-check">
            <input type="checkbox" data-testid={`campaign-dimension-${d}`} checked={asked.includes(d)} onChange={() => toggle(d)} />
            {dimensionLabel(t, d)}
          </label>
        ))}
        {fieldError(errors.dimensions, 'dimensions')}
      </fieldset>
      <div className="sv-create__actions">
        <button type="submit" className="button button--primary" data-testid="campaign-submit" disabled={busy || !title.trim() || asked.length === 0}>
          {t('surveys.create.submit')}
        </button>
        {created ? (
          <span className="muted small" role="status" data-testid="campaign-created" data-campaign-id={created.id}>
            {t('surveys.create.created', { invited: created.invited })}
          </span>
        ) : null}
        {error && Object.keys(errors).length === 0 ? <ErrorText error={error} /> : null}
      </div>
    </form>
  );
}

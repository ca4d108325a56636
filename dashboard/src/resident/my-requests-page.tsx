import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { usePolled } from '../api/use-polled.ts';
import { useLiveRefresh } from '../manager/use-live-refresh.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { requestStatusTone } from '../service/request-flow.ts';
import { categoryLabel, requestStatusLabel, urgencyLabel } from '../service/request-labels.ts';
import { CategoryOptions, UrgencyOptions } from '../service/request-options.tsx';
import { RequestProgress, RequestTimeline } from '../service/request-progress.tsx';
import { type RequestCategory, type RequestUrgency } from '../service/service-api.ts';
import { isScore, orderMyRequests, ratingState, scores, type Score } from './rating.ts';
import { askForService, fetchMyRequest, listMyRequests, listMyUnits, rateMyRequest } from './resident-api.ts';
import '../service/service.css';
import './resident.css';

/**
 * The hub addresses each change of an owner's request to that owner on the live stream
 * (`service.request`): the pages reload on it. The slow poll only covers a stream that is
 * down for a while (it reconnects and resumes by itself).
 */
const FOLLOW_MS = 60_000;
const LIVE_TYPES = ['service.request'] as const;
/** A burst of changes (classified, dispatched, assigned at once) is one reload. */
const LIVE_MIN_INTERVAL_MS = 300;

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * An owner's requests: the list with each one's status as it changes, a new request
 * for one of their units (`#/my-requests/new/12` starts one for unit 12), and one
 * request's progress, timeline and — once closed — its rating (`#/my-requests/42`).
 */
export function MyRequestsPage({ rest }: { rest: string[] }) {
  const t = useT();
  const creating = rest[0] === 'new';
  const selected = creating ? null : parseId(rest[0]);
  const list = usePolled('my-requests', listMyRequests, FOLLOW_MS);
  useLiveRefresh(LIVE_TYPES, list.refresh, LIVE_MIN_INTERVAL_MS);
  return (
    <div className="office-page" data-testid="my-requests-page">
      <PageHeader
        title={t('section.myRequests')}
        subtitle={t('resident.requests.subtitle')}
        actions={
          creating ? null : (
            <button type="button" className="button button--primary" data-testid="my-request-new" onClick={() => navigate(['my-requests', 'new'])}>
              {t('resident.requests.new')}
            </button>
          )
        }
      />
      <div className={`office-layout resident-layout${creating || selected !== null ? ' office-layout--with-detail' : ''}`}>
        <section aria-label={t('section.myRequests')}>
          {list.error ? <ErrorText error={list.error} /> : null}
          {list.loading ? <p className="muted">{t('common.loading')}</p> : null}
          {list.data && list.data.length === 0 ? <p className="empty-note card">{t('resident.requests.empty')}</p> : null}
          <ul className="resident-requests" data-testid="my-requests">
            {orderMyRequests(list.data ?? []).map((r) => (
              <li key={r.id}>
                <button type="button" className={`card resident-request${r.id === selected ? ' is-selected' : ''}`} data-testid="my-request" data-request-id={r.id} data-status={r.status} onClick={() => navigate(['my-requests', r.id])}>
                  <span className="resident-request__top">
                    <strong>{r.number}</strong>
                    <span className={`pill pill--${requestStatusTone(r.status)}`} data-testid="my-request-status">
                      {requestStatusLabel(t, r.status)}
                    </span>
                  </span>
                  <span className="resident-request__what">{r.description}</span>
                  <span className="muted small">
                    {categoryLabel(t, r.category)}
                    {r.unit ? ` · ${t('resident.units.title', { number: r.unit.number })}` : ''}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
        {creating ? <NewRequestForm unitId={parseId(rest[1])} onCreated={(id) => { list.refresh(); navigate(['my-requests', id]); }} /> : null}
        {selected !== null ? <MyRequestDetail key={selected} id={selected} onChanged={list.refresh} /> : null}
      </div>
    </div>
  );
}

function MyRequestDetail({ id, onChanged }: { id: number; onChanged: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const detail = usePolled(`my-request:${id}`, (signal) => fetchMyRequest(id, signal), FOLLOW_MS);
  useLiveRefresh(LIVE_TYPES, detail.refresh, LIVE_MIN_INTERVAL_MS);
  if (!detail.data) {
    return (
      <aside className="card resident-detail" data-testid="my-request-detail" aria-busy={detail.loading}>
        {detail.loading ? <p className="muted">{t('common.loading')}</p> : null}
        {detail.error ? detail.error.status === 404 ? <p className="empty-note">{t('service.detail.notFound')}</p> : <ErrorText error={detail.error} /> : null}
      </aside>
    );
  }
  const { request: r, events, survey } = detail.data;
  const rating = ratingState(r, survey);
  return (
    <aside className="card resident-detail" data-testid="my-request-detail" data-request-id={r.id} data-status={r.status} aria-labelledby="resident-request-title">
      <div className="card__head">
        <div>
          <p className="eyebrow">{formatDateTime(locale, r.createdAt)}</p>
          <h2 className="card__title" id="resident-request-title">
            {r.number}
          </h2>
        </div>
        <button type="button" className="button button--small" onClick={() => navigate(['my-requests'])}>
          {t('common.close')}
        </button>
      </div>
      <p>{r.description}</p>
      <p className="muted small">
        {categoryLabel(t, r.category)} · {urgencyLabel(t, r.urgency)}
        {r.unit ? ` · ${t('resident.units.title', { number: r.unit.number })}` : ''}
        {r.location ? ` · ${r.location}` : ''}
      </p>
      <RequestProgress request={r} />
      <section className="office-section">
        <h3 className="office-section__title">{t('resident.rating.title')}</h3>
        {rating === 'rated' && survey ? (
          <p data-testid="my-request-rated" data-score={survey.score}>
            <span className="sr-stars" aria-label={t('service.survey.score', { score: survey.score })}>
              {'★'.repeat(survey.score)}
              {'☆'.repeat(5 - survey.score)}
            </span>{' '}
            {survey.comment ? <q>{survey.comment}</q> : null} <span className="muted small">{t('resident.rating.thanks')}</span>
          </p>
        ) : rating === 'open' ? (
          <RatingForm
            requestId={r.id}
            onDone={() => {
              detail.refresh();
              onChanged();
            }}
          />
        ) : (
          <p className="muted small" data-testid="my-request-rating-later">
            {t(rating === 'rejected' ? 'resident.rating.rejected' : 'resident.rating.later')}
          </p>
        )}
      </section>
      <section className="office-section">
        <h3 className="office-section__title">{t('service.timeline.title')}</h3>
        <RequestTimeline events={events} />
      </section>
    </aside>
  );
}

function RatingForm({ requestId, onDone }: { requestId: number; onDone: () => void }) {
  const t = useT();
  const commentId = useId();
  const [score, setScore] = useState<Score | null>(null);
  const [comment, setComment] = useState('');
  const { busy, error, send } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (score === null) return;
    await send(async () => {
      await rateMyRequest(requestId, { score, comment: comment.trim() || undefined });
      onDone();
    });
  };

  return (
    <form className="resident-rating" data-testid="my-request-rating" onSubmit={submit}>
      <fieldset className="resident-stars">
        <legend>{t('resident.rating.ask')}</legend>
        {scores.map((n) => (
          <label key={n} className={`resident-star${score !== null && n <= score ? ' is-on' : ''}`} title={t(`resident.rating.score.${n}`)}>
            <input type="radio" name="score" value={n} data-testid={`my-request-score-${n}`} checked={score === n} onChange={(e) => isScore(Number(e.target.value)) && setScore(Number(e.target.value) as Score)} />
            <span aria-hidden="true">★</span>
            <span className="visually-hidden">{t(`resident.rating.score.${n}`)}</span>
          </label>
        ))}
        {score !== null ? <span className="muted small">{t(`resident.rating.score.${score}`)}</span> : null}
      </fieldset>
      <div className="field">
        <label htmlFor={commentId}>{t('resident.rating.comment')}</label>
        <textarea id={commentId} data-testid="my-request-comment" rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
      </div>
      <button type="submit" className="button button--primary" data-testid="my-request-rate" disabled={busy || score === null}>
        {t('resident.rating.submit')}
      </button>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

function NewRequestForm({ unitId, onCreated }: { unitId: number | null; onCreated: (id: number) => void }) {
  const t = useT();
  const ids = { unit: useId(), category: useId(), urgency: useId(), location: useId(), description: useId() };
  const units = usePolled('my-units', listMyUnits, 0);
  const [unit, setUnit] = useState(unitId === null ? '' : String(unitId));
  const [category, setCategory] = useState<RequestCategory | ''>('');
  const [urgency, setUrgency] = useState<RequestUrgency | ''>('');
  const [location, setLocation] = useState('');
  const [description, setDescription] = useState('');
  const { busy, error, send } = useSubmission();
  // One unit: nothing to choose.
  const only = units.data?.length === 1 ? String(units.data[0].id) : '';
  const chosenUnit = unit || only;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosenUnit || !category || !description.trim()) return;
    await send(async () => {
      const created = await askForService({ unitId: Number(chosenUnit), category, urgency: urgency || undefined, location: location.trim() || undefined, description: description.trim() });
      onCreated(created.id);
    });
  };

  return (
    <form className="card resident-detail resident-new" data-testid="my-request-form" onSubmit={submit}>
      <h2 className="card__title">{t('resident.requests.new')}</h2>
      <div className="field">
        <label htmlFor={ids.unit}>{t('resident.new.unit')}</label>
        <select id={ids.unit} data-testid="my-request-unit" required value={chosenUnit} onChange={(e) => setUnit(e.target.value)}>
          <option value="">—</option>
          {(units.data ?? []).map((u) => (
            <option key={u.id} value={u.id}>
              {u.buildingName} · {u.number}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.category}>{t('service.col.category')}</label>
        <select id={ids.category} data-testid="my-request-category" required value={category} onChange={(e) => setCategory(e.target.value as RequestCategory | '')}>
          <option value="">—</option>
          <CategoryOptions />
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.urgency}>{t('resident.new.urgency')}</label>
        <select id={ids.urgency} data-testid="my-request-urgency" value={urgency} onChange={(e) => setUrgency(e.target.value as RequestUrgency | '')}>
          <option value="">{t('service.intake.urgencyDefault')}</option>
          <UrgencyOptions />
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.location}>{t('resident.new.where')}</label>
        <input id={ids.location} data-testid="my-request-location" maxLength={500} value={location} placeholder={t('service.intake.locationHint')} onChange={(e) => setLocation(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.description}>{t('resident.new.description')}</label>
        <textarea id={ids.description} data-testid="my-request-description" required rows={4} maxLength={4000} value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <div className="button-row">
        <button type="submit" className="button button--primary" data-testid="my-request-submit" disabled={busy || !chosenUnit || !category || !description.trim()}>
          {t('resident.new.submit')}
        </button>
        <button type="button" className="button" onClick={() => navigate(['my-requests'])}>
          {t('service.cancel')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

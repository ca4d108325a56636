import { useId, useMemo, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatNumber, formatPercent } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { currentPeriods, fieldErrors } from './survey-helpers.ts';
import { addStaffReview, fetchStaffEvaluations, type StaffEvaluation } from './surveys-api.ts';

const EVALUATIONS_MS = 5 * 60_000;
const ratings = [1, 2, 3, 4, 5] as const;

/**
 * Service-quality evaluation of the staff over a month or quarter: the hub's score, the
 * owners' survey average, SLA kept and reopen rate, and the managers' written reviews,
 * with a form to add one.
 */
export function StaffEvaluationsPanel() {
  const t = useT();
  const { locale } = useLocale();
  const periodId = useId();
  const periods = useMemo(() => currentPeriods(new Date()), []);
  const [period, setPeriod] = useState(periods.quarter);
  const [reviewing, setReviewing] = useState<number | null>(null);
  const staff = usePolled(`staff-evaluations:${period}`, (signal) => fetchStaffEvaluations(period, signal), EVALUATIONS_MS);
  const ratio = (r: number | null) => (r === null ? '—' : formatPercent(locale, r));

  return (
    <section className="card sv-staff" data-testid="staff-evaluations" aria-busy={staff.loading}>
      <div className="card__head">
        <h2 className="card__title">{t('surveys.staff.title')}</h2>
        <div className="field field--inline">
          <label htmlFor={periodId}>{t('surveys.staff.period')}</label>
          <select id={periodId} data-testid="staff-period" value={period} onChange={(e) => setPeriod(e.target.value)}>
            <option value={periods.quarter}>{periods.quarter}</option>
            <option value={periods.month}>{periods.month}</option>
          </select>
        </div>
      </div>
      {staff.error ? <ErrorText error={staff.error} /> : null}
      {staff.data && staff.data.length === 0 ? <p className="empty-note">{t('surveys.staff.empty')}</p> : null}
      {staff.data?.length ? (
        <table className="data-table" data-testid="staff-table">
          <thead>
            <tr>
              <th scope="col">{t('surveys.staff.name')}</th>
              <th scope="col">{t('surveys.staff.score')}</th>
              <th scope="col">{t('surveys.staff.surveys')}</th>
              <th scope="col">{t('surveys.staff.sla')}</th>
              <th scope="col">{t('surveys.staff.reopen')}</th>
              <th scope="col">{t('surveys.staff.reviews')}</th>
            </tr>
          </thead>
          <tbody>
            {staff.data.map((s) => (
              <tr key={s.staffId} data-testid="staff-row" data-staff-id={s.staffId}>
                <th scope="row">
                  {s.name}
                  {s.position ? <span className="muted small"> · {s.position}</span> : null}
                </th>
                <td data-testid="staff-score">{s.score === null ? '—' : formatNumber(locale, Math.round(s.score))}</td>
                <td>{s.surveys.average === null ? '—' : `${formatNumber(locale, Math.round(s.surveys.average * 10) / 10)} / 5 (${formatNumber(locale, s.surveys.count)})`}</td>
                <td>{ratio(s.workOrders.slaKeptRatio)}</td>
                <td>{ratio(s.resolutions.reopenRate)}</td>
                <td className="sv-staff__reviews">
                  <Reviews evaluation={s} />
                  {reviewing === s.staffId ? (
                    <ReviewForm staffId={s.staffId} period={period} onDone={() => { setReviewing(null); staff.refresh(); }} />
                  ) : (
                    <button type="button" className="button button--small" data-testid="staff-review-open" onClick={() => setReviewing(s.staffId)}>
                      {t('surveys.staff.review')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

function Reviews({ evaluation }: { evaluation: StaffEvaluation }) {
  const { locale } = useLocale();
  if (!evaluation.reviews.length) return null;
  return (
    <ul className="sv-reviews" data-testid="staff-reviews">
      {evaluation.reviews.map((r) => (
        <li key={r.id} data-testid="staff-review">
          {r.rating === null ? null : <strong>{r.rating}/5 </strong>}
          {r.comment}{' '}
          <span className="muted small">
            {r.reviewer} · {formatDateTime(locale, r.at)}
          </span>
        </li>
      ))}
    </ul>
  );
}

function ReviewForm({ staffId, period, onDone }: { staffId: number; period: string; onDone: () => void }) {
  const t = useT();
  const ids = { rating: useId(), comment: useId() };
  const [rating, setRating] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const errors = fieldErrors(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!comment.trim()) return;
    setBusy(true);
    setError(null);
    try {
      await addStaffReview(staffId, { period, rating: rating ? Number(rating) : undefined, comment: comment.trim() });
      onDone();
    } catch (cause) {
      if (!isApiError(cause)) throw cause;
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="sv-review-form" data-testid="staff-review-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.rating}>{t('surveys.staff.rating')}</label>
        <select id={ids.rating} data-testid="staff-review-rating" value={rating} onChange={(e) => setRating(e.target.value)}>
          <option value="">{t('surveys.staff.noRating')}</option>
          {ratings.map((n) => (
            <option key={n} value={n}>
              {n} – {t(`surveys.score.${n}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.comment}>{t('surveys.staff.comment')}</label>
        <textarea id={ids.comment} data-testid="staff-review-comment" rows={3} maxLength={4000} required value={comment} aria-invalid={errors.comment ? true : undefined} onChange={(e) => setComment(e.target.value)} />
        {errors.comment ? <span className="sv-field-error">{errors.comment}</span> : null}
      </div>
      <button type="submit" className="button button--primary button--small" data-testid="staff-review-submit" disabled={busy || !comment.trim()}>
        {t('surveys.staff.submit')}
      </button>
      {error && Object.keys(errors).length === 0 ? <ErrorText error={error} /> : null}
    </form>
  );
}

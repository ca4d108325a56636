import { useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { fieldErrors, orderMyCampaigns, unanswered } from './survey-helpers.ts';
import { dimensionLabel } from './survey-labels.ts';
import { answerCampaign, listMyCampaigns, type MyCampaign, type SurveyDimension } from './surveys-api.ts';
import './surveys.css';

const scores = [1, 2, 3, 4, 5] as const;
/** Surveys open and close on dates: a slow poll is enough. */
const POLL_MS = 5 * 60_000;

/**
 * The owner's open satisfaction surveys: each one's dimensions scored 1–5 with an
 * optional comment, sent once; answered surveys stay listed as answered while open.
 */
export function MySurveysPage() {
  const t = useT();
  const list = usePolled('my-surveys', listMyCampaigns, POLL_MS);
  return (
    <div className="sv-page" data-testid="my-surveys-page">
      <PageHeader title={t('section.mySurveys')} subtitle={t('surveys.mine.subtitle')} />
      {list.error ? <ErrorText error={list.error} /> : null}
      {list.loading ? <p className="muted">{t('common.loading')}</p> : null}
      {list.data && list.data.length === 0 ? <p className="empty-note card">{t('surveys.mine.empty')}</p> : null}
      <ul className="sv-list" data-testid="my-surveys">
        {orderMyCampaigns(list.data ?? []).map((c) => (
          <li key={c.id}>
            <SurveyCard campaign={c} onAnswered={list.refresh} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function SurveyCard({ campaign: c, onAnswered }: { campaign: MyCampaign; onAnswered: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const buildings = useBuildingNames();
  const titleId = useId();
  return (
    <section className="card sv-card" aria-labelledby={titleId} data-testid="my-survey" data-campaign-id={c.id} data-answered={c.answeredAt === null ? 'false' : 'true'}>
      <div className="card__head">
        <div>
          <h2 className="card__title" id={titleId}>
            {c.title}
          </h2>
          <p className="muted small">
            {c.period} · {c.buildingId === null ? t('surveys.estate') : buildings.label(c.buildingId)} · {t('surveys.closes', { date: formatDateTime(locale, c.closesAt) })}
          </p>
        </div>
      </div>
      {c.answeredAt !== null ? (
        <p className="sv-answered" data-testid="my-survey-answered">
          {t('surveys.mine.answered', { date: formatDateTime(locale, c.answeredAt) })}
        </p>
      ) : (
        <AnswerForm campaign={c} onAnswered={onAnswered} />
      )}
    </section>
  );
}

function AnswerForm({ campaign, onAnswered }: { campaign: MyCampaign; onAnswered: () => void }) {
  const t = useT();
  const commentId = useId();
  const [given, setGiven] = useState<Partial<Record<SurveyDimension, number>>>({});
  const [comment, setComment] = useState('');
  const [missing, setMissing] = useState<SurveyDimension[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const errors = fieldErrors(error);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const left = unanswered(campaign.dimensions, given);
    setMissing(left);
    if (left.length) return;
    setBusy(true);
    setError(null);
    try {
      await answerCampaign(campaign.id, { scores: given, comment: comment.trim() || undefined });
      onAnswered();
    } catch (cause) {
      if (!isApiError(cause)) throw cause;
      // Answered already (another tab, a double click): the list shows it answered.
      if (cause.status === 409) onAnswered();
      setError(cause);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="sv-form" data-testid="my-survey-form" onSubmit={submit} noValidate>
      {campaign.dimensions.map((d) => {
        const problem = errors[`scores.${d}`] ?? (missing.includes(d) && given[d] === undefined ? t('surveys.mine.missing', { dimensions: dimensionLabel(t, d) }) : undefined);
        const errorId = `${commentId}-${d}-error`;
        return (
          <fieldset key={d} className={`sv-scale${problem ? ' has-error' : ''}`} role="radiogroup" aria-describedby={problem ? errorId : undefined} aria-invalid={problem ? true : undefined} data-testid={`my-survey-dimension-${d}`}>
            <legend>{dimensionLabel(t, d)}</legend>
            <div className="sv-scale__options">
              {scores.map((n) => (
                <label key={n} className={`sv-score${given[d] === n ? ' is-on' : ''}`} title={t(`surveys.score.${n}`)}>
                  <input type="radio" name={`${campaign.id}-${d}`} value={n} checked={given[d] === n} data-testid={`my-survey-score-${d}-${n}`} onChange={() => setGiven((g) => ({ ...g, [d]: n }))} />
                  <span aria-hidden="true">{n}</span>
                  <span className="visually-hidden">
                    {n} – {t(`surveys.score.${n}`)}
                  </span>
                </label>
              ))}
              {given[d] !== undefined ? <span className="muted small">{t(`surveys.score.${given[d] as 1 | 2 | 3 | 4 | 5}`)}</span> : null}
            </div>
            {problem ? (
              <span className="sv-field-error" id={errorId} data-testid="my-survey-field-error" data-field={`scores.${d}`}>
                {problem}
              </span>
            ) : null}
          </fieldset>
        );
      })}
      <div className="field">
        <label htmlFor={commentId}>{t('surveys.mine.comment')}</label>
        <textarea id={commentId} data-testid="my-survey-comment" rows={2} maxLength={2000} value={comment} aria-invalid={errors.comment ? true : undefined} onChange={(e) => setComment(e.target.value)} />
        {errors.comment ? (
          <span className="sv-field-error" data-testid="my-survey-field-error" data-field="comment">
            {errors.comment}
          </span>
        ) : null}
      </div>
      <button type="submit" className="button button--primary" data-testid="my-survey-submit" disabled={busy}>
        {t('surveys.mine.submit')}
      </button>
      {error?.status === 409 ? (
        <p className="sv-field-error" role="alert">
          {t('surveys.mine.already')}
        </p>
      ) : null}
      {/* Per-field problems sit by their fields; anything else is said here. */}
      {error && error.status !== 409 && Object.keys(errors).length === 0 ? <ErrorText error={error} /> : null}
    </form>
  );
}

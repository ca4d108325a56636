import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { formatHash } from '../router/hash-router.ts';
import { DetailPanelHead, DetailPanelPending, useTitleFocus } from '../shell/detail-panel.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { sectionsFor } from '../shell/sections.ts';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { requestStatusTone } from './request-flow.ts';
import { categoryLabel, channelLabel, requestStatusLabel, urgencyLabel } from './request-labels.ts';
import { CategoryOptions, UrgencyOptions } from './request-options.tsx';
import { RequestProgress, RequestTimeline } from './request-progress.tsx';
import {
  addRequestEvent,
  classifyServiceRequest,
  fetchServiceRequest,
  rejectServiceRequest,
  requestNoteActions,
  type RequestCategory,
  type RequestNoteAction,
  type RequestUrgency,
  type ServiceRequest,
} from './service-api.ts';

/**
 * One request for the service desk: its facts and progress, the classification that
 * turns it into a work order (or its rejection), the timeline with notes, photos and
 * exceptions, and the requester's rating once given. Mounted with `key={id}`.
 */
export function RequestDetailPanel({ id, onClose, onChanged }: { id: number; onClose: () => void; onChanged: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const user = useUser();
  const buildings = useBuildingNames();
  // Reading a request brings its status up to its work order's: a short poll keeps it current.
  const detail = usePolled(`request:${id}`, (signal) => fetchServiceRequest(id, signal), 10_000);
  const headingRef = useTitleFocus(detail.data !== undefined);

  const changed = () => {
    detail.refresh();
    onChanged();
  };

  if (!detail.data) {
    return (
      <DetailPanelPending
        className="sr-detail"
        testId="request-detail"
        eyebrow={t('service.detail.eyebrow')}
        notFound={t('service.detail.notFound')}
        loading={detail.loading}
        error={detail.error}
        onClose={onClose}
      />
    );
  }

  const { request: r, events, survey } = detail.data;
  const seesWorkOrders = sectionsFor(user.role).includes('work-orders');
  return (
    <aside className="office-detail sr-detail card" data-testid="request-detail" data-request-id={r.id} data-status={r.status} aria-labelledby="sr-detail-title">
      <DetailPanelHead eyebrow={channelLabel(t, r.channel)} title={r.number} titleId="sr-detail-title" headingRef={headingRef} closeTestId="request-detail-close" onClose={onClose} />
      <p className="sr-detail__description">{r.description}</p>
      <dl className="facts sr-facts">
        <dt>{t('service.col.status')}</dt>
        <dd>
          <span className={`pill pill--${requestStatusTone(r.status)}`} data-testid="request-status" data-status={r.status}>
            {requestStatusLabel(t, r.status)}
          </span>
        </dd>
        <dt>{t('service.col.category')}</dt>
        <dd>{categoryLabel(t, r.category)}</dd>
        <dt>{t('service.col.urgency')}</dt>
        <dd>
          <span className={`pill pill--${r.urgency}`}>{urgencyLabel(t, r.urgency)}</span>
        </dd>
        <dt>{t('service.col.where')}</dt>
        <dd>
          {buildings.label(r.buildingId)}
          {r.unit ? ` · ${t('service.detail.unit', { number: r.unit.number })}` : ''}
          {r.location ? ` · ${r.location}` : ''}
        </dd>
        <dt>{t('service.detail.contact')}</dt>
        <dd>{r.contactName ?? '—'}</dd>
        <dt>{t('service.detail.takenBy')}</dt>
        <dd>
          {r.createdBy} · {formatDateTime(locale, r.createdAt)}
        </dd>
        <dt>{t('service.col.workOrder')}</dt>
        <dd data-testid="request-work-order" data-wo-id={r.workOrder?.id ?? ''}>
          {r.workOrder ? seesWorkOrders ? <a href={formatHash(['work-orders', r.workOrder.id])}>{r.workOrder.number}</a> : r.workOrder.number : t('service.detail.noWorkOrder')}
        </dd>
      </dl>

      <RequestProgress request={r} />

      {r.status === 'new' ? <ClassifyForm request={r} onDone={changed} /> : null}
      {r.classifiedAt && r.workOrder ? (
        <p className="sr-dispatch small" data-testid="request-dispatch-info">
          {t('service.detail.dispatched', { time: formatDateTime(locale, r.dispatchedAt ?? r.classifiedAt), number: r.workOrder.number })}
        </p>
      ) : null}

      <section className="office-section" aria-labelledby="sr-timeline-title">
        <h3 className="office-section__title" id="sr-timeline-title">
          {t('service.timeline.title')}
        </h3>
        <RequestTimeline events={events} />
        <EventForm requestId={r.id} onDone={changed} />
      </section>

      <section className="office-section" aria-labelledby="sr-survey-title">
        <h3 className="office-section__title" id="sr-survey-title">
          {t('service.survey.title')}
        </h3>
        {survey ? (
          <p data-testid="request-survey" data-score={survey.score}>
            <span className="sr-stars" aria-label={t('service.survey.score', { score: survey.score })}>
              {'★'.repeat(survey.score)}
              {'☆'.repeat(5 - survey.score)}
            </span>{' '}
            {survey.comment ? <q>{survey.comment}</q> : null} <span className="muted small">{formatDateTime(locale, survey.at)}</span>
          </p>
        ) : (
          <p className="muted small">{r.status === 'closed' ? t('service.survey.awaiting') : t('service.survey.afterClose')}</p>
        )}
      </section>
    </aside>
  );
}

function ClassifyForm({ request, onDone }: { request: ServiceRequest; onDone: () => void }) {
  const t = useT();
  const ids = { category: useId(), urgency: useId(), note: useId(), reason: useId() };
  const [category, setCategory] = useState<RequestCategory>(request.category);
  const [urgency, setUrgency] = useState<RequestUrgency>(request.urgency);
  const [note, setNote] = useState('');
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const { busy, error, send } = useSubmission();

  const run = async (event: FormEvent, act: () => Promise<unknown>) => {
    event.preventDefault();
    await send(async () => {
      await act();
      onDone();
    });
  };

  return (
    <div className="office-section sr-classify" data-testid="request-classify">
      <h3 className="office-section__title">{t('service.classify.title')}</h3>
      <p className="muted small">{t('service.classify.about')}</p>
      <form className="sr-form" onSubmit={(e) => run(e, () => classifyServiceRequest(request.id, { category, urgency, note: note.trim() || undefined }))}>
        <div className="sr-form__row">
          <div className="field">
            <label htmlFor={ids.category}>{t('service.col.category')}</label>
            <select id={ids.category} data-testid="request-classify-category" value={category} onChange={(e) => setCategory(e.target.value as RequestCategory)}>
              <CategoryOptions />
            </select>
          </div>
          <div className="field">
            <label htmlFor={ids.urgency}>{t('service.col.urgency')}</label>
            <select id={ids.urgency} data-testid="request-classify-urgency" value={urgency} onChange={(e) => setUrgency(e.target.value as RequestUrgency)}>
              <UrgencyOptions />
            </select>
          </div>
          <div className="field field--grow">
            <label htmlFor={ids.note}>{t('service.classify.note')}</label>
            <input id={ids.note} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          </div>
        </div>
        <div className="button-row">
          <button type="submit" className="button button--primary" data-testid="request-classify-submit" disabled={busy}>
            {t('service.classify.submit')}
          </button>
          {!rejecting ? (
            <button type="button" className="button" data-testid="request-reject" onClick={() => setRejecting(true)}>
              {t('service.reject.open')}
            </button>
          ) : null}
        </div>
      </form>
      {rejecting ? (
        <form className="sr-form sr-form__row" onSubmit={(e) => run(e, () => rejectServiceRequest(request.id, reason.trim()))}>
          <div className="field field--grow">
            <label htmlFor={ids.reason}>{t('service.reject.reason')}</label>
            <input id={ids.reason} data-testid="request-reject-reason" required value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
          </div>
          <button type="submit" className="button button--primary" data-testid="request-reject-submit" disabled={busy || !reason.trim()}>
            {t('service.reject.submit')}
          </button>
          <button type="button" className="button" onClick={() => setRejecting(false)}>
            {t('service.cancel')}
          </button>
        </form>
      ) : null}
      {error ? <ErrorText error={error} /> : null}
    </div>
  );
}

/** Photos are given as addresses or evidence ids, one per line. */
function photoList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

function EventForm({ requestId, onDone }: { requestId: number; onDone: () => void }) {
  const t = useT();
  const ids = { action: useId(), note: useId(), photos: useId(), location: useId() };
  const [action, setAction] = useState<RequestNoteAction>('note');
  const [note, setNote] = useState('');
  const [photos, setPhotos] = useState('');
  const [location, setLocation] = useState('');
  const { busy, error, send } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await send(async () => {
      const list = photoList(photos);
      await addRequestEvent(requestId, { action, note: note.trim(), photos: list.length ? list : undefined, location: location.trim() || undefined });
      setNote('');
      setPhotos('');
      setLocation('');
      onDone();
    });
  };

  return (
    <form className="sr-form sr-event-form" data-testid="request-event-form" onSubmit={submit}>
      <div className="sr-form__row">
        <div className="field">
          <label htmlFor={ids.action}>{t('service.event.kind')}</label>
          <select id={ids.action} data-testid="request-event-action" value={action} onChange={(e) => setAction(e.target.value as RequestNoteAction)}>
            {requestNoteActions.map((a) => (
              <option key={a} value={a}>
                {t(`service.event.${a}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label htmlFor={ids.note}>{t('service.event.text')}</label>
          <input id={ids.note} data-testid="request-event-note" required value={note} maxLength={4000} onChange={(e) => setNote(e.target.value)} />
        </div>
      </div>
      <div className="sr-form__row">
        <div className="field field--grow">
          <label htmlFor={ids.photos}>{t('service.event.photos')}</label>
          <textarea id={ids.photos} rows={2} value={photos} placeholder="https://…" onChange={(e) => setPhotos(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.location}>{t('service.event.location')}</label>
          <input id={ids.location} value={location} maxLength={500} onChange={(e) => setLocation(e.target.value)} />
        </div>
        <button type="submit" className="button" data-testid="request-event-submit" disabled={busy || !note.trim()}>
          {action === 'exception' ? t('service.event.addException') : t('service.event.addNote')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { requestProgress } from './request-flow.ts';
import { eventActionLabel, progressLabel, requestStatusLabel } from './request-labels.ts';
import { requestStatuses, type RequestEvent, type RequestStatus, type ServiceRequest } from './service-api.ts';

const isStatus = (value: string | null): value is RequestStatus => value !== null && (requestStatuses as readonly string[]).includes(value);

/** The steps from "received" to "closed", ticked off as the work order moves. */
export function RequestProgress({ request }: { request: ServiceRequest }) {
  const t = useT();
  const { locale } = useLocale();
  const marks = requestProgress(request);
  return (
    <ol className="sr-progress" data-testid="request-progress" data-status={request.status} aria-label={t('service.progress.label')}>
      {marks.map((m) => (
        <li key={m.step} className={`sr-progress__step sr-progress__step--${m.state}`} data-state={m.state} aria-current={m.state === 'current' ? 'step' : undefined}>
          <span className="sr-progress__dot" aria-hidden="true" />
          <span className="sr-progress__name">{progressLabel(t, m.step)}</span>
          {m.at ? <span className="muted small">{formatDateTime(locale, m.at)}</span> : null}
        </li>
      ))}
      {request.status === 'rejected' ? (
        <li className="sr-progress__step sr-progress__step--rejected" data-state="rejected">
          <span className="sr-progress__dot" aria-hidden="true" />
          <span className="sr-progress__name">{requestStatusLabel(t, 'rejected')}</span>
          {request.closedAt ? <span className="muted small">{formatDateTime(locale, request.closedAt)}</span> : null}
        </li>
      ) : null}
    </ol>
  );
}

/** Every entry of the request's timeline, oldest first; exceptions stand out. */
export function RequestTimeline({ events }: { events: readonly RequestEvent[] }) {
  const t = useT();
  const { locale } = useLocale();
  if (events.length === 0) return <p className="empty-note small">{t('service.timeline.empty')}</p>;
  return (
    <ol className="sr-timeline" data-testid="request-timeline">
      {events.map((e) => (
        <li key={e.id} className={`sr-timeline__item sr-timeline__item--${e.action}`} data-testid="request-event" data-action={e.action}>
          <div className="sr-timeline__head">
            <strong>{eventActionLabel(t, e.action)}</strong>
            {isStatus(e.fromStatus) && isStatus(e.toStatus) && e.fromStatus !== e.toStatus ? (
              <span className="muted small">
                {requestStatusLabel(t, e.fromStatus)} → {requestStatusLabel(t, e.toStatus)}
              </span>
            ) : null}
            <span className="muted small sr-timeline__meta">
              {formatDateTime(locale, e.at)} · {e.actor}
            </span>
          </div>
          {e.note ? <p className="sr-timeline__note">{e.note}</p> : null}
          {e.location ? <p className="muted small">{t('service.timeline.where', { location: e.location })}</p> : null}
          {e.photos.length ? (
            <ul className="sr-timeline__photos">
              {e.photos.map((photo, i) => (
                <li key={photo}>
                  {/^https?:\/\//.test(photo) ? (
                    <a href={photo} target="_blank" rel="noreferrer noopener">
                      {t('service.timeline.photo', { n: i + 1 })}
                    </a>
                  ) : (
                    <code className="small">{photo}</code>
                  )}
                </li>
              ))}
            </ul>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

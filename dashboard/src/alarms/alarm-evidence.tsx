import { useEffect, useState } from 'react';
import { isAbortError } from '../api/client.ts';
import { listEpisodeEvidence, type AlarmEvidenceEvent, type AlarmTransition, type AlarmView, type Evidence, type EvidenceFailure } from '../api/hub-api.ts';
import { readToken } from '../auth/session-store.ts';
import { deviceTypeLabel } from '../devices/device-labels.ts';
import { formatTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveClient } from '../live/live-context.tsx';

/** The bytes' URL as <img>/<video> can fetch it: they send no Authorization header, so the token rides in the query. */
function evidenceSrc(evidence: Evidence): string {
  const token = readToken();
  return token ? `${evidence.url}?token=${encodeURIComponent(token)}` : evidence.url;
}

function isEvidenceEvent(data: unknown): data is AlarmEvidenceEvent {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as Record<string, unknown>;
  return typeof d.alarmId === 'number' && typeof d.episodeId === 'number' && Array.isArray(d.evidence);
}

interface EvidenceState {
  episodeId: number;
  items: Evidence[];
  /** Failures heard live for this episode (older ones come from the timeline's notes). */
  failed: EvidenceFailure[];
  error: boolean;
}

/**
 * The snapshots and clips the cameras took for the alarm's episode: loaded when the
 * alarm opens and again whenever an `alarm.evidence` live event names this alarm.
 * Failures (camera offline, no answer) are said, so nobody waits for a picture.
 */
export function AlarmEvidence({ alarm, transitions, onEvidence }: { alarm: AlarmView; transitions: AlarmTransition[] | null; onEvidence?: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const live = useLiveClient();
  const episodeId = alarm.episodeId;
  const [state, setState] = useState<EvidenceState | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    if (episodeId === null) return;
    const controller = new AbortController();
    listEpisodeEvidence(episodeId, controller.signal).then(
      (items) => setState((previous) => ({ episodeId, items, failed: previous?.episodeId === episodeId ? previous.failed : [], error: false })),
      (cause: unknown) => {
        if (!isAbortError(cause)) setState((previous) => ({ episodeId, items: previous?.episodeId === episodeId ? previous.items : [], failed: previous?.episodeId === episodeId ? previous.failed : [], error: true }));
      },
    );
    return () => controller.abort();
  }, [episodeId, reload]);

  useEffect(
    () =>
      live.onMessage((message) => {
        if (message.type !== 'alarm.evidence' || !isEvidenceEvent(message.data) || message.data.alarmId !== alarm.alarmId) return;
        const event = message.data;
        if (event.failed?.length) {
          setState((previous) => ({
            episodeId: event.episodeId,
            items: previous?.episodeId === event.episodeId ? previous.items : [],
            failed: [...(previous?.episodeId === event.episodeId ? previous.failed : []), ...event.failed],
            error: false,
          }));
        }
        setReload((n) => n + 1);
        onEvidence?.();
      }),
    [live, alarm.alarmId, onEvidence],
  );

  const current = state && state.episodeId === episodeId ? state : null;
  const items = current?.items ?? [];
  const notes = (transitions ?? []).filter((tr) => tr.action === 'evidence-failed' && tr.episodeId === episodeId).map((tr) => tr.note ?? '');
  const failures = notes.length ? notes : (current?.failed ?? []).map((f) => (f.cameraName ? `${f.kind} · ${f.cameraName}: ${f.reason}` : f.reason));

  return (
    <section
      className="alarm-detail__section alarm-evidence"
      data-testid="alarm-evidence"
      data-device-id={alarm.deviceId}
      data-episode-id={episodeId ?? ''}
      data-evidence={items.length ? 'present' : 'none'}
      aria-busy={episodeId !== null && current === null}
    >
      <h3>{t('alarms.evidence.title')}</h3>
      {items.length ? (
        <ul className="alarm-evidence__list">
          {items.map((e) => (
            <li
              key={e.id}
              className={`alarm-evidence__item${e.late ? ' alarm-evidence__item--late' : ''}`}
              data-testid="alarm-evidence-item"
              data-kind={e.kind}
              data-evidence-id={e.id}
              data-camera-id={e.cameraId}
              data-late={e.late}
            >
              {e.kind === 'snapshot' ? (
                <a href={evidenceSrc(e)} target="_blank" rel="noreferrer">
                  <img
                    className="alarm-evidence__media"
                    data-testid="alarm-evidence-image"
                    src={evidenceSrc(e)}
                    alt={t('security.evidence.snapshotAlt', { camera: e.cameraName })}
                    width={e.width ?? undefined}
                    height={e.height ?? undefined}
                  />
                </a>
              ) : (
                <video className="alarm-evidence__media" data-testid="alarm-evidence-clip" src={evidenceSrc(e)} controls preload="metadata" />
              )}
              <span className="alarm-evidence__caption">
                {e.kind === 'snapshot' ? t('security.evidence.snapshot') : t('security.evidence.clip', { seconds: e.seconds ?? '?' })} ·{' '}
                <span className="alarm-evidence__camera" data-testid="alarm-evidence-camera" title={t('security.evidence.camera')}>
                  {t('security.evidence.fromCamera', { camera: e.cameraName, code: e.cameraCode })}
                </span>{' '}
                · {formatTime(locale, e.capturedAt)}
              </span>
              {/* Kept though it missed the hub's snapshot deadline: the guard sees it is not the moment of the alarm. */}
              {e.late ? (
                <span className="alarm-evidence__late warning-text" data-testid="alarm-evidence-late" title={t('security.evidence.lateHint')}>
                  {t('security.evidence.late')}
                </span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <div className="alarm-evidence__frame">
          <span className="alarm-evidence__device">
            {alarm.deviceName} · {deviceTypeLabel(t, alarm.deviceType)}
          </span>
          <span className="alarm-evidence__none">{current?.error ? t('security.evidence.loadFailed') : t('alarms.evidence.none')}</span>
        </div>
      )}
      {failures.length ? (
        <ul className="alarm-evidence__failures" data-testid="alarm-evidence-failures">
          {failures.map((reason, i) => (
            <li key={i} className="warning-text" data-testid="alarm-evidence-failure">
              {t('security.evidence.failed', { reason })}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

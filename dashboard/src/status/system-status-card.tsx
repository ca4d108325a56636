import { isApiError, type ApiError } from '../api/client.ts';
import { fetchHealth, fetchReady, type ReadyAnswer } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from '../shell/error-text.tsx';

const REFRESH_MS = 15_000;

type Tone = 'ok' | 'critical' | 'medium' | 'unknown';

function StatusRow({ testId, label, tone, value, detail }: { testId: string; label: string; tone: Tone; value: string; detail?: string }) {
  return (
    <div className="status-row" data-testid={testId} data-tone={tone}>
      <dt>{label}</dt>
      <dd>
        <span className={`pill pill--${tone}`}>{value}</span>
        {detail ? <span className="status-row__detail">{detail}</span> : null}
      </dd>
    </div>
  );
}

/** Hub liveness (/api/health) and readiness of its database and broker (/api/ready). */
export function SystemStatusCard() {
  const t = useT();
  const { locale } = useLocale();
  const health = usePolled('health', fetchHealth, REFRESH_MS);
  const ready = usePolled<ReadyAnswer>('ready', fetchReady, REFRESH_MS);

  const hubTone: Tone = health.data?.status === 'ok' && !health.error ? 'ok' : health.error ? 'critical' : 'unknown';
  const hubValue = health.error ? t('status.unreachable') : health.data ? t('status.ok') : t('common.loading');

  const r = ready.error ? undefined : ready.data;
  const unknown = ready.error ? t('status.unreachable') : t('common.loading');
  const updatedAt = Math.max(health.updatedAt ?? 0, ready.updatedAt ?? 0);
  const firstError: ApiError | null = health.error ?? ready.error;

  return (
    <section className="card status-card" data-testid="system-status" aria-labelledby="system-status-title">
      <div className="card__head">
        <h2 className="card__title" id="system-status-title">
          {t('status.title')}
        </h2>
        <button
          type="button"
          className="button button--small"
          data-testid="system-status-refresh"
          onClick={() => {
            health.refresh();
            ready.refresh();
          }}
        >
          {t('common.refresh')}
        </button>
      </div>
      <dl className="status-list">
        <StatusRow testId="status-hub" label={t('status.hub')} tone={hubTone} value={hubValue} />
        <StatusRow
          testId="status-ready"
          label={t('status.readiness')}
          tone={r ? (r.status === 'ready' ? 'ok' : 'medium') : ready.error ? 'critical' : 'unknown'}
          value={r ? (r.status === 'ready' ? t('status.ready') : t('status.notReady')) : unknown}
        />
        <StatusRow
          testId="status-database"
          label={t('status.database')}
          tone={r ? (r.database.ok ? 'ok' : 'critical') : 'unknown'}
          value={r ? (r.database.ok ? t('status.ok') : t('status.down')) : unknown}
          detail={r ? `${t(`status.db.${r.database.kind}`)} · ${t(`status.storage.${r.database.storage}`)}` : undefined}
        />
        <StatusRow
          testId="status-broker"
          label={t('status.broker')}
          tone={r ? (r.broker.ok ? 'ok' : 'critical') : 'unknown'}
          value={r ? (r.broker.ok ? t('status.ok') : t('status.down')) : unknown}
          detail={r ? t(`status.broker.${r.broker.kind}`) : undefined}
        />
      </dl>
      <p className="card__foot">
        {firstError && isApiError(firstError) ? <ErrorText error={firstError} /> : null}
        {updatedAt > 0 ? <span className="muted">{t('common.updated', { time: formatTime(locale, updatedAt) })}</span> : null}
      </p>
    </section>
  );
}

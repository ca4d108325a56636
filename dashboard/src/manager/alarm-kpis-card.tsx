import { lazy, Suspense, useCallback } from 'react';
import { fetchAlarmKpis, workOrderPriorities, type AlarmKpis, type WorkOrderPriority } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime, formatDuration, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { priorityLabel } from '../workorders/labels.ts';
import { KpiBlock, KpiCard, KpiTile } from './kpi-parts.tsx';
import { contributorRows, FLOOD_THRESHOLD_PER_10_MIN, rangeSpan, rateRows, type KpiRange } from './kpi-range.ts';
import { useLiveRefresh } from './use-live-refresh.ts';

const HorizontalBars = lazy(() => import('./kpi-charts.tsx').then((m) => ({ default: m.HorizontalBars })));
const AlarmRateChart = lazy(() => import('./kpi-charts.tsx').then((m) => ({ default: m.AlarmRateChart })));

const REFRESH_MS = 60_000;
/** EEMUA 191 / ISA-18.2 benchmarks an operator can sustain: about 1 alarm per 10 minutes, under 6 per hour. */
const MANAGEABLE_PER_10_MIN = 1;
const severityColour: Record<WorkOrderPriority, string> = { critical: '#d62828', high: '#ea6a0a', medium: '#d99a00', low: '#2f80ed' };

/**
 * Alarm-system health after ISA-18.2 / EEMUA 191 for the chosen range: load on the
 * operators (activations per 10 min and per hour, floods), bad actors (chattering,
 * stale, top-10 contributors) and how fast alarms are acknowledged.
 */
export function AlarmKpisCard({ range }: { range: KpiRange }) {
  const t = useT();
  const { locale } = useLocale();
  const kpis = usePolled<AlarmKpis>(`alarm-kpis:${range}`, (signal) => fetchAlarmKpis(rangeSpan(range, Date.now()), signal), REFRESH_MS);
  const { refresh } = kpis;
  useLiveRefresh(['alarm.'], useCallback(() => refresh(), [refresh]), 15_000);
  const seconds = (s: number | null) => (s === null ? '—' : formatDuration(locale, s));

  return (
    <KpiCard testId="kpi-alarms" title={t('kpi.alarms.title')} about={t('kpi.alarms.about')} polled={kpis}>
      {(k) => (
        <>
          <div className="kpi-tiles">
            <KpiTile testId="kpi-alarms-activations" label={t('kpi.alarms.activations')} value={formatNumber(locale, k.activations)} sub={t('kpi.alarms.episodes', { n: k.episodes })} />
            <KpiTile
              testId="kpi-alarms-per10"
              label={t('kpi.alarms.per10Min')}
              value={formatNumber(locale, k.per10Min.average)}
              sub={t('kpi.peak', { n: formatNumber(locale, k.per10Min.peak) })}
              tone={k.per10Min.average > MANAGEABLE_PER_10_MIN ? 'warn' : 'ok'}
            />
            <KpiTile testId="kpi-alarms-perHour" label={t('kpi.alarms.perHour')} value={formatNumber(locale, k.perHour.average)} sub={t('kpi.peak', { n: formatNumber(locale, k.perHour.peak) })} />
            <KpiTile
              testId="kpi-alarms-floods"
              label={t('kpi.alarms.floods')}
              value={formatNumber(locale, k.floods.length)}
              sub={t('kpi.alarms.floodShare', { pct: formatNumber(locale, k.floodPercent) })}
              tone={k.floods.length > 0 ? 'bad' : 'ok'}
            />
            <KpiTile
              testId="kpi-alarms-tta"
              label={t('kpi.alarms.timeToAck')}
              value={seconds(k.timeToAck.medianSec)}
              sub={k.timeToAck.count ? t('kpi.alarms.ackSub', { p90: seconds(k.timeToAck.p90Sec), avg: seconds(k.timeToAck.averageSec), n: k.timeToAck.count }) : t('kpi.alarms.noAcks')}
            />
            <KpiTile testId="kpi-alarms-chattering" label={t('kpi.alarms.chattering')} value={formatNumber(locale, k.chattering.length)} sub={t('kpi.alarms.stale', { n: k.stale.length })} tone={k.chattering.length ? 'warn' : 'ok'} />
          </div>

          <div className="kpi-blocks">
            <KpiBlock title={t('kpi.alarms.rate')} wide>
              <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                <AlarmRateChart
                  testId="kpi-alarms-rate"
                  locale={locale}
                  rows={rateRows(k.series, k.from, k.to)}
                  threshold={FLOOD_THRESHOLD_PER_10_MIN}
                  labels={{ count: t('kpi.alarms.rateCount'), threshold: t('kpi.alarms.floodThreshold', { n: FLOOD_THRESHOLD_PER_10_MIN }) }}
                />
              </Suspense>
            </KpiBlock>
            <KpiBlock title={t('kpi.alarms.top10')} wide>
              {k.topContributors.length === 0 ? (
                <p className="empty-note">{t('kpi.alarms.none')}</p>
              ) : (
                <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                  <HorizontalBars
                    testId="kpi-alarms-top10"
                    locale={locale}
                    valueName={t('kpi.alarms.activations')}
                    rows={contributorRows(k).map((r) => ({ label: r.label, value: r.activations }))}
                  />
                </Suspense>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.alarms.byPriority')}>
              {k.byPriority.length === 0 ? (
                <p className="empty-note">{t('kpi.alarms.none')}</p>
              ) : (
                <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                  <HorizontalBars
                    testId="kpi-alarms-priority"
                    locale={locale}
                    valueName={t('kpi.alarms.activations')}
                    rows={workOrderPriorities.map((p) => ({
                      label: priorityLabel(t, p),
                      value: k.byPriority.find((b) => b.priority === p)?.activations ?? 0,
                      tone: severityColour[p],
                    }))}
                  />
                </Suspense>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.alarms.chatteringList')}>
              {k.chattering.length === 0 ? (
                <p className="empty-note">{t('kpi.alarms.noChattering')}</p>
              ) : (
                <table className="kpi-table" data-testid="kpi-alarms-chattering-list">
                  <thead>
                    <tr>
                      <th scope="col">{t('kpi.alarms.alarm')}</th>
                      <th scope="col" className="num">
                        {t('kpi.alarms.maxPerMinute')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {k.chattering.slice(0, 10).map((c) => (
                      <tr key={c.alarmId}>
                        <td>
                          {c.deviceName} <span className="muted">· {c.ruleName}</span>
                        </td>
                        <td className="num">{c.maxPerMinute}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.alarms.floodList')}>
              {k.floods.length === 0 ? (
                <p className="empty-note">{t('kpi.alarms.noFloods')}</p>
              ) : (
                <table className="kpi-table" data-testid="kpi-alarms-flood-list">
                  <thead>
                    <tr>
                      <th scope="col">{t('kpi.alarms.floodStart')}</th>
                      <th scope="col" className="num">
                        {t('kpi.alarms.activations')}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {k.floods.slice(-10).map((f) => (
                      <tr key={f.start}>
                        <td>{formatDateTime(locale, f.start)}</td>
                        <td className="num">{f.count}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              {k.stale.length ? (
                <p className="small warning-text kpi-stale">{t('kpi.alarms.staleList', { list: k.stale.slice(0, 5).map((s) => `${s.deviceName} · ${s.ruleName}`).join('; ') })}</p>
              ) : null}
            </KpiBlock>
          </div>
        </>
      )}
    </KpiCard>
  );
}

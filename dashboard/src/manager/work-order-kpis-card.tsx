import { lazy, Suspense, useCallback } from 'react';
import { fetchWorkOrderKpis, type SlaCompliance, type WorkOrderKpis } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDuration, formatNumber, formatPercent } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { tradeLabel } from '../workorders/labels.ts';
import { KpiBlock, KpiCard, KpiTile } from './kpi-parts.tsx';
import { rangeSpan, tradeRows, type KpiRange } from './kpi-range.ts';
import { useLiveRefresh } from './use-live-refresh.ts';

const HorizontalBars = lazy(() => import('./kpi-charts.tsx').then((m) => ({ default: m.HorizontalBars })));
const GroupedBars = lazy(() => import('./kpi-charts.tsx').then((m) => ({ default: m.GroupedBars })));

const REFRESH_MS = 60_000;
/** Below this share of work orders within SLA the tile turns red; below the upper one, amber. */
const SLA_BAD = 0.8;
const SLA_GOOD = 0.95;

function slaTone(sla: SlaCompliance): 'ok' | 'warn' | 'bad' | undefined {
  if (sla.compliance === null) return undefined;
  return sla.compliance < SLA_BAD ? 'bad' : sla.compliance < SLA_GOOD ? 'warn' : 'ok';
}

/**
 * Work-order performance for the chosen range: the open backlog by trade, SLA
 * compliance (accept and resolve), mean time to accept and to resolve, per trade and
 * per building.
 */
export function WorkOrderKpisCard({ range }: { range: KpiRange }) {
  const t = useT();
  const { locale } = useLocale();
  const { label: buildingLabel } = useBuildingNames();
  const kpis = usePolled<WorkOrderKpis>(`wo-kpis:${range}`, (signal) => fetchWorkOrderKpis(rangeSpan(range, Date.now()), signal), REFRESH_MS);
  const { refresh } = kpis;
  useLiveRefresh(['workorder.'], useCallback(() => refresh(), [refresh]), 10_000);
  const k = kpis.data;
  const rows = k ? tradeRows(k) : [];
  const compliance = (sla: SlaCompliance) => (sla.compliance === null ? '—' : formatPercent(locale, sla.compliance));
  const duration = (s: number | null) => (s === null ? '—' : formatDuration(locale, s));
  const openTotal = k ? k.openByTrade.reduce((n, o) => n + o.open, 0) : 0;

  return (
    <KpiCard testId="kpi-workorders" title={t('kpi.wo.title')} about={t('kpi.wo.about')} polled={kpis}>
      {(k) => (
        <>
          <div className="kpi-tiles">
            <KpiTile testId="kpi-wo-open" label={t('kpi.wo.open')} value={formatNumber(locale, openTotal)} sub={t('kpi.wo.openSub')} />
            <KpiTile testId="kpi-wo-created" label={t('kpi.wo.created')} value={formatNumber(locale, k.overall.created)} sub={t('kpi.wo.resolvedSub', { n: k.overall.resolved, cancelled: k.overall.cancelled })} />
            <KpiTile
              testId="kpi-wo-accept-sla"
              label={t('kpi.wo.acceptSla')}
              value={compliance(k.overall.acceptSla)}
              sub={t('kpi.wo.slaSub', { met: k.overall.acceptSla.met, measured: k.overall.acceptSla.measured })}
              tone={slaTone(k.overall.acceptSla)}
            />
            <KpiTile
              testId="kpi-wo-resolve-sla"
              label={t('kpi.wo.resolveSla')}
              value={compliance(k.overall.resolveSla)}
              sub={t('kpi.wo.slaSub', { met: k.overall.resolveSla.met, measured: k.overall.resolveSla.measured })}
              tone={slaTone(k.overall.resolveSla)}
            />
            <KpiTile testId="kpi-wo-mtta" label={t('kpi.wo.mtta')} value={duration(k.overall.mttaSeconds)} sub={t('kpi.wo.mttaSub')} />
            <KpiTile testId="kpi-wo-mttr" label={t('kpi.wo.mttr')} value={duration(k.overall.mttrSeconds)} sub={t('kpi.wo.mttrSub')} />
          </div>

          <div className="kpi-blocks">
            <KpiBlock title={t('kpi.wo.openByTrade')}>
              {k.openByTrade.length === 0 ? (
                <p className="empty-note">{t('kpi.wo.noOpen')}</p>
              ) : (
                <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                  <HorizontalBars testId="kpi-wo-open-by-trade" locale={locale} valueName={t('kpi.wo.open')} rows={rows.filter((r) => r.open > 0).map((r) => ({ label: tradeLabel(t, r.trade), value: r.open }))} />
                </Suspense>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.wo.slaByTrade')}>
              {k.byTrade.length === 0 ? (
                <p className="empty-note">{t('kpi.wo.noneInRange')}</p>
              ) : (
                <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                  <GroupedBars
                    testId="kpi-wo-sla-by-trade"
                    locale={locale}
                    categoryKey="label"
                    suffix="%"
                    max={100}
                    rows={rows.filter((r) => k.byTrade.some((b) => b.trade === r.trade)).map((r) => ({ label: tradeLabel(t, r.trade), accept: r.acceptPct, resolve: r.resolvePct }))}
                    series={[
                      { key: 'accept', name: t('kpi.wo.acceptSla'), color: '#2f6fed' },
                      { key: 'resolve', name: t('kpi.wo.resolveSla'), color: '#1f9d55' },
                    ]}
                  />
                </Suspense>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.wo.timesByTrade')}>
              {k.byTrade.length === 0 ? (
                <p className="empty-note">{t('kpi.wo.noneInRange')}</p>
              ) : (
                <Suspense fallback={<p className="muted chart-placeholder">{t('device.chartLoading')}</p>}>
                  <GroupedBars
                    testId="kpi-wo-times-by-trade"
                    locale={locale}
                    categoryKey="label"
                    suffix={` ${t('kpi.minutes')}`}
                    rows={rows.filter((r) => k.byTrade.some((b) => b.trade === r.trade)).map((r) => ({ label: tradeLabel(t, r.trade), mtta: r.mttaMin, mttr: r.mttrMin }))}
                    series={[
                      { key: 'mtta', name: t('kpi.wo.mtta'), color: '#2f6fed' },
                      { key: 'mttr', name: t('kpi.wo.mttr'), color: '#ea6a0a' },
                    ]}
                  />
                </Suspense>
              )}
            </KpiBlock>
            <KpiBlock title={t('kpi.wo.byBuilding')} wide>
              {k.byBuilding.length === 0 ? (
                <p className="empty-note">{t('kpi.wo.noneInRange')}</p>
              ) : (
                <table className="kpi-table" data-testid="kpi-wo-by-building">
                  <thead>
                    <tr>
                      <th scope="col">{t('wo.field.building')}</th>
                      <th scope="col" className="num">
                        {t('kpi.wo.createdShort')}
                      </th>
                      <th scope="col" className="num">
                        {t('kpi.wo.acceptSlaShort')}
                      </th>
                      <th scope="col" className="num">
                        {t('kpi.wo.resolveSlaShort')}
                      </th>
                      <th scope="col" className="num">
                        MTTA
                      </th>
                      <th scope="col" className="num">
                        MTTR
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {k.byBuilding.map((b) => (
                      <tr key={b.buildingId ?? '-'}>
                        <td>{buildingLabel(b.buildingId) ?? t('devices.noBuilding')}</td>
                        <td className="num">{b.created}</td>
                        <td className="num">{compliance(b.acceptSla)}</td>
                        <td className="num">{compliance(b.resolveSla)}</td>
                        <td className="num">{duration(b.mttaSeconds)}</td>
                        <td className="num">{duration(b.mttrSeconds)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </KpiBlock>
          </div>
        </>
      )}
    </KpiCard>
  );
}

import { useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { confirmReading, correctReading, listReadings, type Reading } from './billing-api.ts';
import { flagLabel } from './labels.ts';
import { ReasonForm } from './receipts-list.tsx';

const EXACT = /^\d{1,11}(\.\d{1,3})?$/;

/**
 * The period's readings that needed a look: flagged ones (not billed until settled),
 * with confirm or correct, each with a reason (audited by the hub); settled ones below
 * them with who settled them. Meter values stay the hub's exact decimal strings.
 */
export function ReadingsTable({ period, buildingId }: { period: string; buildingId?: string }) {
  const t = useT();
  const list = usePolled(`billing-readings:${period}:${buildingId ?? ''}`, (signal) => listReadings({ period, building: buildingId }, signal), 0);
  const [open, setOpen] = useState<{ id: number; mode: 'confirm' | 'correct' } | null>(null);
  const shown = (list.data ?? []).filter((r) => r.status !== 'ok').sort((a, b) => Number(a.status !== 'flagged') - Number(b.status !== 'flagged') || a.id - b.id);
  const flagged = shown.filter((r) => r.status === 'flagged').length;
  const done = () => {
    setOpen(null);
    list.refresh();
  };

  return (
    <div className="billing-readings" data-testid="readings" data-flagged={flagged}>
      <ErrorBanner error={list.error} onRetry={list.refresh} />
      {list.data ? (
        <p className="small" data-testid="readings-summary">
          {flagged ? <span className="warning-text">{t('billing.reading.flaggedCount', { count: flagged })}</span> : t('billing.reading.allClear', { count: list.data.length })}
        </p>
      ) : null}
      {shown.length ? (
        <table className="data-table" data-testid="readings-table">
          <thead>
            <tr>
              <th scope="col">{t('billing.col.unit')}</th>
              <th scope="col">{t('billing.reading.kind')}</th>
              <th scope="col" className="num">
                {t('billing.reading.start')}
              </th>
              <th scope="col" className="num">
                {t('billing.reading.end')}
              </th>
              <th scope="col" className="num">
                {t('billing.reading.consumption')}
              </th>
              <th scope="col" className="num">
                {t('billing.reading.usual')}
              </th>
              <th scope="col">{t('billing.reading.flags')}</th>
              <th scope="col">{t('billing.col.status')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('billing.col.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <ReadingRow key={r.id} reading={r} open={open?.id === r.id ? open.mode : null} onOpen={(mode) => setOpen(open?.id === r.id && open.mode === mode ? null : { id: r.id, mode })} onDone={done} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function ReadingRow({ reading: r, open, onOpen, onDone }: { reading: Reading; open: 'confirm' | 'correct' | null; onOpen: (mode: 'confirm' | 'correct') => void; onDone: () => void }) {
  const t = useT();
  return (
    <>
      <tr data-testid="reading-row" data-reading-id={r.id} data-status={r.status}>
        <td>{r.unitNumber ?? t('billing.reading.shared')}</td>
        <td>{t(`billing.meter.${r.kind}`)}</td>
        <td className="num">{r.startValue ?? '—'}</td>
        <td className="num">{r.endValue ?? '—'}</td>
        <td className="num">
          <strong>{r.consumption ?? '—'}</strong>
        </td>
        <td className="num">{r.usual ?? '—'}</td>
        <td>
          {r.flags.map((f) => (
            <span key={f} className="pill pill--medium billing-pill-gap" data-testid="reading-flag" data-flag={f}>
              {flagLabel(t, f)}
            </span>
          ))}
        </td>
        <td>
          <span className={`pill pill--${r.status === 'flagged' ? 'high' : 'ok'}`}>{t(`billing.reading.status.${r.status}`)}</span>
          {r.resolvedBy ? <span className="muted small billing-block">{r.resolvedBy}</span> : null}
        </td>
        <td className="billing-row__actions">
          {r.status === 'flagged' ? (
            <>
              <button type="button" className="button button--small" data-testid="reading-confirm" aria-expanded={open === 'confirm'} onClick={() => onOpen('confirm')}>
                {t('billing.reading.confirm')}
              </button>
              <button type="button" className="button button--small" data-testid="reading-correct" aria-expanded={open === 'correct'} onClick={() => onOpen('correct')}>
                {t('billing.reading.correct')}
              </button>
            </>
          ) : null}
        </td>
      </tr>
      {open ? (
        <tr className="billing-row--form">
          <td colSpan={9}>
            {open === 'confirm' ? (
              <ReasonForm testId="reading-confirm-form" label={t('billing.reading.confirmReason')} submitLabel={t('billing.reading.confirm')} onSubmit={(reason) => confirmReading(r.id, reason)} onDone={onDone} />
            ) : (
              <CorrectForm reading={r} onDone={onDone} />
            )}
          </td>
        </tr>
      ) : null}
    </>
  );
}

/** New start/end register values or the consumption itself; what is left empty stays as it was. */
function CorrectForm({ reading, onDone }: { reading: Reading; onDone: () => void }) {
  const t = useT();
  const ids = { start: useId(), end: useId(), consumption: useId(), reason: useId() };
  const [values, setValues] = useState({ startValue: '', endValue: '', consumption: '' });
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const filled = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.trim()]).filter(([, v]) => v !== '')) as Partial<typeof values>;
  const bad = Object.entries(filled).filter(([, v]) => !EXACT.test(v ?? '')).map(([k]) => k);
  const ready = Object.keys(filled).length > 0 && bad.length === 0 && reason.trim() !== '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      await correctReading(reading.id, { ...filled, reason: reason.trim() });
      onDone();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
      setBusy(false);
    }
  };
  const field = (key: keyof typeof values, id: string, label: string) => (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} inputMode="decimal" data-testid={`reading-correct-${key}`} value={values[key]} placeholder={(key === 'consumption' ? reading.consumption : key === 'startValue' ? reading.startValue : reading.endValue) ?? ''} aria-invalid={bad.includes(key)} onChange={(e) => setValues((v) => ({ ...v, [key]: e.target.value }))} />
    </div>
  );

  return (
    <form className="records-form" data-testid="reading-correct-form" onSubmit={submit}>
      <div className="records-form__row">
        {field('startValue', ids.start, t('billing.reading.start'))}
        {field('endValue', ids.end, t('billing.reading.end'))}
        {field('consumption', ids.consumption, t('billing.reading.consumption'))}
      </div>
      <div className="records-form__row">
        <div className="field field--grow">
          <label htmlFor={ids.reason}>{t('billing.reading.correctReason')}</label>
          <input id={ids.reason} data-testid="reading-correct-reason" value={reason} required maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className="button button--small button--primary" data-testid="reading-correct-submit" disabled={!ready || busy}>
          {t('billing.reading.correct')}
        </button>
      </div>
      {bad.length ? <p className="warning-text small">{t('billing.reading.badValue')}</p> : null}
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

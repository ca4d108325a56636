import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { useLiveRefresh } from '../manager/use-live-refresh.ts';
import { PageHeader } from '../pages/page-header.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorText } from '../shell/error-text.tsx';
import { adjustStock, listMovements, listParts, listStock, movementKinds, partsManagerRoles, partsReceiverRoles, receiveParts, type MovementKind, type Part } from './assets-api.ts';
import { parseQuantity, stockByStore, type QuantityProblem } from './stock-view.ts';
import './assets.css';

const tabs = ['stock', 'movements'] as const;
type Tab = (typeof tabs)[number];

/**
 * Spare parts: stock per store with the lines at or below their reorder level picked out,
 * receipts and count adjustments (for the roles the hub lets record them), and the
 * movements ledger. `#/parts/movements` opens the ledger.
 */
export function PartsPage({ rest }: { rest: string[] }) {
  const t = useT();
  const tab: Tab = rest[0] === 'movements' ? 'movements' : 'stock';
  return (
    <div className="office-page" data-testid="parts-page">
      <PageHeader title={t('section.parts')} subtitle={t('assets.parts.subtitle')} />
      <div className="segmented office-tabs" role="tablist" aria-label={t('section.parts')}>
        {tabs.map((id) => (
          <button key={id} type="button" role="tab" className="segmented__item" aria-selected={tab === id} data-testid={`parts-tab-${id}`} onClick={() => navigate(['parts', id])}>
            {t(`assets.parts.tab.${id}`)}
          </button>
        ))}
      </div>
      {tab === 'stock' ? <StockPanel /> : <MovementsPanel />}
    </div>
  );
}

function StockPanel() {
  const t = useT();
  const { locale } = useLocale();
  const user = useUser();
  const [lowOnly, setLowOnly] = useState(false);
  const stock = usePolled('parts-stock', (signal) => listStock({}, signal), 30_000);
  const parts = usePolled('parts-catalogue', (signal) => listParts({}, signal), 60_000);
  // Parts issued to a work order elsewhere, or a low-stock alert, show without waiting for the poll.
  useLiveRefresh(['parts.'], stock.refresh, 1_000);
  const stores = stockByStore((stock.data ?? []).filter((l) => !lowOnly || l.low));
  const lowCount = (stock.data ?? []).filter((l) => l.low).length;
  const changed = () => {
    stock.refresh();
    parts.refresh();
  };

  return (
    <div className="assets-columns">
      <section className="office-main" aria-label={t('assets.parts.tab.stock')}>
        <div className="toolbar">
          <label className="checkbox">
            <input type="checkbox" data-testid="stock-low-only" checked={lowOnly} onChange={(e) => setLowOnly(e.target.checked)} />
            {t('assets.stock.lowOnly')}
          </label>
          {lowCount ? (
            <span className="pill pill--high" data-testid="stock-low-count">
              {t('assets.stock.lowCount', { n: lowCount })}
            </span>
          ) : null}
        </div>
        {stock.error ? <ErrorText error={stock.error} /> : null}
        {stock.loading ? <p className="muted">{t('common.loading')}</p> : null}
        {stock.data && stores.length === 0 ? <p className="empty-note">{t('assets.stock.empty')}</p> : null}
        {stores.map((s) => (
          <section key={s.store} className="card assets-store" data-testid="stock-store" data-store={s.store} aria-label={t('assets.stock.store', { store: s.store })}>
            <h2 className="card__title">
              {t('assets.stock.store', { store: s.store })}
              {s.low ? <span className="pill pill--high assets-store__low">{t('assets.stock.lowCount', { n: s.low })}</span> : null}
            </h2>
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">{t('assets.col.code')}</th>
                  <th scope="col">{t('assets.col.name')}</th>
                  <th scope="col" className="num">
                    {t('assets.stock.qty')}
                  </th>
                  <th scope="col" className="num">
                    {t('assets.stock.reorderLevel')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.lines.map((l) => (
                  <tr key={l.partId} className={l.low ? 'assets-stock--low' : undefined} data-testid="stock-line" data-part={l.partCode} data-store={l.store} data-qty={l.qty} data-low={l.low}>
                    <td>
                      <code>{l.partCode}</code>
                    </td>
                    <td>
                      {l.name}
                      {l.low ? <span className="pill pill--high assets-row__pill">{t('assets.stock.low')}</span> : null}
                    </td>
                    <td className="num">
                      {formatNumber(locale, l.qty)} {l.unit}
                    </td>
                    <td className="num">{formatNumber(locale, l.reorderLevel)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </section>
      <aside className="assets-side">
        {partsReceiverRoles.includes(user.role) ? <StockForm kind="receipt" parts={parts.data ?? []} onDone={changed} /> : <p className="muted small card">{t('assets.stock.readOnly')}</p>}
        {partsManagerRoles.includes(user.role) ? <StockForm kind="adjustment" parts={parts.data ?? []} onDone={changed} /> : null}
      </aside>
    </div>
  );
}

/** A receipt into a store, or a count adjustment with its reason. */
function StockForm({ kind, parts, onDone }: { kind: 'receipt' | 'adjustment'; parts: readonly Part[]; onDone: () => void }) {
  const t = useT();
  const ids = { part: useId(), store: useId(), qty: useId(), note: useId() };
  const [partCode, setPartCode] = useState('');
  const [store, setStore] = useState('main');
  const [qty, setQty] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<QuantityProblem | null>(null);
  const { busy, error, send } = useSubmission();
  const [done, setDone] = useState<string | null>(null);
  const adjusting = kind === 'adjustment';
  const prefix = adjusting ? 'stock-adjust' : 'stock-receipt';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseQuantity(qty, adjusting);
    if ('problem' in parsed) {
      setProblem(parsed.problem);
      return;
    }
    setProblem(null);
    setDone(null);
    await send(async () => {
      const [movement] = adjusting
        ? await adjustStock({ partCode, store: store.trim(), qty: parsed.qty, reason: note.trim() })
        : await receiveParts({ partCode, store: store.trim(), qty: parsed.qty, note: note.trim() || undefined });
      setDone(t('assets.stock.recorded', { part: partCode, store: movement?.store ?? store, balance: movement?.balance ?? '?' }));
      setQty('');
      setNote('');
      onDone();
    });
  };

  return (
    <form className="card assets-form" data-testid={`${prefix}-form`} onSubmit={submit}>
      <h2 className="card__title">{t(adjusting ? 'assets.stock.adjustTitle' : 'assets.stock.receiptTitle')}</h2>
      <div className="field">
        <label htmlFor={ids.part}>{t('assets.stock.part')}</label>
        <select id={ids.part} data-testid={`${prefix}-part`} required value={partCode} onChange={(e) => setPartCode(e.target.value)}>
          <option value="">—</option>
          {parts.map((p) => (
            <option key={p.id} value={p.code}>
              {p.code} · {p.name}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.store}>{t('assets.stock.storeField')}</label>
        <input id={ids.store} data-testid={`${prefix}-store`} required maxLength={64} value={store} onChange={(e) => setStore(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.qty}>{t(adjusting ? 'assets.stock.qtySigned' : 'assets.stock.qty')}</label>
        <input id={ids.qty} data-testid={`${prefix}-qty`} inputMode="numeric" required value={qty} aria-invalid={problem !== null} onChange={(e) => setQty(e.target.value)} />
        {problem ? <span className="warning-text small">{t(`assets.qty.${problem}`)}</span> : null}
      </div>
      <div className="field">
        <label htmlFor={ids.note}>{t(adjusting ? 'assets.stock.reason' : 'assets.stock.note')}</label>
        <input id={ids.note} data-testid={`${prefix}-note`} required={adjusting} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      </div>
      <button type="submit" className="button button--primary" data-testid={`${prefix}-submit`} disabled={busy || !partCode || (adjusting && !note.trim())}>
        {t(adjusting ? 'assets.stock.adjustSubmit' : 'assets.stock.receiptSubmit')}
      </button>
      {done ? (
        <p className="small assets-form__done" role="status" data-testid={`${prefix}-done`}>
          {done}
        </p>
      ) : null}
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

function MovementsPanel() {
  const t = useT();
  const { locale } = useLocale();
  const [kind, setKind] = useState<MovementKind | ''>('');
  const [part, setPart] = useState('');
  const query = { kind: kind || undefined, part: part.trim() || undefined, limit: 200 };
  const movements = usePolled(`parts-movements:${JSON.stringify(query)}`, (signal) => listMovements(query, signal), 30_000);
  return (
    <section className="card assets-table-card" aria-label={t('assets.parts.tab.movements')}>
      <div className="toolbar">
        <label className="field field--inline">
          <span>{t('assets.movement.kind')}</span>
          <select data-testid="movement-filter-kind" value={kind} onChange={(e) => setKind(e.target.value as MovementKind | '')}>
            <option value="">{t('assets.filter.any')}</option>
            {movementKinds.map((k) => (
              <option key={k} value={k}>
                {t(`assets.movement.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>{t('assets.stock.part')}</span>
          <input value={part} placeholder={t('assets.movement.partHint')} onChange={(e) => setPart(e.target.value)} />
        </label>
      </div>
      {movements.error ? <ErrorText error={movements.error} /> : null}
      <table className="data-table" data-testid="movement-table" aria-busy={movements.loading}>
        <thead>
          <tr>
            <th scope="col">{t('assets.movement.at')}</th>
            <th scope="col">{t('assets.movement.kind')}</th>
            <th scope="col">{t('assets.col.code')}</th>
            <th scope="col">{t('assets.stock.storeField')}</th>
            <th scope="col" className="num">
              {t('assets.stock.qty')}
            </th>
            <th scope="col" className="num">
              {t('assets.movement.balance')}
            </th>
            <th scope="col">{t('assets.movement.workOrder')}</th>
            <th scope="col">{t('assets.movement.by')}</th>
            <th scope="col">{t('assets.stock.note')}</th>
          </tr>
        </thead>
        <tbody>
          {(movements.data ?? []).map((m) => (
            <tr key={m.id} data-testid="movement-row" data-kind={m.kind} data-part={m.partCode}>
              <td className="small">{formatDateTime(locale, m.at)}</td>
              <td>{t(`assets.movement.${m.kind}`)}</td>
              <td>
                <code>{m.partCode}</code>
              </td>
              <td>{m.store}</td>
              <td className={`num ${m.qty < 0 ? 'assets-qty--out' : 'assets-qty--in'}`}>{`${m.qty > 0 ? '+' : ''}${formatNumber(locale, m.qty)}`}</td>
              <td className="num">{formatNumber(locale, m.balance)}</td>
              <td>{m.workOrderId ?? '—'}</td>
              <td>{m.by}</td>
              <td className="small">{m.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {movements.data && movements.data.length === 0 ? <p className="empty-note">{t('assets.movement.empty')}</p> : null}
    </section>
  );
}

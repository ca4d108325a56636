import { useEffect, useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { revealOwnerId, searchOwners, type Owner } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner, ErrorText } from '../shell/error-text.tsx';
import { associationRoleLabel, idTypeLabel } from './labels.ts';
import { Pager } from './pager.tsx';
import { canRevealIds } from './records-access.ts';
import { pageRange } from './unit-filters.ts';
import { useDebounced } from './use-debounced.ts';

const OWNERS_PER_PAGE = 25;
/** A revealed number goes back to its mask on its own: it is not left on an unattended screen. */
const REVEAL_SHOWN_MS = 60_000;

/** Owners: search by name, masked ID numbers, and for the office a reveal that asks why (the hub audits it). */
export function OwnersPanel() {
  const t = useT();
  const user = useUser();
  const searchId = useId();
  const [q, setQ] = useState('');
  const [page, setPage] = useState(1);
  const typed = useDebounced(q.trim(), 300);
  const list = usePolled(`owners:${typed}:${page}`, (signal) => searchOwners({ q: typed || undefined, page, limit: OWNERS_PER_PAGE }, signal), 30_000);
  const total = list.data?.total ?? 0;
  const { first, last } = pageRange(page, OWNERS_PER_PAGE, total);
  const mayReveal = canRevealIds(user.role);

  return (
    <section className="office-main" aria-labelledby="records-owners-list-title">
      <h2 className="visually-hidden" id="records-owners-list-title">
        {t('records.tab.owners')}
      </h2>
      <div className="toolbar records-filters" role="search">
        <div className="field field--grow">
          <label htmlFor={searchId}>{t('records.owners.search')}</label>
          <input
            id={searchId}
            type="search"
            data-testid="owner-search"
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              setPage(1);
            }}
          />
        </div>
      </div>
      <ErrorBanner error={list.error} onRetry={list.refresh} />
      <div className="card records-table-card">
        <p className="muted small" aria-live="polite">
          {list.loading ? t('common.loading') : t('records.owners.summary', { first, last, total })}
          {mayReveal ? ` · ${t('records.owner.revealHint')}` : ''}
        </p>
        <table className="data-table" data-testid="owner-table">
          <thead>
            <tr>
              <th scope="col">{t('records.owner.name')}</th>
              <th scope="col">{t('records.owner.id')}</th>
              <th scope="col">{t('records.owner.phone')}</th>
              <th scope="col">{t('records.owner.email')}</th>
              <th scope="col">{t('records.owner.units')}</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.owners ?? []).map((o) => (
              <OwnerRow key={o.id} owner={o} mayReveal={mayReveal} />
            ))}
          </tbody>
        </table>
        {list.data && list.data.owners.length === 0 ? <p className="empty-note">{t('records.owners.empty')}</p> : null}
        <Pager page={page} limit={OWNERS_PER_PAGE} total={total} onPage={setPage} testId="owner-pager" />
      </div>
    </section>
  );
}

function OwnerRow({ owner, mayReveal }: { owner: Owner; mayReveal: boolean }) {
  const t = useT();
  const reasonId = useId();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const [revealed, setRevealed] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (revealed === null) return;
    const timer = setTimeout(() => setRevealed(null), REVEAL_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [revealed]);

  const reveal = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const answer = await revealOwnerId(owner.id, reason.trim());
      setRevealed(answer.nationalId);
      setAsking(false);
      setReason('');
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    }
  };

  return (
    <tr className="data-row" data-testid="owner-row" data-owner-id={owner.id}>
      <td>
        <strong>{owner.name}</strong>
        {owner.username ? <span className="muted small"> · {owner.username}</span> : null}
      </td>
      <td className="records-id">
        <span className="muted small">{idTypeLabel(t, owner.idType)} </span>
        {revealed !== null ? (
          <>
            <code data-testid="owner-id-clear">{revealed}</code>{' '}
            <button type="button" className="link-button small" onClick={() => setRevealed(null)}>
              {t('records.owner.hide')}
            </button>
          </>
        ) : (
          <code data-testid="owner-id-masked">{owner.nationalIdMasked}</code>
        )}
        {mayReveal && revealed === null && !asking ? (
          <>
            {' '}
            <button type="button" className="link-button small" data-testid="owner-reveal" onClick={() => setAsking(true)}>
              {t('records.owner.reveal')}
            </button>
          </>
        ) : null}
        {asking ? (
          <form className="records-reveal" data-testid="owner-reveal-form" onSubmit={reveal}>
            <label htmlFor={reasonId} className="small">
              {t('records.owner.revealReason')}
            </label>
            <input id={reasonId} data-testid="owner-reveal-reason" required minLength={3} maxLength={500} value={reason} autoFocus onChange={(e) => setReason(e.target.value)} />
            <span className="button-row">
              <button type="submit" className="button button--small button--primary" data-testid="owner-reveal-confirm" disabled={reason.trim().length < 3}>
                {t('records.owner.revealConfirm')}
              </button>
              <button type="button" className="button button--small" onClick={() => setAsking(false)}>
                {t('records.cancel')}
              </button>
            </span>
          </form>
        ) : null}
        {error ? <ErrorText error={error} /> : null}
      </td>
      <td>{owner.phone ?? '—'}</td>
      <td>{owner.email ?? '—'}</td>
      <td>
        {owner.units.length
          ? owner.units.map((u, i) => (
              <span key={u.associationId}>
                {i > 0 ? ', ' : null}
                <button type="button" className="link-button" onClick={() => navigate(['records', 'units', u.unitId])}>
                  {u.buildingId} {u.number}
                </button>{' '}
                <span className="muted small">({associationRoleLabel(t, u.role)})</span>
              </span>
            ))
          : '—'}
      </td>
    </tr>
  );
}

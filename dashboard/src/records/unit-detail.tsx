import { useId, useState, type FormEvent } from 'react';
import { isApiError, type ApiError } from '../api/client.ts';
import { useSubmission } from '../api/use-submission.ts';
import { addUnitAssociation, associationRoles, changeUnitStatus, endUnitAssociation, fetchUnit, searchOwners, unitStatuses, type AssociationRole, type Owner, type UnitAssociation, type UnitStatus } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime, formatNumber } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { DetailPanelHead, DetailPanelPending, useTitleFocus } from '../shell/detail-panel.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { associationRoleLabel, unitStatusLabel, unitStatusTone } from './labels.ts';
import { canWriteRecords } from './records-access.ts';
import { useDebounced } from './use-debounced.ts';

/** Today in the browser's calendar, as the hub's dates are written (YYYY-MM-DD). */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * One unit: its facts, its status (changed with a reason), the status history, and
 * everyone who held, rented or lived in it over time. Mounted with `key={id}`.
 */
export function UnitDetailPanel({ id, onClose, onChanged }: { id: number; onClose: () => void; onChanged: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const user = useUser();
  const detail = usePolled(`unit:${id}`, (signal) => fetchUnit(id, signal), 60_000);
  const headingRef = useTitleFocus(detail.data !== undefined);
  const writer = canWriteRecords(user.role);

  const changed = () => {
    detail.refresh();
    onChanged();
  };

  if (!detail.data) {
    return (
      <DetailPanelPending
        className="records-detail"
        testId="unit-detail"
        eyebrow={t('records.unit.eyebrow')}
        notFound={t('records.unit.notFound')}
        loading={detail.loading}
        error={detail.error}
        onClose={onClose}
      />
    );
  }

  const { unit, history, associations } = detail.data;
  return (
    <aside className="office-detail records-detail card" data-testid="unit-detail" data-unit-id={unit.id} aria-labelledby="records-unit-title">
      <DetailPanelHead
        eyebrow={unit.buildingName}
        title={t('records.unit.title', { number: unit.number })}
        titleId="records-unit-title"
        headingRef={headingRef}
        closeTestId="unit-detail-close"
        onClose={onClose}
      />
      <dl className="facts records-facts">
        <dt>{t('records.filter.status')}</dt>
        <dd>
          <span className={`pill pill--${unitStatusTone(unit.status)}`} data-testid="unit-status">
            {unitStatusLabel(t, unit.status)}
          </span>
        </dd>
        <dt>{t('records.col.floor')}</dt>
        <dd>{unit.floor ?? '—'}</dd>
        <dt>{t('records.col.area')}</dt>
        <dd>{unit.areaM2 === null ? '—' : formatNumber(locale, unit.areaM2)}</dd>
        <dt>{t('records.col.layout')}</dt>
        <dd>{unit.layout ?? '—'}</dd>
        <dt>{t('records.unit.location')}</dt>
        <dd>{unit.location ?? '—'}</dd>
      </dl>

      {writer ? <StatusForm unitId={unit.id} current={unit.status} onDone={changed} /> : null}

      <section className="office-section" aria-labelledby="records-history-title">
        <h3 className="office-section__title" id="records-history-title">
          {t('records.unit.history')}
        </h3>
        <ol className="records-history" data-testid="unit-history">
          {[...history].reverse().map((h) => (
            <li key={h.id} className="records-history__item" data-testid="unit-history-item">
              <span className="records-history__what">
                {h.from === null ? t('records.unit.createdAs', { status: unitStatusLabel(t, h.to) }) : `${unitStatusLabel(t, h.from)} → ${unitStatusLabel(t, h.to)}`}
              </span>
              <span className="muted small">
                {formatDateTime(locale, h.at)} · {t('records.unit.by', { who: h.by })}
              </span>
              {h.reason ? <span className="records-history__reason small">{h.reason}</span> : null}
            </li>
          ))}
        </ol>
      </section>

      <section className="office-section" aria-labelledby="records-owners-title">
        <h3 className="office-section__title" id="records-owners-title">
          {t('records.unit.owners')}
        </h3>
        {associations.length === 0 ? <p className="empty-note small">{t('records.unit.noOwners')}</p> : null}
        <ul className="records-associations" data-testid="unit-associations">
          {[...associations].reverse().map((a) => (
            <AssociationItem key={a.id} association={a} unitId={unit.id} writer={writer} onDone={changed} />
          ))}
        </ul>
        {writer ? <AddAssociationForm unitId={unit.id} onDone={changed} /> : null}
      </section>
    </aside>
  );
}

function StatusForm({ unitId, current, onDone }: { unitId: number; current: UnitStatus; onDone: () => void }) {
  const t = useT();
  const ids = { status: useId(), reason: useId() };
  const [status, setStatus] = useState<UnitStatus>(current === 'vacant' ? 'occupied' : 'vacant');
  const [reason, setReason] = useState('');
  const { busy, error, send } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await send(async () => {
      await changeUnitStatus(unitId, status, reason);
      setReason('');
      onDone();
    });
  };

  return (
    <form className="records-form office-section" data-testid="unit-status-form" onSubmit={submit}>
      <h3 className="office-section__title">{t('records.unit.changeStatus')}</h3>
      <div className="records-form__row">
        <div className="field">
          <label htmlFor={ids.status}>{t('records.unit.newStatus')}</label>
          <select id={ids.status} data-testid="unit-status-select" value={status} onChange={(e) => setStatus(e.target.value as UnitStatus)}>
            {unitStatuses.map((s) => (
              <option key={s} value={s} disabled={s === current}>
                {unitStatusLabel(t, s)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label htmlFor={ids.reason}>{t('records.unit.reason')}</label>
          <input id={ids.reason} data-testid="unit-status-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className="button button--primary" data-testid="unit-status-submit" disabled={busy || status === current}>
          {t('records.unit.apply')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

function AssociationItem({ association: a, unitId, writer, onDone }: { association: UnitAssociation; unitId: number; writer: boolean; onDone: () => void }) {
  const t = useT();
  const dateId = useId();
  const [ending, setEnding] = useState(false);
  const [toDate, setToDate] = useState(today);
  const [error, setError] = useState<ApiError | null>(null);

  const end = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      await endUnitAssociation(unitId, a.id, { toDate });
      setEnding(false);
      onDone();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    }
  };

  return (
    <li className={`records-association${a.current ? ' is-current' : ''}`} data-testid="unit-association" data-current={a.current}>
      <span className="records-association__who">
        <strong>{a.ownerName}</strong> · {associationRoleLabel(t, a.role)}
      </span>
      <span className="muted small">
        {a.fromDate} – {a.toDate ?? t('records.unit.open')}
        {a.current ? <span className="pill pill--ok records-association__pill">{t('records.unit.current')}</span> : null}
        {a.endReason ? ` · ${a.endReason}` : null}
      </span>
      {writer && a.toDate === null && !ending ? (
        <button type="button" className="link-button small" data-testid="unit-association-end" onClick={() => setEnding(true)}>
          {t('records.unit.end')}
        </button>
      ) : null}
      {ending ? (
        <form className="records-form__row" onSubmit={end}>
          <div className="field field--inline">
            <label htmlFor={dateId}>{t('records.unit.lastDay')}</label>
            <input id={dateId} type="date" required value={toDate} min={a.fromDate} onChange={(e) => setToDate(e.target.value)} />
          </div>
          <button type="submit" className="button button--small button--primary">
            {t('records.unit.endConfirm')}
          </button>
          <button type="button" className="button button--small" onClick={() => setEnding(false)}>
            {t('records.cancel')}
          </button>
        </form>
      ) : null}
      {error ? <ErrorText error={error} /> : null}
    </li>
  );
}

function AddAssociationForm({ unitId, onDone }: { unitId: number; onDone: () => void }) {
  const t = useT();
  const ids = { owner: useId(), role: useId(), from: useId() };
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Owner | null>(null);
  const [role, setRole] = useState<AssociationRole>('owner');
  const [fromDate, setFromDate] = useState(today);
  const [error, setError] = useState<ApiError | null>(null);
  const typed = useDebounced(name.trim(), 300);
  const matches = usePolled(open && !chosen && typed ? `owner-pick:${typed}` : null, (signal) => searchOwners({ q: typed, limit: 6 }, signal), 0);

  if (!open) {
    return (
      <button type="button" className="button button--small" data-testid="unit-association-add" onClick={() => setOpen(true)}>
        + {t('records.unit.add')}
      </button>
    );
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!chosen) return;
    setError(null);
    try {
      await addUnitAssociation(unitId, { ownerId: chosen.id, role, fromDate });
      setOpen(false);
      setChosen(null);
      setName('');
      onDone();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    }
  };

  return (
    <form className="records-form records-add" data-testid="unit-association-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor={ids.owner}>{t('records.unit.findOwner')}</label>
        {chosen ? (
          <span className="records-add__chosen">
            <strong>{chosen.name}</strong> <code>{chosen.nationalIdMasked}</code>
            <button type="button" className="link-button small" onClick={() => setChosen(null)}>
              {t('records.unit.changeOwner')}
            </button>
          </span>
        ) : (
          <>
            <input id={ids.owner} data-testid="unit-association-owner" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
            <ul className="records-add__matches">
              {(matches.data?.owners ?? []).map((o) => (
                <li key={o.id}>
                  <button type="button" className="link-button" onClick={() => setChosen(o)}>
                    {o.name} <code className="small">{o.nationalIdMasked}</code>
                  </button>
                </li>
              ))}
            </ul>
            {matches.data && matches.data.owners.length === 0 ? <p className="muted small">{t('records.owners.empty')}</p> : null}
          </>
        )}
      </div>
      <div className="records-form__row">
        <div className="field">
          <label htmlFor={ids.role}>{t('records.unit.role')}</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as AssociationRole)}>
            {associationRoles.map((r) => (
              <option key={r} value={r}>
                {associationRoleLabel(t, r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={ids.from}>{t('records.unit.from')}</label>
          <input id={ids.from} type="date" required value={fromDate} onChange={(e) => setFromDate(e.target.value)} />
        </div>
        <button type="submit" className="button button--primary" disabled={!chosen}>
          {t('records.unit.addSubmit')}
        </button>
        <button type="button" className="button" onClick={() => setOpen(false)}>
          {t('records.cancel')}
        </button>
      </div>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

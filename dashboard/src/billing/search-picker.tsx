import { useState } from 'react';
import { searchOwners, searchUnits } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useDebounced } from '../records/use-debounced.ts';
import { type Picked } from './billing-filters.ts';

type Search = (q: string, signal: AbortSignal) => Promise<Picked[]>;

export const searchUnitPicks: Search = async (q, signal) => (await searchUnits({ q, limit: 8 }, signal)).units.map((u) => ({ id: u.id, label: `${u.buildingName} · ${u.number}` }));
export const searchOwnerPicks: Search = async (q, signal) => (await searchOwners({ q, limit: 8 }, signal)).owners.map((o) => ({ id: o.id, label: o.name }));

/**
 * A filter field for something the hub knows by id (a unit, an owner): type to search,
 * pick one of the matches; the choice shows as a chip that clears with ×.
 */
export function SearchPicker({ id, kind, value, onChange, search, testId }: { id: string; kind: string; value: Picked | null; onChange: (value: Picked | null) => void; search: Search; testId: string }) {
  const t = useT();
  const [q, setQ] = useState('');
  const typed = useDebounced(q.trim(), 300);
  const matches = usePolled(value === null && typed ? `pick:${kind}:${typed}` : null, (signal) => search(typed, signal), 0);

  if (value) {
    return (
      <span className="billing-chip" data-testid={`${testId}-chosen`} data-id={value.id}>
        <span id={id}>{value.label}</span>
        <button type="button" className="link-button" aria-label={t('billing.filter.clearOne', { what: value.label })} onClick={() => onChange(null)}>
          ×
        </button>
      </span>
    );
  }
  return (
    <span className="billing-picker">
      <input id={id} type="search" autoComplete="off" data-testid={testId} value={q} onChange={(e) => setQ(e.target.value)} />
      {typed && matches.data ? (
        <ul className="billing-picker__matches" data-testid={`${testId}-matches`}>
          {matches.data.length === 0 ? <li className="muted small">{t('billing.filter.noMatch')}</li> : null}
          {matches.data.map((m) => (
            <li key={m.id}>
              <button
                type="button"
                className="link-button"
                data-testid={`${testId}-match`}
                data-id={m.id}
                onClick={() => {
                  setQ('');
                  onChange(m);
                }}
              >
                {m.label}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </span>
  );
}

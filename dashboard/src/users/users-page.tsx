import { useState } from 'react';
import { roles, type Role } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { PageHeader } from '../pages/page-header.tsx';
import { useDebounced } from '../records/use-debounced.ts';
import { navigate } from '../router/hash-router.ts';
import { ErrorBanner } from '../shell/error-text.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { UserCreatePanel } from './user-create-panel.tsx';
import { UserDetailPanel } from './user-detail-panel.tsx';
import { UserStatusPill } from './user-fields.tsx';
import { listUsers, type AdminUser, type UserQuery } from './users-api.ts';
import './users.css';

type StatusFilter = 'all' | 'active' | 'inactive';

function parseId(segment: string | undefined): number | null {
  return segment !== undefined && /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * User administration (admins): every account found by role, building, status or text,
 * and beside the list the selected user (`#/users/7`: role, buildings, deactivation,
 * password reset) or the new-user form (`#/users/new`).
 */
export function UsersPage({ rest }: { rest: string[] }) {
  const t = useT();
  const creating = rest[0] === 'new';
  const selected = parseId(rest[0]);
  const buildings = useBuildingNames();
  const [text, setText] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [building, setBuilding] = useState('');
  const [status, setStatus] = useState<StatusFilter>('all');
  const q = useDebounced(text.trim(), 300);
  const query: UserQuery = { q: q || undefined, role: role || undefined, building: building || undefined, active: status === 'all' ? undefined : status === 'active' };
  const list = usePolled(`users:${JSON.stringify(query)}`, (signal) => listUsers(query, signal), 30_000);
  const showPanel = creating || selected !== null;

  return (
    <div className="office-page" data-testid="users-page">
      <PageHeader
        title={t('section.users')}
        subtitle={t('users.subtitle')}
        actions={
          <button type="button" className="button button--primary" data-testid="users-new" onClick={() => navigate(['users', 'new'])}>
            {t('users.new')}
          </button>
        }
      />
      <div className={`office-layout users-layout${showPanel ? ' office-layout--with-detail' : ''}`}>
        <section className="office-main" aria-label={t('section.users')}>
          <div className="toolbar users-filters" role="search">
            <label className="field">
              <span>{t('users.filter.search')}</span>
              <input type="search" data-testid="users-search" value={text} placeholder={t('users.filter.searchHint')} onChange={(e) => setText(e.target.value)} />
            </label>
            <label className="field">
              <span>{t('users.filter.role')}</span>
              <select data-testid="users-filter-role" value={role} onChange={(e) => setRole(e.target.value as Role | '')}>
                <option value="">{t('users.filter.any')}</option>
                {roles.map((r) => (
                  <option key={r} value={r}>
                    {t(`role.${r}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('users.filter.building')}</span>
              <select data-testid="users-filter-building" value={building} onChange={(e) => setBuilding(e.target.value)}>
                <option value="">{t('users.filter.any')}</option>
                {buildings.ids.map((id) => (
                  <option key={id} value={id}>
                    {buildings.label(id)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('users.filter.status')}</span>
              <select data-testid="users-filter-status" value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
                <option value="all">{t('users.filter.any')}</option>
                <option value="active">{t('users.status.active')}</option>
                <option value="inactive">{t('users.status.inactive')}</option>
              </select>
            </label>
          </div>
          <ErrorBanner error={list.error} onRetry={list.refresh} />
          <div className="card users-table-card">
            <table className="data-table" data-testid="users-table" aria-busy={list.loading}>
              <thead>
                <tr>
                  <th scope="col">{t('users.col.username')}</th>
                  <th scope="col">{t('users.col.name')}</th>
                  <th scope="col">{t('users.col.role')}</th>
                  <th scope="col">{t('users.col.buildings')}</th>
                  <th scope="col">{t('users.col.status')}</th>
                  <th scope="col">{t('users.col.lastLogin')}</th>
                </tr>
              </thead>
              <tbody>
                {(list.data ?? []).map((u) => (
                  <UserRow key={u.id} user={u} selected={u.id === selected} buildingLabel={buildings.label} />
                ))}
              </tbody>
            </table>
            {list.loading ? <p className="muted small">{t('common.loading')}</p> : null}
            {list.data && list.data.length === 0 ? <p className="empty-note">{t('users.empty')}</p> : null}
            {list.data && list.data.length > 0 ? <p className="muted small">{t('users.count', { n: list.data.length })}</p> : null}
          </div>
        </section>
        {creating ? <UserCreatePanel onChanged={list.refresh} onClose={() => navigate(['users'])} /> : null}
        {selected !== null ? <UserDetailPanel key={selected} id={selected} onChanged={list.refresh} onClose={() => navigate(['users'])} /> : null}
      </div>
    </div>
  );
}

function UserRow({ user: u, selected, buildingLabel }: { user: AdminUser; selected: boolean; buildingLabel: (id: string | null) => string | null }) {
  const t = useT();
  const { locale } = useLocale();
  const open = () => navigate(['users', u.id]);
  return (
    <tr
      className={`data-row${selected ? ' is-selected' : ''}${u.disabled ? ' users-row--inactive' : ''}`}
      data-testid="user-row"
      data-username={u.username}
      data-role={u.role}
      data-active={!u.disabled}
      aria-selected={selected}
      onClick={open}
    >
      <td>
        <button type="button" className="link-button" onClick={open}>
          {u.username}
        </button>
      </td>
      <td>{u.displayName}</td>
      <td>{t(`role.${u.role}`)}</td>
      <td className="small">{u.buildings.length ? u.buildings.map((b) => buildingLabel(b)).join(', ') : <span className="muted">{t('users.wholeEstate')}</span>}</td>
      <td>
        <UserStatusPill user={u} />
      </td>
      <td className="small">{u.lastLoginAt ? formatDateTime(locale, u.lastLoginAt) : <span className="muted">{t('common.never')}</span>}</td>
    </tr>
  );
}

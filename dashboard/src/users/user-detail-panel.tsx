import { useId, useState, type FormEvent } from 'react';
import { roles, type Role } from '../api/hub-api.ts';
import { usePolled } from '../api/use-polled.ts';
import { useSubmission } from '../api/use-submission.ts';
import { useUser } from '../auth/auth-context.tsx';
import { formatDateTime } from '../i18n/format.ts';
import { useLocale, useT } from '../i18n/i18n-context.tsx';
import { DetailPanelHead, DetailPanelPending, useTitleFocus } from '../shell/detail-panel.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { BuildingPicker, passwordReady, PasswordChoiceField, TemporaryPassword, UserStatusPill, type PasswordChoice } from './user-fields.tsx';
import { fetchUser, resetPassword, setUserActive, updateUser, type AdminUser } from './users-api.ts';

/** One user: facts, role and buildings, deactivation, password reset. Mounted with `key={id}`. */
export function UserDetailPanel({ id, onChanged, onClose }: { id: number; onChanged: () => void; onClose: () => void }) {
  const t = useT();
  const { locale } = useLocale();
  const me = useUser();
  const loaded = usePolled(`user:${id}`, (signal) => fetchUser(id, signal), 30_000);
  const headingRef = useTitleFocus(loaded.data !== undefined);

  if (!loaded.data) {
    return (
      <DetailPanelPending
        className="users-detail"
        testId="user-detail"
        eyebrow={t('users.detail.eyebrow')}
        notFound={t('users.detail.notFound')}
        loading={loaded.loading}
        error={loaded.error}
        onClose={onClose}
      />
    );
  }

  const user = loaded.data;
  const isSelf = String(me.id) === String(user.id);
  const changed = () => {
    loaded.refresh();
    onChanged();
  };
  return (
    <aside className="office-detail users-detail card" data-testid="user-detail" data-user-id={user.id} data-active={!user.disabled} aria-labelledby="users-detail-title">
      <DetailPanelHead
        eyebrow={
          <>
            {user.username} · {t(`role.${user.role}`)}
          </>
        }
        title={user.displayName}
        titleId="users-detail-title"
        headingRef={headingRef}
        closeTestId="user-detail-close"
        onClose={onClose}
      />
      <dl className="facts">
        <dt>{t('users.col.status')}</dt>
        <dd>
          <UserStatusPill user={user} />
        </dd>
        <dt>{t('users.col.lastLogin')}</dt>
        <dd>{user.lastLoginAt ? formatDateTime(locale, user.lastLoginAt) : t('common.never')}</dd>
        <dt>{t('users.detail.passwordChanged')}</dt>
        <dd>{user.passwordChangedAt ? formatDateTime(locale, user.passwordChangedAt) : '—'}</dd>
        <dt>{t('users.detail.created')}</dt>
        <dd>{formatDateTime(locale, user.createdAt)}</dd>
      </dl>
      {isSelf ? <p className="muted small">{t('users.access.self')}</p> : null}
      <EditSection key={`${user.role}|${user.displayName}|${user.buildings.join(',')}`} user={user} isSelf={isSelf} onDone={changed} />
      <AccessSection user={user} isSelf={isSelf} onDone={changed} />
      <ResetSection user={user} onDone={changed} />
    </aside>
  );
}

function EditSection({ user, isSelf, onDone }: { user: AdminUser; isSelf: boolean; onDone: () => void }) {
  const t = useT();
  const ids = { name: useId(), role: useId() };
  const [displayName, setDisplayName] = useState(user.displayName);
  const [role, setRole] = useState<Role>(user.role);
  const [buildings, setBuildings] = useState<string[]>(user.buildings);
  const [saved, setSaved] = useState(false);
  const { busy, error, send } = useSubmission();
  const dirty = displayName.trim() !== user.displayName || role !== user.role || [...buildings].sort().join(',') !== user.buildings.join(',');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    await send(async () => {
      await updateUser(user.id, { displayName: displayName.trim(), role, buildings });
      setSaved(true);
      onDone();
    });
  };

  return (
    <form className="form users-section" data-testid="user-edit-form" onSubmit={(e) => void submit(e)}>
      <h3 className="office-section__title">{t('users.edit.title')}</h3>
      <div className="field">
        <label htmlFor={ids.name}>{t('users.field.displayName')}</label>
        <input id={ids.name} data-testid="user-edit-name" required maxLength={128} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.role}>{t('users.field.role')}</label>
        <select id={ids.role} data-testid="user-edit-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r} value={r}>
              {t(`role.${r}`)}
            </option>
          ))}
        </select>
        {isSelf && role !== 'admin' ? <span className="warning-text small">{t('users.edit.selfRole')}</span> : null}
      </div>
      <BuildingPicker value={buildings} onChange={setBuildings} testId="user-edit-buildings" />
      <button type="submit" className="button button--primary" data-testid="user-edit-submit" disabled={busy || !dirty || !displayName.trim()}>
        {t('users.edit.submit')}
      </button>
      {saved && !dirty ? (
        <p className="small" role="status" data-testid="user-edit-saved">
          {t('users.edit.saved')}
        </p>
      ) : null}
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

/** Deactivate (asked twice: it signs the user out everywhere at once) or reactivate. */
function AccessSection({ user, isSelf, onDone }: { user: AdminUser; isSelf: boolean; onDone: () => void }) {
  const t = useT();
  const [confirming, setConfirming] = useState(false);
  const { busy, error, send } = useSubmission();
  const apply = (active: boolean) =>
    send(async () => {
      await setUserActive(user.id, active);
      setConfirming(false);
      onDone();
    });

  return (
    <section className="users-section" data-testid="user-access">
      <h3 className="office-section__title">{t('users.access.title')}</h3>
      {user.disabled ? (
        <>
          <p className="muted small">{t('users.access.inactiveNote')}</p>
          <button type="button" className="button" data-testid="user-reactivate" disabled={busy} onClick={() => void apply(true)}>
            {t('users.access.reactivate')}
          </button>
        </>
      ) : confirming ? (
        <div className="banner banner--warning users-confirm">
          <span>{t('users.access.deactivateConfirm', { username: user.username })}</span>
          <span className="users-actions">
            <button type="button" className="button button--small button--danger" data-testid="user-deactivate-confirm" disabled={busy} onClick={() => void apply(false)}>
              {t('users.access.confirm')}
            </button>
            <button type="button" className="button button--small" onClick={() => setConfirming(false)}>
              {t('users.access.cancel')}
            </button>
          </span>
        </div>
      ) : (
        <button type="button" className="button" data-testid="user-deactivate" disabled={busy || isSelf} onClick={() => setConfirming(true)}>
          {t('users.access.deactivate')}
        </button>
      )}
      {error ? <ErrorText error={error} /> : null}
    </section>
  );
}

function ResetSection({ user, onDone }: { user: AdminUser; onDone: () => void }) {
  const t = useT();
  const [password, setPassword] = useState<PasswordChoice>({ mode: 'generate' });
  const [temporary, setTemporary] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const { busy, error, send } = useSubmission();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    await send(async () => {
      const answer = await resetPassword(user.id, password.mode === 'set' ? password.password : undefined);
      setTemporary(answer.temporaryPassword ?? null);
      setPassword({ mode: 'generate' });
      setDone(true);
      onDone();
    });
  };

  return (
    <form className="form users-section" data-testid="user-reset-form" onSubmit={(e) => void submit(e)}>
      <h3 className="office-section__title">{t('users.reset.title')}</h3>
      <p className="muted small">{t('users.reset.about')}</p>
      {temporary ? <TemporaryPassword username={user.username} password={temporary} onDismiss={() => setTemporary(null)} /> : null}
      {done && !temporary ? (
        <p className="small" role="status" data-testid="user-reset-done">
          {t('users.reset.done')}
        </p>
      ) : null}
      <PasswordChoiceField value={password} onChange={setPassword} testId="user-reset-password" />
      <button type="submit" className="button" data-testid="user-reset-submit" disabled={busy || !passwordReady(password)}>
        {t('users.reset.submit')}
      </button>
      {error ? <ErrorText error={error} /> : null}
    </form>
  );
}

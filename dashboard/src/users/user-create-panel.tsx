import { useId, useState, type FormEvent } from 'react';
import { roles, type Role } from '../api/hub-api.ts';
import { useSubmission } from '../api/use-submission.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { navigate } from '../router/hash-router.ts';
import { DetailPanelHead, useTitleFocus } from '../shell/detail-panel.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { BuildingPicker, passwordReady, PasswordChoiceField, TemporaryPassword, type PasswordChoice } from './user-fields.tsx';
import { createUser, USERNAME_PATTERN, type AdminUser } from './users-api.ts';

/** The new-user form beside the list; after creating, the generated password (if any) is shown once. */
export function UserCreatePanel({ onChanged, onClose }: { onChanged: () => void; onClose: () => void }) {
  const t = useT();
  const headingRef = useTitleFocus(true);
  const ids = { username: useId(), displayName: useId(), role: useId() };
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('guard');
  const [buildings, setBuildings] = useState<string[]>([]);
  const [password, setPassword] = useState<PasswordChoice>({ mode: 'generate' });
  const [mustChange, setMustChange] = useState(true);
  const [created, setCreated] = useState<{ user: AdminUser; temporaryPassword?: string } | null>(null);
  const { busy, error, send } = useSubmission();
  const usernameBad = username.length > 0 && !USERNAME_PATTERN.test(username.trim());

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await send(async () => {
      const answer = await createUser({
        username: username.trim(),
        displayName: displayName.trim(),
        role,
        buildings,
        mustChangePassword: mustChange,
        ...(password.mode === 'set' ? { password: password.password } : {}),
      });
      setCreated({ user: answer.user, temporaryPassword: answer.temporaryPassword });
      onChanged();
    });
  };

  const startOver = () => {
    setCreated(null);
    setUsername('');
    setDisplayName('');
    setBuildings([]);
    setPassword({ mode: 'generate' });
    setMustChange(true);
  };

  return (
    <aside className="office-detail users-detail card" data-testid="user-create" aria-labelledby="users-create-title">
      <DetailPanelHead eyebrow={t('section.users')} title={t('users.create.title')} titleId="users-create-title" headingRef={headingRef} closeTestId="user-create-close" onClose={onClose} />
      {created ? (
        <div className="users-section" data-testid="user-created" data-user-id={created.user.id}>
          <p role="status">{t('users.create.done', { username: created.user.username })}</p>
          {created.temporaryPassword ? <TemporaryPassword username={created.user.username} password={created.temporaryPassword} onDismiss={() => navigate(['users', created.user.id])} /> : null}
          <div className="users-actions">
            <button type="button" className="button button--small" data-testid="user-created-open" onClick={() => navigate(['users', created.user.id])}>
              {t('users.create.open')}
            </button>
            <button type="button" className="button button--small" onClick={startOver}>
              {t('users.create.another')}
            </button>
          </div>
        </div>
      ) : (
        <form className="form users-section" data-testid="user-create-form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={ids.username}>{t('users.field.username')}</label>
            <input
              id={ids.username}
              data-testid="user-create-username"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={64}
              value={username}
              aria-invalid={usernameBad}
              onChange={(e) => setUsername(e.target.value)}
            />
            <span className={usernameBad ? 'warning-text small' : 'muted small'}>{t(usernameBad ? 'users.problem.username' : 'users.field.usernameHint')}</span>
          </div>
          <div className="field">
            <label htmlFor={ids.displayName}>{t('users.field.displayName')}</label>
            <input id={ids.displayName} data-testid="user-create-name" required maxLength={128} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.role}>{t('users.field.role')}</label>
            <select id={ids.role} data-testid="user-create-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {t(`role.${r}`)}
                </option>
              ))}
            </select>
          </div>
          <BuildingPicker value={buildings} onChange={setBuildings} testId="user-create-buildings" />
          <PasswordChoiceField value={password} onChange={setPassword} testId="user-create-password" />
          <label className="checkbox">
            <input type="checkbox" data-testid="user-create-must-change" checked={mustChange} onChange={(e) => setMustChange(e.target.checked)} />
            {t('users.field.mustChange')}
          </label>
          <button
            type="submit"
            className="button button--primary"
            data-testid="user-create-submit"
            disabled={busy || usernameBad || !username.trim() || !displayName.trim() || !passwordReady(password)}
          >
            {t('users.create.submit')}
          </button>
          {error ? <ErrorText error={error} /> : null}
        </form>
      )}
    </aside>
  );
}

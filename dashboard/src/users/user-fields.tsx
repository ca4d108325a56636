import { useId, useState } from 'react';
import { useT } from '../i18n/i18n-context.tsx';
import { useBuildingNames } from '../workorders/use-building-names.ts';
import { MIN_PASSWORD_LENGTH, type AdminUser } from './users-api.ts';

/** The buildings a user is limited to, as ticks; none ticked means the whole estate. */
export function BuildingPicker({ value, onChange, testId }: { value: readonly string[]; onChange: (next: string[]) => void; testId: string }) {
  const t = useT();
  const buildings = useBuildingNames();
  // A limit to a building the estate no longer lists still shows, so it can be removed.
  const ids = [...new Set([...buildings.ids, ...value])];
  const toggle = (id: string, on: boolean) => onChange(on ? [...value, id] : value.filter((b) => b !== id));
  return (
    <fieldset className="users-buildings" data-testid={testId}>
      <legend>{t('users.field.buildings')}</legend>
      {ids.map((id) => (
        <label key={id} className="checkbox">
          <input type="checkbox" data-building={id} checked={value.includes(id)} onChange={(e) => toggle(id, e.target.checked)} />
          {buildings.label(id)}
        </label>
      ))}
      <span className="muted small">{t('users.field.buildingsHint')}</span>
    </fieldset>
  );
}

export type PasswordChoice = { mode: 'generate' } | { mode: 'set'; password: string };

/** Generate a password (the hub answers it once) or type one in. */
export function PasswordChoiceField({ value, onChange, testId }: { value: PasswordChoice; onChange: (next: PasswordChoice) => void; testId: string }) {
  const t = useT();
  const name = useId();
  const inputId = useId();
  const typed = value.mode === 'set' ? value.password : '';
  const short = value.mode === 'set' && typed.length > 0 && typed.length < MIN_PASSWORD_LENGTH;
  return (
    <fieldset className="users-password" data-testid={testId}>
      <legend>{t('users.field.password')}</legend>
      <label className="checkbox">
        <input type="radio" name={name} data-testid={`${testId}-generate`} checked={value.mode === 'generate'} onChange={() => onChange({ mode: 'generate' })} />
        {t('users.field.passwordGenerate')}
      </label>
      <label className="checkbox">
        <input type="radio" name={name} data-testid={`${testId}-set`} checked={value.mode === 'set'} onChange={() => onChange({ mode: 'set', password: typed })} />
        {t('users.field.passwordSet')}
      </label>
      {value.mode === 'set' ? (
        <div className="field">
          <label htmlFor={inputId}>{t('users.field.password')}</label>
          <input
            id={inputId}
            type="password"
            autoComplete="new-password"
            data-testid={`${testId}-input`}
            required
            minLength={MIN_PASSWORD_LENGTH}
            maxLength={256}
            value={typed}
            aria-invalid={short}
            onChange={(e) => onChange({ mode: 'set', password: e.target.value })}
          />
          <span className={short ? 'warning-text small' : 'muted small'}>{t('users.field.passwordHint', { n: MIN_PASSWORD_LENGTH })}</span>
        </div>
      ) : null}
    </fieldset>
  );
}

export function passwordReady(choice: PasswordChoice): boolean {
  return choice.mode === 'generate' || choice.password.length >= MIN_PASSWORD_LENGTH;
}

/**
 * A password the hub generated, shown this once: the hub keeps only its hash, so
 * closing this is the last chance to pass it on.
 */
export function TemporaryPassword({ username, password, onDismiss }: { username: string; password: string; onDismiss: () => void }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      setCopied(true);
    } catch {
      // No clipboard (plain HTTP, or refused): the password stays on screen to copy by hand.
    }
  };
  return (
    <div className="banner banner--warning users-temporary" role="status" data-testid="temporary-password-notice">
      <strong>{t('users.temporary.title')}</strong>
      <code className="users-temporary__secret" data-testid="temporary-password">
        {password}
      </code>
      <span className="small">{t('users.temporary.once', { username })}</span>
      <span className="users-temporary__actions">
        <button type="button" className="button button--small" onClick={() => void copy()}>
          {t(copied ? 'users.temporary.copied' : 'users.temporary.copy')}
        </button>
        <button type="button" className="button button--small" data-testid="temporary-password-dismiss" onClick={onDismiss}>
          {t('users.temporary.dismiss')}
        </button>
      </span>
    </div>
  );
}

/** Active or deactivated, and whether the user still has to replace a password an administrator set. */
export function UserStatusPill({ user }: { user: AdminUser }) {
  const t = useT();
  return (
    <span className="users-status">
      <span className={`pill ${user.disabled ? 'pill--unknown' : 'pill--ok'}`} data-testid="user-status">
        {t(user.disabled ? 'users.status.inactive' : 'users.status.active')}
      </span>
      {user.mustChangePassword && !user.disabled ? <span className="pill pill--medium">{t('users.mustChange')}</span> : null}
    </span>
  );
}

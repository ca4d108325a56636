import { useId, useState, type FormEvent } from 'react';
import { useSubmission } from '../api/use-submission.ts';
import { useAuth, useUser } from '../auth/auth-context.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { BrandMark } from '../shell/brand-mark.tsx';
import { ErrorText } from '../shell/error-text.tsx';
import { LanguageSwitch } from '../shell/language-switch.tsx';
import { changeOwnPassword, MIN_PASSWORD_LENGTH } from './users-api.ts';

/**
 * Shown instead of the app while the signed-in user still has a password an
 * administrator set (a new account or a reset): they choose their own, then the app
 * reloads who they are and opens as usual. Signing out is the only other way out.
 */
export function ChangePasswordPage() {
  const t = useT();
  const user = useUser();
  const { retryRestore, logout } = useAuth();
  const ids = { current: useId(), next: useId(), repeat: useId() };
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const { busy, error, send } = useSubmission();
  const mismatch = repeat.length > 0 && next !== repeat;
  const short = next.length > 0 && next.length < MIN_PASSWORD_LENGTH;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (mismatch || short) return;
    await send(async () => {
      await changeOwnPassword(current, next);
      // The session stays; asking the hub who we are again clears the "must change" flag.
      retryRestore();
    });
  };

  return (
    <div className="login-screen">
      <div className="login-screen__lang">
        <LanguageSwitch />
      </div>
      <main className="login-card" data-testid="change-password-page" data-username={user.username}>
        <div className="login-card__brand">
          <BrandMark size={40} />
          <div>
            <div className="login-card__name">{t('app.name')}</div>
            <div className="login-card__tagline">{user.displayName}</div>
          </div>
        </div>
        <h1 className="login-card__title">{t('password.title')}</h1>
        <p className="login-card__subtitle">{t('password.about')}</p>
        <form className="form" data-testid="change-password-form" onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={ids.current}>{t('password.current')}</label>
            <input id={ids.current} type="password" autoComplete="current-password" data-testid="change-password-current" required autoFocus value={current} onChange={(e) => setCurrent(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={ids.next}>{t('password.new')}</label>
            <input id={ids.next} type="password" autoComplete="new-password" data-testid="change-password-new" required minLength={MIN_PASSWORD_LENGTH} maxLength={256} aria-invalid={short} value={next} onChange={(e) => setNext(e.target.value)} />
            <span className={short ? 'warning-text small' : 'muted small'}>{t('users.field.passwordHint', { n: MIN_PASSWORD_LENGTH })}</span>
          </div>
          <div className="field">
            <label htmlFor={ids.repeat}>{t('password.repeat')}</label>
            <input id={ids.repeat} type="password" autoComplete="new-password" data-testid="change-password-repeat" required aria-invalid={mismatch} value={repeat} onChange={(e) => setRepeat(e.target.value)} />
            {mismatch ? <span className="warning-text small">{t('password.mismatch')}</span> : null}
          </div>
          {error ? <ErrorText error={error} /> : null}
          <button type="submit" className="button button--primary button--block" data-testid="change-password-submit" disabled={busy || mismatch || short || !current || !next}>
            {busy ? t('password.submitting') : t('password.submit')}
          </button>
          <button type="button" className="button button--block" onClick={() => void logout()}>
            {t('header.signOut')}
          </button>
        </form>
      </main>
    </div>
  );
}

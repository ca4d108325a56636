import { useId, useState, type FormEvent } from 'react';
import { CLIENT_ERR_NETWORK, isApiError } from '../api/client.ts';
import { useT, type Translate } from '../i18n/i18n-context.tsx';
import { BrandMark } from '../shell/brand-mark.tsx';
import { describeError } from '../shell/error-text.tsx';
import { LanguageSwitch } from '../shell/language-switch.tsx';
import { useAuth, type LoginNotice } from './auth-context.tsx';

function loginErrorText(t: Translate, error: unknown): string {
  if (!isApiError(error)) return t('error.network');
  if (error.status === 401 || error.code === 'WARDEN_ERR_AUTH_FAILED') return t('login.error.authFailed');
  if (error.status === 429) {
    return error.retryAfterSeconds ? t('login.error.tooManyRetry', { seconds: error.retryAfterSeconds }) : t('login.error.tooMany');
  }
  if (error.code === CLIENT_ERR_NETWORK) return t('error.network');
  return describeError(t, error);
}

export function LoginPage({ notice }: { notice: LoginNotice }) {
  const t = useT();
  const { login } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const usernameId = useId();
  const passwordId = useId();
  const errorId = useId();

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submitting) return;
    setSubmitting(true);
    setError(null);
    try {
      // On success the provider switches to the app and this page unmounts.
      await login(username.trim(), password);
    } catch (cause) {
      setError(cause);
      setPassword('');
      setSubmitting(false);
    }
  };

  return (
    <div className="login-screen">
      <div className="login-screen__lang">
        <LanguageSwitch />
      </div>
      <main className="login-card" data-testid="login-page">
        <div className="login-card__brand">
          <BrandMark size={40} />
          <div>
            <div className="login-card__name">{t('app.name')}</div>
            <div className="login-card__tagline">{t('app.tagline')}</div>
          </div>
        </div>
        <h1 className="login-card__title">{t('login.title')}</h1>
        <p className="login-card__subtitle">{t('login.subtitle')}</p>
        {notice && !error ? (
          <p className="notice" data-testid="login-notice" role="status">
            {t(notice === 'signedOut' ? 'login.notice.signedOut' : 'login.notice.sessionEnded')}
          </p>
        ) : null}
        <form className="form" data-testid="login-form" onSubmit={(event) => void onSubmit(event)}>
          <div className="field">
            <label htmlFor={usernameId}>{t('login.username')}</label>
            <input
              id={usernameId}
              name="username"
              data-testid="login-username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              autoFocus
              value={username}
              onChange={(event) => setUsername(event.target.value)}
              aria-describedby={error ? errorId : undefined}
            />
          </div>
          <div className="field">
            <label htmlFor={passwordId}>{t('login.password')}</label>
            <input
              id={passwordId}
              name="password"
              type="password"
              data-testid="login-password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-describedby={error ? errorId : undefined}
            />
          </div>
          {error ? (
            <p className="form__error" id={errorId} role="alert" data-testid="login-error" data-code={isApiError(error) ? error.code : undefined}>
              {loginErrorText(t, error)}
            </p>
          ) : null}
          <button type="submit" className="button button--primary button--block" data-testid="login-submit" disabled={submitting}>
            {submitting ? t('login.submitting') : t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  );
}

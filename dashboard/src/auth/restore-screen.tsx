import { useT } from '../i18n/i18n-context.tsx';
import { BrandMark } from '../shell/brand-mark.tsx';
import { LanguageSwitch } from '../shell/language-switch.tsx';
import { useAuth } from './auth-context.tsx';

/** Between page load and knowing who is signed in: checking, or the hub is unreachable. */
export function RestoreScreen({ unreachable }: { unreachable: boolean }) {
  const t = useT();
  const { retryRestore, abandonRestore } = useAuth();
  return (
    <div className="login-screen">
      <div className="login-screen__lang">
        <LanguageSwitch />
      </div>
      <main className="login-card" data-testid={unreachable ? 'restore-failed' : 'restore-pending'} aria-busy={!unreachable}>
        <div className="login-card__brand">
          <BrandMark size={40} />
          <div>
            <div className="login-card__name">{t('app.name')}</div>
            <div className="login-card__tagline">{t('app.tagline')}</div>
          </div>
        </div>
        {unreachable ? (
          <>
            <p className="form__error" role="alert">
              {t('restore.failed')}
            </p>
            <div className="button-row">
              <button type="button" className="button button--primary" data-testid="restore-retry" onClick={retryRestore}>
                {t('common.retry')}
              </button>
              <button type="button" className="button" data-testid="restore-sign-in" onClick={abandonRestore}>
                {t('restore.signInAgain')}
              </button>
            </div>
          </>
        ) : (
          <p className="muted" role="status">
            {t('restore.checking')}
          </p>
        )}
      </main>
    </div>
  );
}

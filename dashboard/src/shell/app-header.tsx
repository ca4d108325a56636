import { useState } from 'react';
import { useAuth, useUser } from '../auth/auth-context.tsx';
import { useT } from '../i18n/i18n-context.tsx';
import { BrandMark } from './brand-mark.tsx';
import { LanguageSwitch } from './language-switch.tsx';
import { LiveIndicator } from './live-indicator.tsx';

export function AppHeader() {
  const t = useT();
  const user = useUser();
  const { logout } = useAuth();
  const [signingOut, setSigningOut] = useState(false);
  const roleName = t(`role.${user.role}`);

  return (
    <header className="app-header" data-testid="app-header">
      <a className="app-header__brand" href="#/">
        <BrandMark />
        <span className="app-header__name">{t('app.name')}</span>
        <span className="app-header__tagline">{t('app.tagline')}</span>
      </a>
      <div className="app-header__tools">
        <LiveIndicator />
        <LanguageSwitch />
        <span className="app-header__user" data-testid="current-user" data-role={user.role} title={t('header.user', { name: user.displayName, role: roleName })}>
          <span className="app-header__user-name">{user.displayName}</span>
          <span className="app-header__user-role">{roleName}</span>
        </span>
        <button
          type="button"
          className="button button--small button--ghost-dark"
          data-testid="logout-button"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void logout();
          }}
        >
          {t('header.signOut')}
        </button>
      </div>
    </header>
  );
}

import { useId } from 'react';
import { isLocale, localeNames, locales, useLocale, useT } from '../i18n/i18n-context.tsx';

/** Shown on the login page and in the header; the choice is remembered in localStorage. */
export function LanguageSwitch({ tone = 'dark' }: { tone?: 'dark' | 'light' }) {
  const { locale, setLocale } = useLocale();
  const t = useT();
  const id = useId();
  return (
    <div className={`language-switch language-switch--${tone}`}>
      <label htmlFor={id} className="language-switch__label">
        <span aria-hidden="true" className="language-switch__icon">
          文A
        </span>
        <span className="visually-hidden">{t('lang.label')}</span>
      </label>
      <select
        id={id}
        data-testid="language-switch"
        value={locale}
        onChange={(event) => {
          if (isLocale(event.target.value)) setLocale(event.target.value);
        }}
      >
        {locales.map((code) => (
          <option key={code} value={code} lang={code}>
            {localeNames[code]}
          </option>
        ))}
      </select>
    </div>
  );
}

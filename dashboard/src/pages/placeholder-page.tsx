import { useT } from '../i18n/i18n-context.tsx';
import { sections, type SectionId } from '../shell/sections.ts';
import { PageHeader } from './page-header.tsx';

/** Holds a section's place in the navigation until its real page lands. */
export function PlaceholderPage({ section }: { section: SectionId }) {
  const t = useT();
  const info = sections[section];
  return (
    <>
      <PageHeader title={t(info.title)} />
      {/* The page title already names the section; the card says what it will hold. */}
      <section className="card placeholder" data-testid={`placeholder-${section}`}>
        <span className="pill pill--low">{t('placeholder.badge')}</span>
        <p className="placeholder__about">{t(info.about)}</p>
        <p className="placeholder__later">{t('placeholder.arrivesLater')}</p>
      </section>
    </>
  );
}

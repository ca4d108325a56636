import { useT } from '../i18n/i18n-context.tsx';
import { formatHash } from '../router/hash-router.ts';
import { sections, type SectionId } from './sections.ts';

export function SideNav({ items, active }: { items: readonly SectionId[]; active: SectionId | null }) {
  const t = useT();
  return (
    <nav className="side-nav" aria-label={t('nav.label')} data-testid="nav">
      <ul>
        {items.map((id) => (
          <li key={id}>
            <a
              href={formatHash([id])}
              className="side-nav__item"
              data-testid={`nav-${id}`}
              aria-current={id === active ? 'page' : undefined}
            >
              {t(sections[id].title)}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

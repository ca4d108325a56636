import { useT } from '../i18n/i18n-context.tsx';
import { pageCount } from './unit-filters.ts';

/** Previous / next with "page 2 of 6"; hidden while everything fits on one page. */
export function Pager({ page, limit, total, onPage, testId }: { page: number; limit: number; total: number; onPage: (page: number) => void; testId: string }) {
  const t = useT();
  const pages = pageCount(total, limit);
  if (pages <= 1 && page <= 1) return null;
  return (
    <nav className="records-pager" aria-label={t('records.page.label')} data-testid={testId}>
      <button type="button" className="button button--small" disabled={page <= 1} onClick={() => onPage(page - 1)} data-testid={`${testId}-prev`}>
        ← {t('records.page.prev')}
      </button>
      <span className="muted small" data-testid={`${testId}-position`}>
        {t('records.page.of', { page, pages })}
      </span>
      <button type="button" className="button button--small" disabled={page >= pages} onClick={() => onPage(page + 1)} data-testid={`${testId}-next`}>
        {t('records.page.next')} →
      </button>
    </nav>
  );
}

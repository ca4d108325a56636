import { useEffect, useRef, type ReactNode, type RefObject } from 'react';
import type { ApiError } from '../api/client.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { ErrorText } from './error-text.tsx';

/**
 * The pieces the office pages' detail panels (a unit, a bill, a request, a piece of
 * equipment) share: the panel while its record loads or failed to, and the head with
 * the title and the close button. The panel itself is `.office-detail` (app.css).
 */

/**
 * A ref for the panel's title that takes the focus once the record shows, so a
 * keyboard or screen-reader user lands on what they opened.
 */
export function useTitleFocus(shown: boolean): RefObject<HTMLHeadingElement | null> {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (shown) headingRef.current?.focus();
  }, [shown]);
  return headingRef;
}

function CloseButton({ testId, onClose }: { testId: string | undefined; onClose: () => void }) {
  const t = useT();
  return (
    <button type="button" className="button button--small" data-testid={testId} onClick={onClose}>
      {t('common.close')}
    </button>
  );
}

/** The panel before its record is there: what it is, a close button, and "loading" or why it failed (`notFound` when the record is gone). */
export function DetailPanelPending({
  className,
  testId,
  eyebrow,
  notFound,
  loading,
  error,
  closeTestId,
  onClose,
}: {
  /** The page's own class for the panel, next to `office-detail`. */
  className: string;
  testId: string;
  eyebrow: string;
  notFound: string;
  loading: boolean;
  error: ApiError | null;
  closeTestId?: string;
  onClose: () => void;
}) {
  const t = useT();
  return (
    <aside className={`office-detail ${className} card`} data-testid={testId} aria-busy={loading}>
      <div className="card__head">
        <p className="eyebrow">{eyebrow}</p>
        <CloseButton testId={closeTestId} onClose={onClose} />
      </div>
      {loading ? <p className="muted">{t('common.loading')}</p> : null}
      {error ? error.status === 404 ? <p className="empty-note">{notFound}</p> : <ErrorText error={error} /> : null}
    </aside>
  );
}

/** The head of a shown panel: an eyebrow over the title (labelled by `titleId`, focused through `headingRef`) and the close button. */
export function DetailPanelHead({
  eyebrow,
  title,
  titleId,
  headingRef,
  closeTestId,
  onClose,
}: {
  eyebrow: ReactNode;
  title: ReactNode;
  titleId: string;
  headingRef: RefObject<HTMLHeadingElement | null>;
  closeTestId: string;
  onClose: () => void;
}) {
  return (
    <div className="card__head">
      <div>
        <p className="eyebrow">{eyebrow}</p>
        <h2 className="card__title" id={titleId} tabIndex={-1} ref={headingRef}>
          {title}
        </h2>
      </div>
      <CloseButton testId={closeTestId} onClose={onClose} />
    </div>
  );
}

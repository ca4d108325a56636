import { CLIENT_ERR_BAD_RESPONSE, CLIENT_ERR_NETWORK, type ApiError } from '../api/client.ts';
import { useT, type Translate } from '../i18n/i18n-context.tsx';

/** A failure in words a user can act on; the hub's code stays visible for support. */
export function describeError(t: Translate, error: ApiError): string {
  if (error.code === CLIENT_ERR_NETWORK) return t('error.network');
  if (error.code === CLIENT_ERR_BAD_RESPONSE) return t('error.badResponse', { status: error.status });
  if (error.status === 403) return t('error.forbidden');
  return error.message;
}

export function ErrorText({ error, testId = 'error-text' }: { error: ApiError; testId?: string }) {
  const t = useT();
  const isClientSide = error.code === CLIENT_ERR_NETWORK || error.code === CLIENT_ERR_BAD_RESPONSE;
  return (
    <span className="error-text" role="alert" data-testid={testId} data-code={error.code}>
      {describeError(t, error)}
      {isClientSide ? null : <code className="error-text__code">{error.code}</code>}
    </span>
  );
}

/** A failure in a red banner, with a retry button where the view can load again. */
export function ErrorBanner({ error, onRetry }: { error: ApiError | null; onRetry?: () => void }) {
  const t = useT();
  if (!error) return null;
  return (
    <div className="banner banner--error">
      <ErrorText error={error} />
      {onRetry ? (
        <button type="button" className="button button--small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

import { useState } from 'react';
import { isApiError, type ApiError } from './client.ts';

/**
 * A form's request to the hub: `busy` while it runs (the form disables its button
 * meanwhile), and the hub's refusal as `error` to show by the form. `send` clears the
 * last refusal and runs the request with what follows it (reset the form, tell the
 * parent); any other failure is not shown.
 */
export function useSubmission(): { busy: boolean; error: ApiError | null; send: (request: () => Promise<unknown>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const send = async (request: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await request();
    } catch (cause) {
      if (isApiError(cause)) setError(cause);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, send };
}

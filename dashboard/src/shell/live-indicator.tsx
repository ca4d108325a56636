import { type MessageKey } from '../i18n/en.ts';
import { useT } from '../i18n/i18n-context.tsx';
import { useLiveState } from '../live/live-context.tsx';
import { type LiveConnectionState } from '../live/live-client.ts';

const labels: Record<LiveConnectionState, { label: MessageKey; hint: MessageKey }> = {
  connected: { label: 'live.connected', hint: 'live.hint.connected' },
  connecting: { label: 'live.connecting', hint: 'live.hint.connecting' },
  reconnecting: { label: 'live.reconnecting', hint: 'live.hint.reconnecting' },
  idle: { label: 'live.idle', hint: 'live.hint.idle' },
};

/**
 * Connection state of the live stream. Deliberately quiet when the stream is down: pages
 * poll on their own, so a missing stream is a degraded mode, not an outage to shout about.
 */
export function LiveIndicator() {
  const state = useLiveState();
  const t = useT();
  const { label, hint } = labels[state];
  return (
    <span className={`live-indicator live-indicator--${state}`} data-testid="live-indicator" data-state={state} title={t(hint)} role="status">
      <span className="live-indicator__dot" aria-hidden="true" />
      <span className="live-indicator__label">{t(label)}</span>
      <span className="visually-hidden">{t(hint)}</span>
    </span>
  );
}

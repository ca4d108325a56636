import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.ts';
import { commandDoor, type Door, type DoorAction } from '../api/hub-api.ts';
import { useT, type Translate } from '../i18n/i18n-context.tsx';

/** Unlock durations offered, in seconds; 0: until locked again. */
const unlockDurations = [10, 60, 300, 900, 3600, 0] as const;

type Result = { kind: 'ok' | 'error' | 'timeout'; text: string };

function durationName(t: Translate, sec: number): string {
  if (sec === 0) return t('security.door.untilLocked');
  return sec < 60 ? t('security.door.seconds', { n: sec }) : sec < 3600 ? t('security.door.minutes', { n: sec / 60 }) : t('security.door.hours', { n: sec / 3600 });
}

function stateText(t: Translate, door: Door): string {
  const open = door.open === null ? t('security.door.unknown') : door.open ? t('security.door.open') : t('security.door.closed');
  const locked = door.locked === null ? t('security.door.unknown') : door.locked ? t('security.door.locked') : t('security.door.unlocked');
  return `${open} · ${locked}`;
}

/**
 * Remote control of one door: Unlock (for a while, or until locked), Lock, or one
 * Momentary access, each with a reason the hub audits. Shows the door's open/locked
 * state and how the last command ended.
 */
export function DoorControls({ door }: { door: Door }) {
  const t = useT();
  const [action, setAction] = useState<DoorAction | null>(null);
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState<number>(60);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  const choose = (next: DoorAction) => {
    setAction(action === next ? null : next);
    setResult(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!action || busy || !reason.trim()) return;
    setBusy(true);
    setResult(null);
    try {
      const input = action === 'unlock' && duration > 0 ? { reason: reason.trim(), durationSec: duration } : { reason: reason.trim() };
      const outcome = await commandDoor(door.id, action, input);
      setResult({ kind: 'ok', text: t('security.door.done', { ms: outcome.elapsedMs }) });
      setAction(null);
      setReason('');
    } catch (cause) {
      const timeout = cause instanceof ApiError && cause.status === 504;
      setResult({ kind: timeout ? 'timeout' : 'error', text: timeout ? t('security.door.timeout') : t('security.door.failed', { message: cause instanceof Error ? cause.message : String(cause) }) });
    } finally {
      setBusy(false);
    }
  };

  const actionLabel: Record<DoorAction, string> = { unlock: t('security.door.unlock'), lock: t('security.door.lock'), access: t('security.door.access') };

  return (
    <div className="door-controls" data-testid="door-controls" data-door-id={door.id} data-door-code={door.code}>
      <div className="door-controls__head">
        <span className="door-controls__name">{door.name}</span>
        <span
          className={`door-state${door.open ? ' door-state--open' : ''}${door.locked === false ? ' door-state--unlocked' : ''}`}
          data-testid="door-state"
          data-open={door.open === null ? 'unknown' : String(door.open)}
          data-locked={door.locked === null ? 'unknown' : String(door.locked)}
        >
          {door.online ? stateText(t, door) : t('security.door.offline')}
        </span>
      </div>
      <div className="button-row">
        {(['unlock', 'lock', 'access'] as const).map((a) => (
          <button key={a} type="button" className="button button--small" data-testid={`door-${a}`} aria-expanded={action === a} disabled={busy} onClick={() => choose(a)}>
            {actionLabel[a]}
          </button>
        ))}
      </div>
      {action ? (
        <form className="door-controls__form" onSubmit={(e) => void submit(e)} data-action={action}>
          {action === 'unlock' ? (
            <label className="field">
              <span className="field__label">{t('security.door.duration')}</span>
              <select data-testid="door-duration" value={duration} onChange={(e) => setDuration(Number(e.target.value))}>
                {unlockDurations.map((sec) => (
                  <option key={sec} value={sec}>
                    {durationName(t, sec)}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="field">
            <span className="field__label">{t('security.door.reason')}</span>
            <input data-testid="door-reason" value={reason} maxLength={256} required placeholder={t('security.door.reasonHint')} onChange={(e) => setReason(e.target.value)} />
          </label>
          <div className="button-row">
            <button type="submit" className="button button--danger button--small" data-testid="door-command-submit" disabled={busy || !reason.trim()}>
              {busy ? t('security.door.sending') : actionLabel[action]}
            </button>
            <button type="button" className="button button--quiet button--small" onClick={() => setAction(null)}>
              {t('security.door.cancel')}
            </button>
          </div>
        </form>
      ) : null}
      {result ? (
        <p className={`door-controls__result door-controls__result--${result.kind}`} role="status" data-testid="door-command-result" data-result={result.kind}>
          {result.text}
        </p>
      ) : null}
    </div>
  );
}

/** The door controls of several doors under one heading (nothing when there are none). */
export function DoorPanel({ doors, testId = 'door-panel' }: { doors: readonly Door[]; testId?: string }) {
  const t = useT();
  if (!doors.length) return null;
  return (
    <section className="alarm-detail__section door-panel" data-testid={testId}>
      <h3>{t('security.door.title')}</h3>
      {doors.map((d) => (
        <DoorControls key={d.id} door={d} />
      ))}
    </section>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { type AlarmFeed } from './alarm-feed.ts';
import { AlarmSounder, readMuted, saveMuted } from './alarm-sound.ts';
import { highestUnacknowledged, priorityRank } from './alarm-store.ts';

/** While a critical alarm stands unacknowledged, its tone comes back this often. */
const CRITICAL_REMINDER_MS = 20_000;

/**
 * Sounds new unacknowledged alarms by priority (the most urgent of a batch), repeats
 * the critical tone until someone acknowledges, and keeps the guard's mute choice.
 */
export function useAlarmSound(feed: AlarmFeed): { muted: boolean; toggle: () => void; unavailable: boolean } {
  const [sounder] = useState(() => new AlarmSounder(readMuted()));
  const [muted, setMuted] = useState(sounder.muted);
  const [unavailable, setUnavailable] = useState(false);

  useEffect(() => {
    const off = feed.onAnnunciate((alarms) => {
      const top = alarms.reduce((best, a) => (priorityRank[a.priority] < priorityRank[best.priority] ? a : best));
      sounder.play(top.priority);
      setUnavailable(sounder.isUnavailable);
    });
    const reminder = setInterval(() => {
      if (highestUnacknowledged(feed.state, Date.now()) === 'critical') sounder.play('critical');
    }, CRITICAL_REMINDER_MS);
    // Browsers keep audio suspended until the user interacts; the first click or key anywhere
    // unlocks it. Just after the event, not in it: creating the audio context can take a
    // long moment, and user activation is sticky, so the click itself stays instant.
    let unlockTimer: ReturnType<typeof setTimeout> | undefined;
    const unlock = () => {
      unlockTimer = setTimeout(() => sounder.unlock(), 0);
    };
    window.addEventListener('pointerdown', unlock, { once: true });
    window.addEventListener('keydown', unlock, { once: true });
    return () => {
      off();
      clearInterval(reminder);
      clearTimeout(unlockTimer);
      window.removeEventListener('pointerdown', unlock);
      window.removeEventListener('keydown', unlock);
    };
  }, [feed, sounder]);

  useEffect(() => () => sounder.close(), [sounder]);

  const toggle = useCallback(() => {
    sounder.muted = !sounder.muted;
    saveMuted(sounder.muted);
    setMuted(sounder.muted);
    if (!sounder.muted) {
      sounder.unlock();
      // A short low tone confirms sound is on (and that the speakers work).
      sounder.play('low');
      setUnavailable(sounder.isUnavailable);
    }
  }, [sounder]);

  return { muted, toggle, unavailable };
}

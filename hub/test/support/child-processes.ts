import type { ChildProcess } from 'node:child_process';

/**
 * Last-resort clean-up for tests that run real processes. afterAll hooks stop
 * what a test started; these run when the test process exits without them (a
 * crash, an unhandled error, a hook that timed out), so no hub, agent, broker or
 * database outlives the run. 'exit' listeners must be synchronous: children are
 * SIGKILLed by pid.
 */
const children = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const cleanup of cleanups) {
      try {
        cleanup();
      } catch {
        // Exiting: one failed clean-up must not keep the others from running.
      }
    }
  });
}

/** Kills the child on exit if it still runs then. */
export function trackChild(child: ChildProcess): void {
  hook();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Runs a synchronous clean-up on exit; returns the function that cancels it. */
export function onProcessExit(cleanup: () => void): () => void {
  hook();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

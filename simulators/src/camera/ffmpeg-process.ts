/**
 * Runs the system ffmpeg for one finite job. Every child is tracked: an abort
 * signal kills it, and so does the exit of this process, so a simulator
 * stopped (or its CLI killed with SIGTERM) never leaves an ffmpeg behind.
 * Jobs are finite by construction (fixed-length lavfi sources), so even a
 * SIGKILLed parent leaves at most a few seconds of orphaned encoding.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
}

/** Pids of ffmpeg children still running (for tests and diagnostics). */
export function runningFfmpegPids(): number[] {
  return [...running].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

export function runFfmpeg(args: readonly string[], options: { ffmpegPath?: string; signal?: AbortSignal; cwd?: string } = {}): Promise<void> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new FfmpegError('ffmpeg job aborted before start'));
  installExitHook();
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      cwd: options.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    running.add(child);
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const onAbort = (): void => {
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      running.delete(child);
      signal?.removeEventListener('abort', onAbort);
      reject(new FfmpegError(`could not run ffmpeg (${options.ffmpegPath ?? 'ffmpeg'}): ${err.message}`));
    });
    child.once('close', (code, sig) => {
      running.delete(child);
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(new FfmpegError('ffmpeg job aborted'));
      else if (code === 0) resolve();
      else reject(new FfmpegError(`ffmpeg failed (${sig ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
    });
  });
}

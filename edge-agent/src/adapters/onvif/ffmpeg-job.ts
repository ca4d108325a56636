/**
 * The system ffmpeg for one bounded job (a frame grab, a short clip from a
 * camera's RTSP stream). Every child is tracked: the job's abort signal kills
 * it (the adapter aborts its jobs on stop, which the agent's SIGINT/SIGTERM
 * handler runs), a hard timeout kills it, and the exit of this process kills
 * whatever is left — an agent never leaves an ffmpeg behind.
 *
 * ffmpeg is spawned directly rather than through fluent-ffmpeg: the agent
 * runs two fixed command lines and must own the child's lifetime (kill on
 * abort, timeout and exit), which a direct spawn states plainly.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously on every exit path that runs JS (process.exit, end of the event loop).
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Pids of ffmpeg children still running (tests check none is left). */
export function runningFfmpegPids(): number[] {
  return [...running].map((c) => c.pid).filter((p): p is number => p !== undefined);
}

export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
}

export interface FfmpegJobOptions {
  ffmpegPath?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Collect stdout (a frame piped out) up to this many bytes. */
  maxStdoutBytes?: number;
  /** Secrets to blank out of error messages (ffmpeg echoes the input URL, credentials included). */
  redact?: readonly string[];
}

/** Runs ffmpeg with `args`; resolves with its stdout (empty unless collected). */
export function runFfmpeg(args: readonly string[], options: FfmpegJobOptions): Promise<Buffer> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new FfmpegError('ffmpeg job cancelled before start'));
  installExitHook();
  const redact = (text: string): string => {
    let out = text.replace(/(rtsps?:\/\/)[^/@\s]*@/gi, '$1***@');
    for (const secret of options.redact ?? []) if (secret) out = out.split(secret).join('***');
    return out;
  };
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', options.maxStdoutBytes ? 'pipe' : 'ignore', 'pipe'],
    });
    running.add(child);
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let failure: string | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes!) {
        failure ??= `ffmpeg output exceeds ${options.maxStdoutBytes} bytes`;
        child.kill('SIGKILL');
      } else chunks.push(chunk);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const kill = (reason: string) => {
      failure ??= reason;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`ffmpeg did not finish within ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = () => kill('ffmpeg job cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      running.delete(child);
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => {
      done();
      reject(new FfmpegError(`could not run ffmpeg (${options.ffmpegPath ?? 'ffmpeg'}): ${err.message}`));
    });
    child.once('close', (code, sig) => {
      done();
      if (failure) reject(new FfmpegError(failure));
      else if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new FfmpegError(`ffmpeg failed (${sig ?? `exit ${code}`}): ${redact(stderr.trim()) || 'no output'}`));
    });
  });
}

/** The input options for a camera's RTSP stream: TCP interleaved, and a short probe so the first frame comes fast. */
export function rtspInputArgs(rtspUrlWithCredentials: string): string[] {
  return ['-rtsp_transport', 'tcp', '-analyzeduration', '500000', '-probesize', '100000', '-i', rtspUrlWithCredentials];
}

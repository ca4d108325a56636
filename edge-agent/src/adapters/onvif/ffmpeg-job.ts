/**
 * The system ffmpeg, through fluent-ffmpeg, for one bounded job (a frame grab,
 * a short clip from a camera's RTSP stream). fluent-ffmpeg builds the command
 * and spawns the child; this module owns the child's lifetime, which
 * fluent-ffmpeg leaves loose (its timeout sends SIGTERM only, and a job cancelled
 * before the spawn would still start):
 * - every child is tracked from fluent-ffmpeg's `start` (the spawn) to its exit;
 * - the job's abort signal kills it (the adapter aborts its jobs on stop, which
 *   the agent's SIGINT/SIGTERM handler runs), also when the abort comes before
 *   the spawn;
 * - a hard timeout kills it (SIGKILL);
 * - the exit of this process kills whatever is left — an agent never leaves an
 *   ffmpeg behind.
 * Errors quote ffmpeg's own stderr, with the stream's credentials blanked out
 * (ffmpeg echoes the input URL).
 *
 * fluent-ffmpeg runs `ffmpeg -formats` and `-encoders` once per process before
 * its first job (it checks the output format): `warmUpFfmpeg()` does that ahead
 * of time, so the first evidence snapshot does not pay for it.
 */
import type { ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';

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

/**
 * fluent-ffmpeg keeps one ffmpeg binary per process (a module-wide cache). The
 * first path asked for is the one used; a camera configured with another one
 * gets a clear error rather than silently running a different binary.
 */
let ffmpegBinary: string | undefined;
function useFfmpegPath(path: string): void {
  if (ffmpegBinary === undefined) {
    ffmpegBinary = path;
    ffmpeg.setFfmpegPath(path);
  } else if (ffmpegBinary !== path) {
    throw new FfmpegError(`ffmpeg path "${path}" differs from "${ffmpegBinary}", already in use by this agent: fluent-ffmpeg runs one ffmpeg binary per process`);
  }
}

let warmUp: Promise<void> | undefined;
/** Fills fluent-ffmpeg's format and encoder caches (two short ffmpeg runs, once per process). Never rejects. */
export function warmUpFfmpeg(ffmpegPath = 'ffmpeg'): Promise<void> {
  warmUp ??= new Promise<void>((resolve) => {
    try {
      useFfmpegPath(ffmpegPath);
    } catch {
      return resolve();
    }
    const command = ffmpeg();
    // Failures here surface, with their cause, in the first real job.
    command.availableFormats(() => command.availableEncoders(() => resolve()));
  });
  return warmUp;
}

export interface FfmpegJobOptions {
  ffmpegPath?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Collect the output piped to stdout (a frame) up to this many bytes; without it the job writes a file. */
  maxStdoutBytes?: number;
  /** Secrets to blank out of error messages (ffmpeg echoes the input URL, credentials included). */
  redact?: readonly string[];
}

/** The part of fluent-ffmpeg's command object it does not type: the child, set from `start` to the end. */
interface SpawnedCommand {
  ffmpegProc?: ChildProcess;
}

/**
 * An ffmpeg command on one RTSP input: TCP interleaved, and a short probe
 * (0.5 s, 100 kB) so the first frame comes in about one GOP plus the probe,
 * not seconds of stream analysis. `-nostdin`: fluent-ffmpeg gives the child a
 * stdin pipe, which ffmpeg would otherwise read for keystrokes.
 */
export function rtspCommand(rtspUrlWithCredentials: string): ffmpeg.FfmpegCommand {
  return ffmpeg(rtspUrlWithCredentials, { stdoutLines: 50 }).inputOptions([
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-rtsp_transport',
    'tcp',
    '-analyzeduration',
    '500000',
    '-probesize',
    '100000',
  ]);
}

/** Blanks credentials out of what ffmpeg said: `rtsp://user:pass@` and each given secret. */
export function redactFfmpegOutput(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(/(rtsps?:\/\/)[^/@\s]*@/gi, '$1***@');
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

/**
 * Runs `command` (its outputs already set, or, with `maxStdoutBytes`, piped to
 * stdout here); resolves with what it wrote to stdout (empty for file outputs).
 */
export function runFfmpeg(command: ffmpeg.FfmpegCommand, options: FfmpegJobOptions): Promise<Buffer> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new FfmpegError('ffmpeg job cancelled before start'));
  try {
    useFfmpegPath(options.ffmpegPath ?? 'ffmpeg');
  } catch (err) {
    return Promise.reject(err as Error);
  }
  installExitHook();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    let child: ChildProcess | undefined;
    let failure: string | undefined;
    let settled = false;
    let ended = false;
    let flushed = options.maxStdoutBytes === undefined;

    const kill = (reason: string) => {
      failure ??= reason;
      // Before the spawn there is no child yet: `start` kills it as it appears.
      child?.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`ffmpeg did not finish within ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = () => kill('ffmpeg job cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks));
    };

    if (options.maxStdoutBytes !== undefined) {
      const max = options.maxStdoutBytes;
      // emitClose false: fluent-ffmpeg reads a closing output stream as "Output stream closed" 20 ms later, and on a loaded machine ffmpeg's exit can come after that.
      const sink = new Writable({
        emitClose: false,
        write(chunk: Buffer, _encoding, callback) {
          stdoutBytes += chunk.length;
          if (stdoutBytes > max) kill(`ffmpeg output exceeds ${max} bytes`);
          else chunks.push(chunk);
          callback();
        },
      });
      sink.once('finish', () => {
        flushed = true;
        if (ended) settle();
      });
      command.output(sink);
    }

    command
      .on('start', () => {
        const proc = (command as unknown as SpawnedCommand).ffmpegProc;
        if (!proc) return;
        child = proc;
        running.add(proc);
        proc.once('exit', () => running.delete(proc));
        if (failure) proc.kill('SIGKILL');
      })
      .on('end', () => {
        ended = true;
        if (failure) settle(new FfmpegError(failure));
        else if (flushed) settle();
      })
      .on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
        if (child) running.delete(child);
        if (failure) return settle(new FfmpegError(failure));
        if (!child) return settle(new FfmpegError(`could not run ffmpeg (${options.ffmpegPath ?? 'ffmpeg'}): ${redactFfmpegOutput(err.message, options.redact)}`));
        // Set by Node before fluent-ffmpeg hears of the exit.
        const how = child.signalCode ?? (child.exitCode !== null ? `exit ${child.exitCode}` : 'did not start');
        settle(new FfmpegError(`ffmpeg failed (${how}): ${redactFfmpegOutput(stderr?.trim() || err.message, options.redact) || 'no output'}`));
      });
    command.run();
  });
}

import type { Readable } from 'node:stream';
import { waitFor } from './wait.js';

/** One line a child process wrote: parsed when it is a pino JSON line. */
export interface LogLine {
  at: number;
  text: string;
  json?: { level?: number; msg?: string; [key: string]: unknown };
}

/**
 * Collects what a child process writes (pino JSON lines, and plain text such as
 * a crash message), so tests can wait for a log event and print the tail of the
 * output when something fails. Keeps the last `keep` lines.
 */
export class ProcessLogs {
  readonly lines: LogLine[] = [];
  /** Lines ever seen; a mark taken before a fault selects what came after it. */
  seen = 0;

  constructor(private readonly keep = 2_000) {}

  follow(stream: Readable): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) this.add(text);
    });
    stream.on('end', () => {
      if (partial) this.add(partial);
      partial = '';
    });
  }

  private add(text: string): void {
    if (!text.trim()) return;
    let json: LogLine['json'];
    if (text.startsWith('{')) {
      try {
        json = JSON.parse(text) as LogLine['json'];
      } catch {
        // A line that only looks like JSON: kept as text.
      }
    }
    this.lines.push({ at: Date.now(), text, json });
    this.seen++;
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  }

  /** Lines seen after `mark` (a value of `seen`) that are still kept. */
  since(mark: number): LogLine[] {
    const dropped = this.seen - this.lines.length;
    return this.lines.slice(Math.max(0, mark - dropped));
  }

  find(predicate: (line: LogLine) => boolean, since = 0): LogLine | undefined {
    return this.since(since).find(predicate);
  }

  waitFor(predicate: (line: LogLine) => boolean, what: string, timeoutMs: number, since = 0): Promise<LogLine> {
    return waitFor(() => this.find(predicate, since), what, timeoutMs, 50);
  }

  /** The last `n` lines (of those `keep` selects), for a failure report. */
  tail(n = 40, keep: (line: LogLine) => boolean = () => true): string {
    return this.lines
      .filter(keep)
      .slice(-n)
      .map((l) => l.text.slice(0, 600))
      .join('\n');
  }
}

/** Matches a pino line by its message (a string is a substring) and, optionally, its level at least. */
export function logMessage(pattern: string | RegExp, minLevel = 0): (line: LogLine) => boolean {
  return (line) => {
    const msg = line.json?.msg;
    if (typeof msg !== 'string' || (line.json?.level ?? 0) < minLevel) return false;
    return typeof pattern === 'string' ? msg.includes(pattern) : pattern.test(msg);
  };
}

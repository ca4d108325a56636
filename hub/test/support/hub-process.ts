import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { IngestStats } from '../../src/ingest/index.js';
import { trackChild } from './child-processes.js';
import { ProcessLogs } from './process-logs.js';
import { waitFor } from './wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXIT_WITH_PARENT = pathToFileURL(path.join(ROOT, 'hub/test/support/exit-with-parent.ts')).href;
const HUB_MAIN = path.join(ROOT, 'hub/src/main.ts');

/**
 * The hub as its own process (`node --import tsx hub/src/main.ts`), so a test
 * can SIGKILL it and start it again on the same ports, HUB_ID and database, as
 * an orchestrator would. Its output is kept for waits and for failure reports.
 */
export class HubProcess {
  readonly logs = new ProcessLogs();
  readonly url: string;
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private token?: string;
  /** Set when the process ended without being told to (a crash): how, and its last words. */
  crashed?: string;
  private expectRunning = false;
  /** Processes started so far (restarts included). */
  starts = 0;

  constructor(
    private readonly env: Record<string, string>,
    readonly adminPassword: string,
  ) {
    if (!env.HTTP_PORT || env.HTTP_PORT === '0') throw new Error('HubProcess needs a fixed HTTP_PORT (it must not move across restarts)');
    this.url = `http://127.0.0.1:${env.HTTP_PORT}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and resolves once /api/ready answers 200 (database and broker reachable). */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    if (this.running) throw new Error('the hub process is already running');
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', EXIT_WITH_PARENT, HUB_MAIN], {
      cwd: ROOT,
      env: { ...process.env, HTTP_HOST: '127.0.0.1', MQTT_HOST: '127.0.0.1', DASHBOARD_DIR: '/nonexistent', ADMIN_INITIAL_PASSWORD: this.adminPassword, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    trackChild(child);
    // The channel is for the child to notice the test process is gone (exit-with-parent.ts), not to keep it alive.
    child.channel?.unref();
    this.child = child;
    this.token = undefined;
    this.starts++;
    this.logs.follow(child.stdout!);
    this.logs.follow(child.stderr!);
    this.expectRunning = true;
    this.crashed = undefined;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.expectRunning) this.crashed = `the hub process exited unexpectedly (${signal ?? `code ${code}`}):\n${this.logs.tail(40, (l) => !l.json || (l.json.level ?? 0) >= 40)}`;
        resolve();
      }),
    );
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the hub exited with code ${child.exitCode} at start:\n${this.logs.tail(20)}`);
        const res = await fetch(`${this.url}/api/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      'the hub process to be ready',
      readyTimeoutMs,
      100,
    ).catch((err: Error) => {
      // A start that failed must not leave the process behind.
      child.kill('SIGKILL');
      throw err;
    });
  }

  /** SIGKILL: no clean-up, no goodbye; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectRunning = false;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a clean stop), SIGKILL if it has not exited within the bound. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectRunning = false;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  async api<T>(route: string, method = 'GET', body?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= await this.login();
      const res = await fetch(`${this.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // A session of an earlier process may have been dropped: log in once more.
      if (res.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    }
  }

  /** Ingest counters of the running process (they start at zero with every process). */
  ingestStats(): Promise<IngestStats> {
    return this.api<IngestStats>('/api/ingest/stats');
  }

  private async login(): Promise<string> {
    const res = await fetch(`${this.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: this.adminPassword }),
    });
    if (!res.ok) throw new Error(`admin login failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  }
}

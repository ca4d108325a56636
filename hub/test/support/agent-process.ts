import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AgentStatus } from '@warden/edge-agent';
import { trackChild } from './child-processes.js';
import { logMessage, ProcessLogs } from './process-logs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXIT_WITH_PARENT = pathToFileURL(path.join(ROOT, 'hub/test/support/exit-with-parent.ts')).href;
const AGENT_MAIN = path.join(ROOT, 'edge-agent/src/main.ts');

/**
 * One run of the edge-agent CLI (`edge-agent/src/main.ts --config ...`) as a
 * child process. A graceful stop returns the status the agent logs as its last
 * line (`final status`): how many readings this run collected.
 */
export class AgentProcess {
  readonly logs = new ProcessLogs();
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set when the process ended without being told to (a crash): how, and its last words. */
  crashed?: string;
  private expectRunning = true;

  constructor(configPath: string) {
    this.child = spawn(process.execPath, ['--import', 'tsx', '--import', EXIT_WITH_PARENT, AGENT_MAIN, '--config', configPath], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    trackChild(this.child);
    // The channel is for the child to notice the test process is gone (exit-with-parent.ts), not to keep it alive.
    this.child.channel?.unref();
    this.logs.follow(this.child.stdout!);
    this.logs.follow(this.child.stderr!);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        if (this.expectRunning) this.crashed = `the agent process exited unexpectedly (${signal ?? `code ${code}`}):\n${this.logs.tail(20)}`;
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The queue's next seq when this run opened it: the first seq this run appends. */
  async firstSeq(timeoutMs = 30_000): Promise<number> {
    const opened = this.logs.waitFor(logMessage('queue: opened'), 'the agent to open its queue', timeoutMs);
    const died = this.exited.then(() => {
      throw new Error(this.crashed ?? 'the agent exited before opening its queue');
    });
    // Settled by the exit, long after the race is decided: never an unhandled rejection.
    died.catch(() => {});
    const line = await Promise.race([opened, died]);
    return line.json!.nextSeq as number;
  }

  /** SIGTERM: polling stops, the open batch is queued, the queue drains (stopFlushMs); resolves to the final status. */
  async stop(timeoutMs = 60_000): Promise<AgentStatus> {
    this.expectRunning = false;
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await this.exited;
    clearTimeout(timer);
    const final = this.logs.find(logMessage('final status'));
    if (code !== 0 || !final) throw new Error(`the agent did not stop cleanly (exit ${code ?? signal}):\n${this.logs.tail(20)}`);
    return final.json!.status as AgentStatus;
  }

  /** SIGKILL: what the batcher held in memory is lost; everything already queued is on disk. */
  async kill(): Promise<void> {
    this.expectRunning = false;
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

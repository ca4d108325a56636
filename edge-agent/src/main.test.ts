import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { received, removeTempDirs, tempDir, testDevices, uniqueAgentId } from './testing/agent-fixtures.js';
import { TestBroker } from './testing/test-broker.js';
import { waitFor } from './testing/wait-for.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe('edge-agent CLI', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await TestBroker.start();
  });
  afterAll(async () => {
    await broker.close();
    removeTempDirs();
  });

  // A child process compiles the agent with tsx first: slow on a loaded machine, hence the longer bounds.
  it('runs an agent from a config file and stops cleanly on SIGTERM with exit code 0', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const agent = uniqueAgentId('agent-cli');
    const configPath = join(dir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        site: 'test-site',
        agent,
        building: 'bldg-cli',
        mqtt: { url: broker.url, reconnectMinMs: 50 },
        queue: { dir: 'queue' },
        batching: { maxDelayMs: 20 },
        devices: testDevices(50),
      }),
    );
    const proc = run(['--config', configPath]);
    try {
      await waitFor(() => received(broker, agent, 'telemetry').length >= 2, 40_000, 'telemetry from the CLI agent');
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    } finally {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGKILL');
        await proc.exited;
      }
    }
    const states = received(broker, agent, 'state').map((s) => s.message);
    expect(states.map((s) => s.state)).toEqual(['online', 'offline']);
    expect(states[1].session).toBe(states[0].session);
    // A published goodbye, not the Last Will: its time is the stop, after the last data.
    const lastData = Math.max(...received(broker, agent, 'telemetry').map((t) => t.message.ts));
    expect(states[1].ts).toBeGreaterThanOrEqual(lastData);
  });

  it('exits 1 naming the file and the field of an invalid config', { timeout: 60_000 }, async () => {
    const configPath = join(tempDir(), 'bad.json');
    writeFileSync(configPath, JSON.stringify({ site: 'test-site', agent: 'a', building: 'b', mqtt: { url: broker.url }, queue: { dir: 'q' }, devices: [] }));
    const proc = run(['--config', configPath]);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 50_000);
    expect(await proc.exited).toBe(1);
    clearTimeout(timer);
    expect(proc.stderr()).toContain(configPath);
    expect(proc.stderr()).toContain('devices');
  });
});

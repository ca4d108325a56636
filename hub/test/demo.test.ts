import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `npm start` as a new user runs it: one command, embedded defaults, a fresh data
 * folder; the dashboard and API answer, the simulated estate's telemetry is stored,
 * and Ctrl-C stops everything.
 */
describe('npm start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  let output = '';
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('serves the dashboard and API, stores the estate\'s telemetry, and stops cleanly on Ctrl-C', { timeout: 120_000 }, async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'warden-start-'));
    const port = await freePort();
    const started = Date.now();
    child = spawn('npm', ['start'], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, HTTP_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const url = `http://127.0.0.1:${port}`;

    await waitFor(() => fetch(`${url}/api/health`).then((r) => r.status === 200, () => false), 'GET /api/health', 60_000, 200);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<div id="root">/);
    const healthAfterMs = Date.now() - started;

    const password = await waitFor(() => /^\s+admin\s+(\S+)\s+\(admin\)$/m.exec(output)?.[1], 'the printed admin password', 30_000);
    expect(output).toContain(url);
    const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    const { token } = (await login.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}` };

    const stats = await waitFor(async () => {
      const s = (await (await fetch(`${url}/api/ingest/stats`, { headers: auth })).json()) as { pointsStored: number };
      return s.pointsStored > 0 ? s : undefined;
    }, 'telemetry rows from the simulated estate', 30_000, 250);
    expect(stats.pointsStored).toBeGreaterThan(0);
    // Both buildings' agents announce their devices, which come online.
    const devices = await waitFor(async () => {
      const list = ((await (await fetch(`${url}/api/devices`, { headers: auth })).json()) as { devices: { building: string; online: boolean }[] }).devices;
      const buildings = new Set(list.filter((d) => d.online).map((d) => d.building));
      return buildings.has('bldg-a') && buildings.has('bldg-b') ? list : undefined;
    }, 'online devices in both buildings', 30_000, 250);
    expect(devices.length).toBeGreaterThanOrEqual(20);
    console.log(`npm start: /api/health after ${healthAfterMs} ms, ${stats.pointsStored} points stored after ${Date.now() - started} ms`);

    // Ctrl-C goes to the whole process group, as a terminal sends it.
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child!.once('exit', (code, signal) => resolve({ code, signal })));
    process.kill(-child.pid!, 'SIGINT');
    // npm itself re-raises the SIGINT it got; the hub below it stops gracefully and says so.
    expect([{ code: 0, signal: null }, { code: null, signal: 'SIGINT' }, { code: 130, signal: null }]).toContainEqual(await exited);
    // Agents drain their queues (up to 5 s each) before the hub stops: generous on a loaded machine.
    await waitFor(() => output.includes('Stopped.'), 'the graceful stop message', 30_000);
    await waitFor(() => {
      try {
        process.kill(-child!.pid!, 0);
        return false;
      } catch {
        return true; // no process of the group is left
      }
    }, 'every process of the group to exit', 30_000);
  });
});

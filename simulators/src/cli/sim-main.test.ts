/**
 * `npm run sim`: argument errors, the one JSON line on stdout, and a clean
 * exit on SIGTERM that leaves no ffmpeg behind — also when the signal lands
 * while ffmpeg is still encoding.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseSimArgs } from './sim-args.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const entry = fileURLToPath(new URL('./sim-main.ts', import.meta.url));
const children: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'warden-sim-cli-'));

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function startSim(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** [pid, state] of the processes whose parent is `ppid` and whose command is ffmpeg, from /proc. */
function ffmpegChildrenOf(ppid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === ppid && comm === 'ffmpeg' && state !== 'Z') found.push(Number(name));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('sim arguments', () => {
  it('builds camera and door options', () => {
    expect(parseSimArgs(['camera', '--name', 'cam1', '--user', 'admin', '--password', 'secret', '--rtsp-port', '8554', '--size', '320x180'])).toMatchObject({
      kind: 'camera',
      options: { name: 'cam1', username: 'admin', password: 'secret', httpPort: 0, rtspPort: 8554, width: 320, height: 180 },
    });
    expect(parseSimArgs(['door', '--name', 'd', '--user', 'a', '--password', 'b', '--doors', '3', '--traffic', '--seed', '7'])).toMatchObject({
      kind: 'door',
      options: { doors: 3, traffic: { seed: 7, meanSwipeIntervalSec: 45 } },
    });
  });

  it('names the option at fault', () => {
    const base = ['--name', 'c', '--user', 'a', '--password', 'b'];
    expect(() => parseSimArgs(['camera', ...base, '--http-port', '99999'])).toThrow('--http-port: expected at most 65535');
    expect(() => parseSimArgs(['camera', ...base, '--fps', 'fast'])).toThrow('--fps: expected an integer');
    expect(() => parseSimArgs(['camera', '--name', 'c', '--user', 'a'])).toThrow('--password: is required');
    expect(() => parseSimArgs(['door', ...base, '--rtsp-port', '1'])).toThrow('--rtsp-port: not an option of "door"');
    expect(() => parseSimArgs(['camera', ...base, '--bogus'])).toThrow(/bogus/);
    expect(() => parseSimArgs(['toaster', ...base])).toThrow('first argument must be "camera" or "door", not "toaster"');
  });
});

describe('sim command', () => {
  it('exits with status 2 and the reason on bad arguments', async () => {
    const sim = startSim(['camera', '--name', 'c', '--user', 'a', '--password', 'b', '--http-port', 'x']);
    expect(await sim.exited).toBe(2);
    expect(sim.stderr()).toContain('--http-port: expected an integer');
    expect(sim.stdout()).toBe('');
  });

  it('prints one JSON line for a camera and exits cleanly on SIGTERM without leaving ffmpeg', async () => {
    const sim = startSim(['camera', '--name', 'cam1', '--http-port', '0', '--rtsp-port', '0', '--user', 'admin', '--password', 'secret', '--size', '320x180', '--clip-seconds', '2']);
    const seenFfmpeg = new Set<number>();
    const line = await waitFor(
      'the ready line',
      () => {
        for (const pid of ffmpegChildrenOf(sim.child.pid!)) seenFfmpeg.add(pid);
        return sim.stdout().includes('\n') ? sim.stdout() : undefined;
      },
      30_000,
    );
    expect(line.split('\n').filter(Boolean)).toHaveLength(1);
    const ready = JSON.parse(line) as Record<string, string>;
    expect(ready.xaddr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service$/);
    expect(ready.rtsp).toMatch(/^rtsp:\/\/127\.0\.0\.1:\d+\/cam1\/main$/);
    expect(ready.snapshot).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/snapshot\.jpg$/);
    const res = await fetch(ready.xaddr, {
      method: 'POST',
      body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>',
    });
    expect(res.status).toBe(200);

    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
    for (const pid of seenFfmpeg) expect(running(pid)).toBe(false);
  });

  it('kills a still-encoding ffmpeg when SIGTERM arrives during start-up', async () => {
    // A wrapper that makes ffmpeg read its test pattern in real time: the encode then lasts the clip's length, cheaply.
    const slowFfmpeg = join(scratch, 'slow-ffmpeg');
    writeFileSync(slowFfmpeg, '#!/bin/sh\nexec ffmpeg -re "$@"\n');
    chmodSync(slowFfmpeg, 0o755);
    // Its own TMPDIR, to see that the encoder's temporary files go too.
    const tmp = mkdtempSync(join(scratch, 'tmp-'));
    const sim = startSim(['camera', '--name', 'cam2', '--user', 'admin', '--password', 'secret', '--size', '320x180', '--clip-seconds', '20', '--ffmpeg', slowFfmpeg], {
      ...process.env,
      TMPDIR: tmp,
    });
    const [ffmpegPid] = await waitFor('ffmpeg to start', () => {
      const pids = ffmpegChildrenOf(sim.child.pid!);
      return pids.length > 0 ? pids : undefined;
    }, 30_000);
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
    await waitFor('ffmpeg to be gone', () => (running(ffmpegPid) ? undefined : true), 5_000);
    expect(sim.stdout()).toBe('');
    expect(readdirSync(tmp).filter((f) => f.startsWith('warden-cam-'))).toEqual([]); // (tsx keeps its cache there too)
  });

  it('prints the door controller line with its doors', async () => {
    const sim = startSim(['door', '--name', 'door1', '--http-port', '0', '--user', 'admin', '--password', 'secret', '--doors', '2']);
    const line = await waitFor('the ready line', () => (sim.stdout().includes('\n') ? sim.stdout() : undefined), 30_000);
    const ready = JSON.parse(line) as { xaddr: string; doors: { token: string }[] };
    expect(ready.xaddr).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/onvif\/device_service$/);
    expect(ready.doors.map((d) => d.token)).toEqual(['Door_1', 'Door_2']);
    sim.child.kill('SIGTERM');
    expect(await sim.exited).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './bench-support.js';

const DASHBOARD = path.join(ROOT, 'dashboard');
/** What a build is made from; anything newer than dist/index.html makes dist stale. */
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

/**
 * A dashboard build of the current sources for a benchmark to serve: `dashboard/dist` when
 * it is newer than every source file, else a fresh build into `scratchDir` (never rewriting
 * the `dist` another process may be serving), so a benchmark never measures stale code.
 */
export async function currentDashboardBuild(scratchDir: string): Promise<string> {
  const dist = path.join(DASHBOARD, 'dist');
  const built = await fs.stat(path.join(dist, 'index.html')).then((s) => s.mtimeMs, () => 0);
  if (built > 0 && (await newestMtime(SOURCES.map((s) => path.join(DASHBOARD, s)))) <= built) return dist;
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(vite, ['build', '--outDir', scratchDir, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: DASHBOARD,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`dashboard build failed (exit ${code}):\n${output}`);
  return scratchDir;
}

async function newestMtime(paths: string[]): Promise<number> {
  let newest = 0;
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat) continue;
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) newest = Math.max(newest, await newestMtime((await fs.readdir(p)).map((e) => path.join(p, e))));
  }
  return newest;
}

import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DASHBOARD = path.join(ROOT, 'dashboard');
/** What a build is made from; anything newer than dist/index.html makes dist stale. */
const SOURCES = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

/**
 * A dashboard build of the current sources, for a browser test to serve: `dashboard/dist`
 * when it is newer than every source file (as after `npm ci`, whose postinstall builds
 * it), else a fresh build into `scratchDir` — so a test never exercises stale code, and
 * never rewrites the `dist` another process may be serving. A build takes a few seconds.
 */
export async function dashboardBuild(scratchDir: string): Promise<string> {
  const dist = path.join(DASHBOARD, 'dist');
  const built = await fs.stat(path.join(dist, 'index.html')).then((s) => s.mtimeMs, () => 0);
  if (built > 0 && (await newestMtime(SOURCES.map((s) => path.join(DASHBOARD, s)))) <= built) return dist;
  await buildDashboard(scratchDir);
  return scratchDir;
}

/** Builds the dashboard from its current sources into `outDir`. */
export async function buildDashboard(outDir: string): Promise<void> {
  const vite = path.join(ROOT, 'node_modules', '.bin', 'vite');
  let output = '';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(vite, ['build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
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
}

async function newestMtime(paths: string[]): Promise<number> {
  let newest = 0;
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => undefined);
    if (!stat) continue;
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) {
      const entries = await fs.readdir(p);
      newest = Math.max(newest, await newestMtime(entries.map((e) => path.join(p, e))));
    }
  }
  return newest;
}

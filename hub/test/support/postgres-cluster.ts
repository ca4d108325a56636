import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './mosquitto.js';
import { onProcessExit } from './child-processes.js';

/**
 * A private PostgreSQL cluster for tests that stop, restart or cut the database
 * under a running hub: the shared server on 5432 must not be touched by them.
 * `initdb` into a temporary folder (about 1.3 s), `pg_ctl` to start and stop it.
 * PostgreSQL refuses to run as root, so as root everything runs as the
 * `postgres` user (runuser) in a folder that user owns.
 */
export interface PostgresCluster {
  port: number;
  /** A postgres:// URL of a database in this cluster. */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  /** `pg_ctl stop -m fast`: clients are disconnected, the server is down when it resolves. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Ends every server connection of the given application_name (pg_terminate_backend); resolves to how many. */
  terminateConnections(applicationName: string): Promise<number>;
  /** Stops the server at once and deletes its folder. Idempotent. */
  close(): Promise<void>;
}

const DIR_PREFIX = 'warden-pgcluster-';
/** The process that made a cluster folder: a folder whose owner is gone was left by a killed run. */
const OWNER_FILE = 'owner.pid';

/** Where initdb and pg_ctl live: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | undefined {
  const fromConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const candidates = fromConfig.status === 0 ? [fromConfig.stdout.trim()] : [];
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').filter((v) => /^\d+$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL binary (as the postgres user when we are root); rejects with its output on failure. */
function runPg(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    // stdin closed and output piped: pg_ctl hands the server a log file (-l), so the pipes close when pg_ctl exits.
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(bin)} ${args.join(' ')} exited with ${code}: ${output.trim()}`));
    });
  });
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops and deletes clusters whose test process is gone (a run killed before its clean-up). */
async function reapAbandonedClusters(binDir: string): Promise<void> {
  const tmp = os.tmpdir();
  for (const name of await fs.readdir(tmp)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(tmp, name);
    const owner = Number.parseInt(await fs.readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && processRuns(owner)) continue;
    await runPg(path.join(binDir, 'pg_ctl'), ['-D', path.join(dir, 'data'), '-m', 'immediate', '-w', 'stop'], 20_000).catch(() => undefined);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql or put pg_config on PATH');
  const pgCtl = path.join(binDir, 'pg_ctl');
  await reapAbandonedClusters(binDir);

  const root = await fs.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  const dataDir = path.join(root, 'data');
  await fs.writeFile(path.join(root, OWNER_FILE), String(process.pid));
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root, but there is no postgres user to run PostgreSQL as');
    await fs.chown(root, uid, gid);
  }

  let port = await freePort();
  let closed = false;
  // Runs in the exit hook too, so it must be synchronous: the server is killed, not shut down.
  const killNow = (): void => {
    const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
    spawnSync(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args, { stdio: 'ignore', timeout: 20_000 });
  };
  const forgetExitHook = onProcessExit(() => {
    killNow();
    // rmSync is not in fs/promises: spawn it, the process is exiting anyway.
    spawnSync('rm', ['-rf', root], { stdio: 'ignore' });
  });
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    killNow();
    forgetExitHook();
    await fs.rm(root, { recursive: true, force: true });
  };

  try {
    await runPg(path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  } catch (err) {
    await close();
    throw err;
  }
  // fsync off: the machine does not crash in these tests, the server does, and that is what is measured.
  const serverOptions = () => `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c max_connections=60`;
  const start = async (): Promise<void> => {
    await runPg(pgCtl, ['-D', dataDir, '-l', path.join(root, 'server.log'), '-o', serverOptions(), '-w', '-t', '60', 'start']);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      // freePort() only found the port free a moment ago; another process may have taken it since.
      if (attempt >= 3) {
        await close();
        throw err;
      }
      port = await freePort();
    }
  }

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url() });
    client.on('error', () => {});
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => {});
    }
  };

  return {
    get port() {
      return port;
    },
    url,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await withClient((c) => c.query(`CREATE DATABASE ${name}`));
      return url(name);
    },
    stop: () => runPg(pgCtl, ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']).then(() => undefined),
    start,
    async terminateConnections(applicationName) {
      // In the select list, so it runs only for the rows the WHERE clause kept.
      const { rows } = await withClient((c) =>
        c.query<{ ended: boolean }>('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1', [applicationName]),
      );
      return rows.filter((r) => r.ended).length;
    },
    close,
  };
}

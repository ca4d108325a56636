import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackChild } from './child-processes.js';
import { waitFor } from './wait.js';

/** The ACL the docker-compose Mosquitto uses: tests run the same file. */
export const COMPOSE_ACL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docker/mosquitto/acl');

export interface Mosquitto {
  url: string;
  port: number;
  /** Stops the broker (SIGTERM; it keeps its persistence file for a restart). */
  stop(): Promise<void>;
  /** Kills and starts it again on the same port with the same state directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A private Mosquitto on a free loopback port, configured like the compose one:
 * no anonymous access, a password file with the given users, the compose ACL,
 * persistence on disk. The machine's shared broker on 1883 is left alone.
 */
export async function startMosquitto(users: Record<string, string>): Promise<Mosquitto> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'warden-mosquitto-'));
  const port = await freePort();
  const passwd = path.join(dir, 'passwd');
  await fs.writeFile(passwd, '');
  for (const [user, password] of Object.entries(users)) {
    const r = spawnSync('mosquitto_passwd', ['-b', passwd, user, password]);
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr.toString()}`);
  }
  const conf = path.join(dir, 'mosquitto.conf');
  await fs.writeFile(
    conf,
    [
      // Started as root, Mosquitto would switch to the mosquitto user, which cannot read this private folder.
      `user ${os.userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `acl_file ${COMPOSE_ACL}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'max_queued_messages 100000',
      'log_dest none',
    ].join('\n') + '\n',
  );
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    // Killed with the test process if it exits without close() (a crash, a hook that timed out).
    trackChild(child);
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    let dead = false;
    void exited.then(() => (dead = true));
    await waitFor(async () => {
      if (dead) throw new Error('mosquitto exited at start');
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    }, `mosquitto on port ${port}`);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop,
    restart: async () => {
      await stop();
      await launch();
    },
    close: async () => {
      await stop();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

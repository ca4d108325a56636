import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encode, type CommandAck } from '@warden/protocols';
import type { Hub } from '../../hub/src/app.js';
import { demoConfig, startDemo, type DemoSystem } from '../../hub/src/demo-system.js';
import { waitFor } from '../../hub/test/support/wait.js';
import { dashboardBuild } from './dashboard-build.js';

export type DemoRole = 'admin' | 'manager' | 'guard' | 'technician' | 'clerk' | 'owner';

export interface EstateDevice {
  id: number;
  code: string;
  name: string;
  agentId: string;
  siteId: string;
  buildingId: string | null;
}

export interface RaisedAlarm {
  alarmId: number;
  episodeId: number;
  device: EstateDevice;
  /** Date.now() when the hub committed the alarm and announced it on its bus: the alarm exists from here on. */
  createdAt: number;
  /** The episode's raised_at (the device's event time, or the rule's on-delay end). */
  raisedAt: Date;
  /** Live WebSocket clients connected to the hub at that moment. */
  liveClients: number;
}

export interface EpisodeWorkOrder {
  id: number;
  number: string;
  status: string;
  assignee: string | null;
}

export interface E2eSystem {
  /** http://127.0.0.1:port of the dashboard and API. */
  url: string;
  demo: DemoSystem;
  hub: Hub;
  /** The fresh data folder of this run (PGlite, agent queues, the dashboard build). */
  dir: string;
  /** The demo account's one-time password, as `npm start` prints it. */
  password(role: DemoRole): string;
  /** A device of the simulated estate by its code (e.g. "b-leak-b1"), once its agent has announced it. */
  device(code: string): Promise<EstateDevice>;
  /** Injects a simulator fault through the real path (hub → MQTT command → edge agent → simulation); resolves on the agent's "ok". */
  triggerFault(code: string, fault: string, durationSec?: number): Promise<void>;
  /** Triggers the fault and waits until the hub has raised an alarm on the device. */
  raiseAlarm(code: string, fault: string, timeoutMs?: number): Promise<RaisedAlarm>;
  /** Runs `act` and waits until the hub has raised an alarm on the device (subscribed before `act`, so nothing is missed). */
  waitForAlarm(code: string, act: () => void | Promise<void>, timeoutMs?: number): Promise<RaisedAlarm>;
  /** The work order the episode opened, once it is in the state `until` accepts. */
  workOrderOf(episodeId: number, until?: (wo: EpisodeWorkOrder) => boolean, timeoutMs?: number): Promise<EpisodeWorkOrder>;
  /** The alarm's state in the database ("unack", "acked", …). */
  alarmState(alarmId: number): Promise<string>;
  /** The HTTP API as the role's demo user (signed in on first use), for setting a scene without a browser. */
  api(role: DemoRole): HubApi;
  /** Ends every WebSocket the hub's HTTP server holds (the live streams), as a dropped network would; resolves to how many. */
  dropLiveConnections(): number;
  stop(): Promise<void>;
}

export interface HubApi {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  /** Any method, answering the response whatever its status (for a test that expects a refusal). */
  send(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Response>;
}

export interface StartSystemOptions {
  /** Extra configuration variables over the demo defaults. */
  env?: Record<string, string>;
  /** Prefix of the temporary folder. */
  name?: string;
}

/**
 * The whole system as `npm start` runs it (hub/src/demo-system.ts: embedded PGlite and
 * MQTT broker, the demo estate's edge agents, demo users and staff), on free ports in
 * a fresh temporary folder, serving a dashboard built from the current sources.
 */
export async function startSystem(options: StartSystemOptions = {}): Promise<E2eSystem> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `${options.name ?? 'warden-e2e'}-`));
  let demo: DemoSystem;
  try {
    // E2E_DASHBOARD_DIR: serve that build as it is (e.g. while the dashboard's sources are mid-edit).
    const dashboardDir = process.env.E2E_DASHBOARD_DIR ? path.resolve(process.env.E2E_DASHBOARD_DIR) : await dashboardBuild(path.join(dir, 'dashboard'));
    const config = demoConfig({
      DATA_DIR: path.join(dir, 'data'),
      HTTP_PORT: '0',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_PORT_FALLBACK: 'false',
      DASHBOARD_DIR: dashboardDir,
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'error',
      ...options.env,
    });
    demo = await startDemo(config);
  } catch (err) {
    await fs.rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { hub } = demo;
  const credentials = new Map(hub.auth.initialCredentials.map((c) => [c.role as string, c.password]));

  const device = (code: string) =>
    waitFor(
      async () => {
        const { rows } = await hub.db.query<{ id: string; code: string; name: string; agent_id: string; site_id: string; building_id: string | null }>(
          'SELECT id, code, name, agent_id, site_id, building_id FROM devices WHERE code = $1',
          [code],
        );
        const row = rows[0];
        return row && { id: Number(row.id), code: row.code, name: row.name, agentId: row.agent_id, siteId: row.site_id, buildingId: row.building_id };
      },
      `device ${code} announced by its agent`,
      30_000,
      100,
    );

  const triggerFault = async (code: string, fault: string, durationSec?: number) => {
    const target = await device(code);
    const id = randomUUID();
    let off = () => {};
    const acked = new Promise<CommandAck>((resolve) => {
      off = hub.ingest.onCommandAck((ack) => {
        if (ack.id === id) resolve(ack);
      });
    });
    try {
      const now = Date.now();
      const out = encode(
        'command',
        { site: target.siteId, agent: target.agentId },
        { v: 1, id, ts: now, name: 'simulate.fault', device: code, params: durationSec ? { fault, durationSec } : { fault }, issuedBy: 'e2e', expiresAt: now + 30_000 },
      );
      await hub.link.publish(out.topic, out.payload, out.options);
      const ack = await withTimeout(acked, 15_000, `the agent's acknowledgement of simulate.fault ${fault} on ${code}`);
      if (ack.result !== 'ok') throw new Error(`simulate.fault ${fault} on ${code}: ${ack.result} ${ack.message ?? ''}`);
    } finally {
      off();
    }
  };

  const waitForAlarm = async (code: string, act: () => void | Promise<void>, timeoutMs = 30_000): Promise<RaisedAlarm> => {
    const target = await device(code);
    let off = () => {};
    const raised = new Promise<{ alarmId: number; episodeId: number; createdAt: number; liveClients: number }>((resolve) => {
      off = hub.bus.on('alarm.changed', (change) => {
        if (change.deviceId === target.id && change.action === 'activate' && change.episodeId !== null) {
          resolve({ alarmId: change.alarmId, episodeId: change.episodeId, createdAt: Date.now(), liveClients: hub.live.clients });
        }
      });
    });
    try {
      await act();
      const alarm = await withTimeout(raised, timeoutMs, `an alarm raised on ${code}`);
      const { rows } = await hub.db.query<{ raised_at: Date }>('SELECT raised_at FROM alarm_episodes WHERE id = $1', [alarm.episodeId]);
      return { ...alarm, device: target, raisedAt: rows[0].raised_at };
    } finally {
      off();
    }
  };

  const raiseAlarm = async (code: string, fault: string, timeoutMs = 30_000): Promise<RaisedAlarm> => {
    const target = await device(code);
    let off = () => {};
    const raised = new Promise<{ alarmId: number; episodeId: number; createdAt: number; liveClients: number }>((resolve) => {
      off = hub.bus.on('alarm.changed', (change) => {
        if (change.deviceId === target.id && change.action === 'activate' && change.episodeId !== null) {
          resolve({ alarmId: change.alarmId, episodeId: change.episodeId, createdAt: Date.now(), liveClients: hub.live.clients });
        }
      });
    });
    try {
      await triggerFault(code, fault);
      const alarm = await withTimeout(raised, timeoutMs, `an alarm raised on ${code} after fault ${fault}`);
      const { rows } = await hub.db.query<{ raised_at: Date }>('SELECT raised_at FROM alarm_episodes WHERE id = $1', [alarm.episodeId]);
      return { ...alarm, device: target, raisedAt: rows[0].raised_at };
    } finally {
      off();
    }
  };

  const workOrderOf = (episodeId: number, until: (wo: EpisodeWorkOrder) => boolean = () => true, timeoutMs = 15_000) =>
    waitFor(
      async () => {
        const { rows } = await hub.db.query<{ id: string; number: string; status: string; assignee: string | null }>(
          `SELECT w.id, w.number, w.status, u.username AS assignee
             FROM work_orders w LEFT JOIN staff s ON s.id = w.assignee_id LEFT JOIN users u ON u.id = s.user_id
            WHERE w.alarm_episode_id = $1`,
          [episodeId],
        );
        const row = rows[0];
        const wo = row && { id: Number(row.id), number: row.number, status: row.status, assignee: row.assignee };
        return wo && until(wo) ? wo : undefined;
      },
      `the work order of alarm episode ${episodeId}`,
      timeoutMs,
      100,
    );

  const alarmState = async (alarmId: number) => (await hub.db.query<{ state: string }>('SELECT state FROM alarms WHERE id = $1', [alarmId])).rows[0]?.state ?? 'missing';

  const dropLiveConnections = () => {
    let dropped = 0;
    for (const socket of hub.http.websocketServer.clients) {
      // terminate(), not close(): no closing handshake, as when a link or a proxy dies.
      socket.terminate();
      dropped += 1;
    }
    return dropped;
  };

  const send = (method: string, route: string, body: unknown, token: string | undefined): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${hub.url}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  };
  const request = async <T>(method: 'GET' | 'POST', route: string, body: unknown, token: string | undefined, who: string): Promise<T> => {
    const res = await send(method, route, body, token);
    if (!res.ok) throw new Error(`${method} ${route} as ${who}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const tokens = new Map<DemoRole, Promise<string>>();
  const api = (role: DemoRole): HubApi => {
    const token = () => {
      let signedIn = tokens.get(role);
      if (!signedIn) {
        signedIn = request<{ token: string }>('POST', '/api/auth/login', { username: role, password: credentials.get(role) }, undefined, role).then((a) => a.token);
        tokens.set(role, signedIn);
      }
      return signedIn;
    };
    return {
      get: async (route) => request('GET', route, undefined, await token(), role),
      post: async (route, body) => request('POST', route, body, await token(), role),
      send: async (method, route, body) => send(method, route, body, await token()),
    };
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await demo.stop();
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    })());

  return {
    url: hub.url,
    demo,
    hub,
    dir,
    password(role) {
      const password = credentials.get(role);
      if (!password) throw new Error(`no demo account for the role ${role}`);
      return password;
    },
    device,
    triggerFault,
    raiseAlarm,
    waitForAlarm,
    workOrderOf,
    alarmState,
    api,
    dropLiveConnections,
    stop,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../src/app.js';
import { provisionAgent } from '../src/broker/index.js';
import { loadConfig } from '../src/config.js';
import { Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrator.js';
import { WardenError } from '../src/http/errors.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { createTestDatabase, databaseKinds, type TestDatabase } from './support/databases.js';
import { FakeAgent } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { startMosquitto, type Mosquitto } from './support/mosquitto.js';
import { waitFor } from './support/wait.js';

const DOOR_TIMEOUT_MS = 800;
const doorCaps = ['door.unlock', 'door.lock', 'door.access'];
const system = { userId: null, name: 'test' };

interface CommandRow {
  name: string;
  params: Record<string, unknown>;
  issued_by: number | null;
  issued_by_name: string;
  reason: string | null;
  sent_at: Date;
  expires_at: Date;
  result: string | null;
  result_message: string | null;
  acked_at: Date | null;
}

/** Commands through the real hub and broker to an agent played by the test, and back. */
describe.each(databaseKinds)('commands and remote door control (%s)', (kind) => {
  let hub: TestHub;
  let agent: FakeAgent;
  const tokens: Record<string, string> = {};
  let door: number;
  let pump: number;

  const api = async <T = unknown>(who: string, method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[who] ?? who}` } });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };
  const commandRow = async (id: string) => (await hub.db.query<CommandRow>('SELECT * FROM commands WHERE id = $1', [id])).rows[0];
  const caught = async (p: Promise<unknown>): Promise<WardenError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WardenError);
    return err as WardenError;
  };

  beforeAll(async () => {
    hub = await startTestHub(kind, { ALARM_DEFAULT_RULES: 'false', DOOR_COMMAND_TIMEOUT_MS: String(DOOR_TIMEOUT_MS) });
    agent = await FakeAgent.connect(hub, { site: 'site-cmd', building: 'bldg-cmd', agent: 'agent-cmd' });
    door = await agent.birth('door-1', 'door', { capabilities: doorCaps, metrics: [{ name: 'open', type: 'boolean' }, { name: 'locked', type: 'boolean' }] });
    pump = await agent.birth('pump-1', 'pump', { capabilities: ['setpoint'] });
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);
    for (const role of ['guard', 'manager', 'technician', 'clerk']) tokens[role] = await hub.login(role, demoPassword(hub, role));
  });
  afterAll(async () => {
    await agent?.close();
    await hub?.close();
  });

  it('sends a command at QoS 1 with an expiry, waits for its acknowledgement and stores the outcome', async () => {
    const outcome = await hub.commands.send({ deviceId: door, name: 'door.unlock', params: { reason: 'courier', durationSec: 15 }, reason: 'courier', issuedBy: system, timeoutMs: 3_000 });
    expect(outcome).toMatchObject({ name: 'door.unlock', deviceId: door, deviceCode: 'door-1', result: 'ok', message: null, data: { relockAt: expect.any(Number) } });
    const received = agent.received.find((r) => r.command.id === outcome.id)!;
    expect(received.qos).toBe(1);
    expect(received.command).toEqual({
      v: 1,
      id: outcome.id,
      ts: outcome.sentAt.getTime(),
      name: 'door.unlock',
      device: 'door-1',
      params: { reason: 'courier', durationSec: 15 },
      // The agent must not execute it once the hub has stopped waiting.
      expiresAt: outcome.sentAt.getTime() + 3_000,
      issuedBy: 'test',
    });
    const row = await commandRow(outcome.id);
    expect(row).toMatchObject({ name: 'door.unlock', params: { reason: 'courier', durationSec: 15 }, issued_by: null, issued_by_name: 'test', reason: 'courier', result: 'ok', result_message: null });
    expect(row.acked_at!.getTime()).toBe(outcome.ackedAt.getTime());
    expect(hub.commands.inFlight).toBe(0);
  });

  it('reports what the agent answered: error, rejected, expired', async () => {
    for (const [result, message] of [
      ['error', 'controller did not answer'],
      ['rejected', 'door is in fire-release mode'],
      ['expired', 'received 1200 ms after expiresAt'],
    ] as const) {
      agent.handlers.set('door-1', () => ({ result, message }));
      const outcome = await hub.commands.send({ deviceId: door, name: 'door.lock', params: { reason: 'lockdown' }, issuedBy: system, timeoutMs: 3_000 });
      expect(outcome).toMatchObject({ result, message });
      expect(await commandRow(outcome.id)).toMatchObject({ result, result_message: message });
    }
    agent.handlers.delete('door-1');
  });

  it('times out with a clear error and a "timeout" row; an acknowledgement after that is recorded as late', async () => {
    agent.handlers.set('door-1', () => undefined);
    const err = await caught(hub.commands.send({ deviceId: door, name: 'door.access', params: { reason: 'visitor' }, issuedBy: system, timeoutMs: 300 }));
    agent.handlers.delete('door-1');
    expect(err.code).toBe('WARDEN_ERR_DEVICE_TIMEOUT');
    expect(err.status).toBe(504);
    expect(err.message).toBe('door.access to door-1: no acknowledgement within 300 ms');
    const id = (err.details as { commandId: string }).commandId;
    expect(await commandRow(id)).toMatchObject({ result: 'timeout', result_message: 'no acknowledgement within 300 ms', acked_at: null });

    await agent.ack(id, { result: 'ok' });
    const late = await waitFor(async () => ((await commandRow(id)).acked_at ? commandRow(id) : undefined), 'the late acknowledgement recorded');
    expect(late).toMatchObject({ result: 'timeout', result_message: 'no acknowledgement within 300 ms; answered late: ok' });
    await waitFor(async () => (await hub.db.query(`SELECT 1 FROM audit_log WHERE action = 'command.late-ack' AND target_id = $1`, [id])).rowCount, 'the late acknowledgement audited');
  });

  it('sends nothing when the params are invalid, the device does not take the command, or its agent is offline', async () => {
    const sent = agent.received.length;
    const invalid = await caught(hub.commands.send({ deviceId: door, name: 'door.unlock', params: { durationSec: 0 }, issuedBy: system, timeoutMs: 1_000 }));
    expect(invalid.code).toBe('WARDEN_ERR_VALIDATION');
    expect((invalid.details as { issues: { field: string }[] }).issues.map((i) => i.field).sort()).toEqual(['params.durationSec', 'params.reason']);

    const unsupported = await caught(hub.commands.send({ deviceId: pump, name: 'door.unlock', params: { reason: 'x' }, issuedBy: system, timeoutMs: 1_000 }));
    expect(unsupported.code).toBe('WARDEN_ERR_UNSUPPORTED_COMMAND');
    expect(unsupported.status).toBe(409);
    expect(unsupported.message).toBe('pump-1 does not accept door.unlock: its birth lists setpoint');

    expect((await caught(hub.commands.send({ deviceId: 999_999, name: 'door.lock', params: { reason: 'x' }, issuedBy: system, timeoutMs: 1_000 }))).code).toBe('WARDEN_ERR_NOT_FOUND');

    await hub.db.query('UPDATE agents SET online = false WHERE id = $1', ['agent-cmd']);
    try {
      const offline = await caught(hub.commands.send({ deviceId: door, name: 'door.lock', params: { reason: 'x' }, issuedBy: system, timeoutMs: 1_000 }));
      expect(offline.code).toBe('WARDEN_ERR_DEVICE_OFFLINE');
      expect(offline.message).toMatch(/agent agent-cmd is offline, so the command was not sent/);
    } finally {
      await hub.db.query('UPDATE agents SET online = true WHERE id = $1', ['agent-cmd']);
    }
    expect(agent.received.length).toBe(sent);
    expect((await hub.db.query('SELECT count(*)::int AS n FROM commands WHERE device_id = $1', [pump])).rows[0].n).toBe(0);
  });

  it('lets a guard unlock a door with a reason: the controller acknowledges, the answer carries the ack, and it is audited and announced', async () => {
    const res = await api<{ command: { id: string; result: string; data: { relockAt: number } } }>('guard', 'POST', `/api/doors/${door}/unlock`, { reason: 'resident locked out, ID checked', durationSec: 10 });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.command).toMatchObject({ result: 'ok', data: { relockAt: expect.any(Number) } });
    const cmd = agent.commandsFor('door-1').find((c) => c.id === res.body.command.id)!;
    const guardId = (await hub.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'guard'`)).rows[0].id;
    expect(cmd).toMatchObject({ name: 'door.unlock', params: { reason: 'resident locked out, ID checked', durationSec: 10 }, issuedBy: `user-${guardId}` });
    expect(cmd.expiresAt! - cmd.ts).toBe(DOOR_TIMEOUT_MS);

    const audit = await hub.db.query<{ actor: string; user_id: string; target_id: string; details: Record<string, unknown>; at: Date }>(`SELECT * FROM audit_log WHERE action = 'door.unlock' AND target_id = $1`, [String(door)]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ actor: 'guard', user_id: guardId, details: { reason: 'resident locked out, ID checked', durationSec: 10, result: 'ok', commandId: res.body.command.id, door: 'door-1', building: 'bldg-cmd' } });
    expect((await commandRow(res.body.command.id)).issued_by_name).toBe('guard');
    const live = await hub.db.query<{ building_id: string; audience: string[]; data: Record<string, unknown> }>(`SELECT building_id, audience, data FROM live_events WHERE type = 'door.command' ORDER BY id DESC LIMIT 1`);
    expect(live.rows[0]).toMatchObject({ building_id: 'bldg-cmd', data: { deviceId: door, command: 'door.unlock', result: 'ok', actor: 'guard', reason: 'resident locked out, ID checked' } });
    expect(live.rows[0].audience.sort()).toEqual(['admin', 'guard', 'manager']);

    // Managers lock and let through; the door's command history shows all of it.
    expect((await api('manager', 'POST', `/api/doors/${door}/lock`, { reason: 'end of visit' })).status).toBe(200);
    expect((await api('admin', 'POST', `/api/doors/${door}/access`, { reason: 'contractor at the gate' })).status).toBe(200);
    const history = await api<{ commands: { name: string; issuedBy: string; reason: string; result: string }[] }>('guard', 'GET', `/api/doors/${door}/commands?limit=3`);
    expect(history.body.commands.map((c) => [c.name, c.issuedBy, c.result])).toEqual([
      ['door.access', 'admin', 'ok'],
      ['door.lock', 'manager', 'ok'],
      ['door.unlock', 'guard', 'ok'],
    ]);
  });

  it('refuses technicians and clerks, and names a missing or bad field', async () => {
    const sent = agent.received.length;
    for (const who of ['technician', 'clerk']) {
      const res = await api<{ error: { code: string } }>(who, 'POST', `/api/doors/${door}/unlock`, { reason: 'let me in' });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('WARDEN_ERR_FORBIDDEN');
    }
    const noReason = await api<{ error: { code: string; details: { issues: { field: string }[] } } }>('guard', 'POST', `/api/doors/${door}/unlock`, { durationSec: 5 });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details.issues.map((i) => i.field)).toEqual(['body.reason']);
    const blank = await api<{ error: { details: { issues: { field: string }[] } } }>('guard', 'POST', `/api/doors/${door}/lock`, { reason: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body.error.details.issues.map((i) => i.field)).toEqual(['body.reason']);
    const extra = await api<{ error: { details: { issues: { field: string }[] } } }>('guard', 'POST', `/api/doors/${door}/lock`, { reason: 'x', durationSec: 5 });
    expect(extra.status).toBe(400);
    expect((await api('guard', 'POST', `/api/doors/${pump}/unlock`, { reason: 'not a door' })).status).toBe(404);
    expect(agent.received.length).toBe(sent);
  });

  it('answers 504 when the controller does not answer and 409 when it refuses, auditing both', async () => {
    agent.handlers.set('door-1', () => undefined);
    const silent = await api<{ error: { code: string; message: string; details: { commandId: string } } }>('guard', 'POST', `/api/doors/${door}/unlock`, { reason: 'night delivery' });
    expect(silent.status).toBe(504);
    expect(silent.body.error).toMatchObject({ code: 'WARDEN_ERR_DEVICE_TIMEOUT', message: `door.unlock to door-1: no acknowledgement within ${DOOR_TIMEOUT_MS} ms` });
    expect(await commandRow(silent.body.error.details.commandId)).toMatchObject({ result: 'timeout' });

    agent.handlers.set('door-1', () => ({ result: 'rejected', message: 'door is in fire-release mode' }));
    const refused = await api<{ error: { code: string; message: string } }>('guard', 'POST', `/api/doors/${door}/lock`, { reason: 'lockdown' });
    agent.handlers.delete('door-1');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'WARDEN_ERR_COMMAND_FAILED', message: 'door.lock on door-1: the device refused it: door is in fire-release mode' });

    const audit = await hub.db.query<{ action: string; details: { result: string; message: string; reason: string } }>(
      `SELECT action, details FROM audit_log WHERE action LIKE 'door.%' AND target_id = $1 ORDER BY id DESC LIMIT 2`,
      [String(door)],
    );
    expect(audit.rows.map((r) => [r.action, r.details.result, r.details.reason])).toEqual([
      ['door.lock', 'rejected', 'lockdown'],
      ['door.unlock', 'timeout', 'night delivery'],
    ]);
    expect(audit.rows[1].details.message).toMatch(/no acknowledgement/);
  });

  it('keeps building-limited guards to their own buildings', async () => {
    await hub.db.query(`INSERT INTO buildings (id, site_id, name) VALUES ('bldg-other', 'site-cmd', 'Other') ON CONFLICT DO NOTHING`);
    const userId = await hub.auth.createUser({ username: 'guard-other', displayName: 'Guard of another building', password: 'guard-other-password', role: 'guard' }, 'test');
    await hub.db.query('INSERT INTO user_buildings (user_id, building_id) VALUES ($1, $2)', [userId, 'bldg-other']);
    tokens['guard-other'] = await hub.login('guard-other', 'guard-other-password');
    const res = await api<{ error: { code: string } }>('guard-other', 'POST', `/api/doors/${door}/unlock`, { reason: 'not mine' });
    expect(res.status).toBe(403);
    expect((await api<{ doors: unknown[] }>('guard-other', 'GET', '/api/doors')).body.doors).toEqual([]);
  });
});

/**
 * Two hubs behind one Mosquitto on one database: acknowledgements are subscribed without
 * sharing, so both hubs receive each one, and the hub that sent the command resolves it.
 */
describe('commands with two hubs behind one broker (postgres, Mosquitto)', () => {
  const estate = { site: 'site-2c', building: 'bldg-2c', agent: 'agent-2c' };
  let database: TestDatabase;
  let mosquitto: Mosquitto;
  const hubs: Hub[] = [];
  let agent: FakeAgent;
  let door: number;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const silent = pino({ level: 'silent' });
    const setup = new Database(new pg.Pool({ connectionString: database.url!, max: 1 }), 'postgres');
    let secret: string;
    try {
      await migrate(setup, silent);
      await upsertSite(setup, { id: estate.site, name: 'Two hubs' });
      await upsertBuilding(setup, { id: estate.building, siteId: estate.site, name: 'Two hubs' });
      ({ secret } = await provisionAgent(setup, { id: estate.agent, siteId: estate.site, buildingId: estate.building }));
    } finally {
      await setup.close();
    }
    const hubSecret = randomBytes(12).toString('hex');
    mosquitto = await startMosquitto({ hub: hubSecret, [estate.agent]: secret });
    for (const name of ['a', 'b']) {
      const config = loadConfig({
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        DATABASE_URL: database.url!,
        MQTT_URL: mosquitto.url,
        MQTT_USERNAME: 'hub',
        MQTT_PASSWORD: hubSecret,
        HUB_ID: `cmd-${name}-${randomBytes(3).toString('hex')}`,
        ADMIN_INITIAL_PASSWORD: ADMIN_PASSWORD,
        ALARM_DEFAULT_RULES: 'false',
        DASHBOARD_DIR: '/nonexistent',
      });
      hubs.push(await startHub(config, silent));
    }
    const client = await mqtt.connectAsync(mosquitto.url, { username: estate.agent, password: secret, clientId: estate.agent, protocolVersion: 5, reconnectPeriod: 0 });
    agent = await FakeAgent.attach(hubs[0], client, estate);
    door = await agent.birth('door-x', 'door', { capabilities: doorCaps });
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    for (const hub of hubs) await hub.stop();
    await mosquitto?.close();
    await database?.drop();
  });

  it('resolves each command on the hub that sent it, while every hub hears the acknowledgement', async () => {
    const heard = hubs.map(() => new Set<string>());
    const offs = hubs.map((hub, i) => hub.ingest.onCommandAck((ack) => heard[i].add(ack.id)));
    try {
      for (const [i, hub] of hubs.entries()) {
        const outcome = await hub.commands.send({ deviceId: door, name: 'door.access', params: { reason: `through hub ${i}` }, issuedBy: system, timeoutMs: 5_000 });
        expect(outcome.result).toBe('ok');
        await waitFor(() => heard.every((ids) => ids.has(outcome.id)), 'both hubs heard the acknowledgement');
        const row = (await hubs[1 - i].db.query<{ result: string; result_message: string | null }>('SELECT result, result_message FROM commands WHERE id = $1', [outcome.id])).rows[0];
        expect(row).toEqual({ result: 'ok', result_message: null });
      }
      for (const hub of hubs) expect(hub.commands.inFlight).toBe(0);
    } finally {
      for (const off of offs) off();
    }
  });
});

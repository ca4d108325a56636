/**
 * The starter security rules against real parts: real ONVIF camera and door-controller
 * simulators, a real edge agent bridging them over the hub's embedded broker, and the
 * hub with its default rules. What a guard must be able to rely on out of the box:
 * a camera with a wrong password, one that cannot be reached and one that answers
 * garbage each raise "Camera video lost or frozen" (and the agent and hub run on),
 * the alarm returns when the camera recovers, the door controller's own held-open
 * signal raises "Door held open" at once (one episode with the hub's timer), and the
 * motion rule arms zones exactly as the console shows them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EdgeAgent, parseAgentConfig } from '@warden/edge-agent';
import { CameraSimulator, DoorControllerSimulator, type CameraEndpoints } from '@warden/simulators';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArmed } from '../src/alarms/evaluation.js';
import { provisionAgent } from '../src/broker/index.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { upsertBuilding, upsertSite } from '../src/records/index.js';
import { defaultArming } from '../src/security/index.js';
import { databaseKinds } from './support/databases.js';
import { FakeAgent } from './support/fake-agent.js';
import { ADMIN_PASSWORD, demoPassword, startTestHub, type TestHub } from './support/hub.js';
import { waitFor } from './support/wait.js';

const SITE = 'site-def';
const BUILDING = 'b-def';
const AGENT = 'agent-def';
const CAMERA_PASSWORD = 'cam-secret-9';
const WRONG_PASSWORD = 'not-the-camera-password';

/** HH:MM in UTC+8 (the default utcOffsetMin), `minutes` from now. */
function localClock(minutes: number): string {
  const d = new Date(Date.now() + (480 + minutes) * 60_000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

interface AlarmRow {
  id: string;
  state: string;
  active: boolean;
  episode_id: string | null;
}

describe.each(databaseKinds)('default security rules with real cameras, a real door controller and a real agent (%s)', (kind) => {
  let hub: TestHub;
  let camera: CameraSimulator;
  let cam: CameraEndpoints;
  let panel: DoorControllerSimulator;
  let agent: EdgeAgent;
  let queueDir: string;
  let zones: FakeAgent;
  const agentLog: { level: number; msg: string }[] = [];
  const tokens: Record<string, string> = {};

  const api = async <T = unknown>(who: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await hub.http.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[who]}` } });
    return { status: res.statusCode, body: res.json() as T };
  };
  const ruleId = async (name: string) => Number((await hub.db.query<{ id: string }>('SELECT id FROM alarm_rules WHERE name = $1', [name])).rows[0].id);
  const deviceId = (code: string) =>
    waitFor(async () => (await hub.db.query<{ id: string }>('SELECT id FROM devices WHERE code = $1', [code])).rows[0], `device ${code} registered`, 20_000).then((r) => Number(r.id));
  const alarmOf = async (rule: number, device: number) => (await hub.db.query<AlarmRow>('SELECT id, state, active, episode_id FROM alarms WHERE rule_id = $1 AND device_id = $2', [rule, device])).rows[0];
  const episodes = async (rule: number, device: number) =>
    (await hub.db.query<{ id: string; raised_at: Date }>('SELECT id, raised_at FROM alarm_episodes WHERE rule_id = $1 AND device_id = $2 ORDER BY id', [rule, device])).rows;
  /** Waits for the alarm to be active in a new episode (not one of `known`). */
  const raisedAnew = (rule: number, device: number, known: number, what: string) =>
    waitFor(async () => {
      const a = await alarmOf(rule, device);
      return a?.active && (await episodes(rule, device)).length > known ? a : undefined;
    }, what, 20_000);
  const agentErrors = (code: string) => agentLog.filter((l) => l.level === 50 && l.msg.includes(`(${code})`));

  beforeAll(async () => {
    // Zones without a schedule of their own are armed now (by the estate's default window).
    hub = await startTestHub(kind, { ZONE_DEFAULT_ARMING: `${localClock(-120)}-${localClock(120)}` });
    tokens.guard = await hub.login('guard', demoPassword(hub, 'guard'));
    tokens.manager = await hub.login('manager', demoPassword(hub, 'manager'));
    tokens.admin = await hub.login('admin', ADMIN_PASSWORD);

    camera = new CameraSimulator({ name: 'def-cam', username: 'admin', password: CAMERA_PASSWORD, width: 320, height: 180, clipSeconds: 3 });
    // The controller reports a door held open after 2 s (the hub's own rule waits 60 s).
    panel = new DoorControllerSimulator({ name: 'def-panel', username: 'admin', password: 'door-secret-9', doors: ['Store door'], timing: { openTooLongSec: 2 } });
    [cam] = await Promise.all([camera.start(), panel.start()]);
    const panelXaddr = panel.endpoints.xaddr;

    await upsertSite(hub.db, { id: SITE, name: SITE });
    await upsertBuilding(hub.db, { id: BUILDING, siteId: SITE, name: BUILDING });
    const { secret } = await provisionAgent(hub.db, { id: AGENT, siteId: SITE, buildingId: BUILDING });
    queueDir = mkdtempSync(path.join(os.tmpdir(), 'warden-def-'));
    const camera3 = (id: string, name: string, o: { xaddr?: string; password?: string; covers?: string[] } = {}) => ({
      id,
      type: 'camera',
      name,
      zone: 'store',
      ...(o.covers ? { covers: o.covers } : {}),
      xaddr: o.xaddr ?? cam.xaddr,
      user: 'admin',
      password: o.password ?? CAMERA_PASSWORD,
      // Three identical pictures over 1.4 s mean frozen (the simulator shows one JPEG a second).
      healthIntervalMs: 700,
      frozenAfterChecks: 3,
    });
    const config = parseAgentConfig(
      {
        site: SITE,
        agent: AGENT,
        building: 'Default-rules building',
        mqtt: { url: hub.mqttUrl, username: AGENT, password: secret, reconnectMinMs: 50, reconnectMaxMs: 500 },
        queue: { dir: queueDir, fsyncIntervalMs: 20 },
        batching: { maxPoints: 100, maxDelayMs: 20 },
        devices: [
          { id: 'def-door', type: 'door', name: 'Store door', zone: 'store', xaddr: panelXaddr, user: 'admin', password: 'door-secret-9', doorToken: 'Door_1' },
          camera3('def-cam-ok', 'Store camera', { covers: ['def-door'] }),
          camera3('def-cam-badpass', 'Camera with a wrong password', { password: WRONG_PASSWORD }),
          camera3('def-cam-gone', 'Camera that is not there', { xaddr: `http://127.0.0.1:${await closedPort()}/onvif/device_service` }),
        ],
      },
      'security-default-rules test',
    );
    const logger = pino({ level: 'info' }, { write: (line: string) => void agentLog.push(JSON.parse(line) as { level: number; msg: string }) });
    agent = new EdgeAgent(config, { logger });
    await agent.start();

    zones = await FakeAgent.connect(hub, { site: SITE, building: 'b-def-zones', agent: 'agent-def-zones' });
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await zones?.close();
    await Promise.allSettled([camera?.stop(), panel?.stop()]);
    await hub?.close();
    if (queueDir) rmSync(queueDir, { recursive: true, force: true });
  }, 30_000);

  it('raises "Camera video lost or frozen" for a wrong ONVIF password and for a camera that cannot be reached, with one clear agent error each', async () => {
    const rule = await ruleId('Camera video lost or frozen');
    for (const [code, cause] of [
      ['def-cam-badpass', /ONVIF wrong user or password \(NotAuthorized\)/],
      ['def-cam-gone', /ONVIF unreachable: cannot reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/],
    ] as const) {
      const device = await deviceId(code);
      const offline = await waitFor(
        async () => (await hub.db.query<{ historical: boolean }>(`SELECT historical FROM device_events WHERE device_id = $1 AND kind = 'camera.offline'`, [device])).rows[0],
        `the hub to receive camera.offline from ${code}`,
        20_000,
      );
      // Broken from the start, the agent may notice before it is connected: the event then arrives as history,
      // never alarmed on, and the live health readings that follow raise the alarm.
      expect(typeof offline.historical).toBe('boolean');
      const alarm = await raisedAnew(rule, device, 0, `the camera-health alarm of ${code}`);
      expect(alarm.state).toBe('unack');
      const view = await api<{ alarm: { ruleName: string; category: string; priority: string; message: string } }>('guard', 'GET', `/api/alarms/${alarm.id}`);
      expect(view.body.alarm).toMatchObject({ ruleName: 'Camera video lost or frozen', category: 'security', priority: 'medium' });
      // The hub keeps the agent's reason with the event, for whoever looks at the camera.
      const event = await hub.db.query<{ data: { reason: string } }>(`SELECT data FROM device_events WHERE device_id = $1 AND kind = 'camera.offline' ORDER BY id LIMIT 1`, [device]);
      expect(event.rows[0].data.reason).toMatch(cause);
      // The agent logged the cause once, naming the camera, and never the password.
      await waitFor(() => agentErrors(code).length > 0, `the agent's error about ${code}`);
      expect(agentErrors(code)).toHaveLength(1);
      expect(agentErrors(code)[0].msg).toMatch(cause);
    }
    expect(JSON.stringify(agentLog)).not.toContain(WRONG_PASSWORD);
    expect(JSON.stringify(agentLog)).not.toContain(CAMERA_PASSWORD);
    expect(agent.status()).toMatchObject({ running: true, connected: true });
  });

  it('raises it when the camera stops answering, answers malformed SOAP or freezes, and returns it to normal when the camera recovers', async () => {
    const rule = await ruleId('Camera video lost or frozen');
    const device = await deviceId('def-cam-ok');
    type Camera = { code: string; health: { onvifReachable: boolean | null; rtspReachable: boolean | null } };
    await waitFor(
      async () => (await api<{ cameras: Camera[] }>('guard', 'GET', `/api/cameras?building=${BUILDING}`)).body.cameras.find((c) => c.code === 'def-cam-ok')?.health.rtspReachable,
      'the store camera healthy',
      20_000,
    );
    // A frozen picture too: when it moves again the agent says camera.online (reason pictureMoving), which returns the alarm.
    const settle = async () => {
      await waitFor(async () => (await alarmOf(rule, device))?.active !== true, 'the store camera without an active alarm', 20_000);
      const a = await alarmOf(rule, device);
      // Acknowledged, a returned episode ends: the next fault is a new episode.
      if (a?.state === 'rtn_unack') expect((await api('guard', 'POST', `/api/alarms/${a.id}/ack`, { disposition: 'test' })).status).toBe(200);
      await waitFor(async () => ((await alarmOf(rule, device))?.state ?? 'normal') === 'normal', 'the alarm back to normal');
    };
    // A start-up glitch (a check before ONVIF answered) may have raised and returned it already.
    await settle();
    try {
      for (const fault of ['offline', 'malformed', 'frozen'] as const) {
        const known = (await episodes(rule, device)).length;
        camera.injectFault(fault);
        const alarm = await raisedAnew(rule, device, known, `the camera-health alarm on the ${fault} fault`);
        expect(agent.status().running).toBe(true);
        camera.clearFaults();
        await waitFor(async () => (await alarmOf(rule, device))?.active === false, `the alarm to return after the ${fault} fault`, 20_000);
        await settle();
        const ended = await hub.db.query<{ ended_at: Date | null }>('SELECT ended_at FROM alarm_episodes WHERE id = $1', [alarm.episode_id]);
        expect(ended.rows[0].ended_at).not.toBeNull();
      }
    } finally {
      camera.clearFaults();
    }
    const malformed = agentErrors('def-cam-ok').filter((l) => l.msg.includes('ONVIF malformed SOAP answer'));
    expect(malformed).toHaveLength(1);
    expect(agent.status()).toMatchObject({ running: true, connected: true });
    // The hub ran on: its API answers and it logged no error of its own about these cameras.
    expect((await api('guard', 'GET', '/api/cameras')).status).toBe(200);
    expect(hub.logs.filter((l) => l.level >= 50)).toEqual([]);
  });

  it('raises "Door held open" on the controller\'s own held-open signal, long before the hub\'s 60 s, as one episode', async () => {
    const rule = await ruleId('Door held open');
    const door = await deviceId('def-door');
    await waitFor(() => panel.state().subscriptions >= 1, 'the agent subscribed to the door controller', 20_000);
    const openedAt = Date.now();
    panel.inject({ scenario: 'holdOpen', door: 'Door_1', durationSec: 8 });
    const alarm = await raisedAnew(rule, door, 0, 'the held-open alarm');
    const [episode] = await episodes(rule, door);
    const heldOpen = await hub.db.query<{ ts: Date }>(`SELECT ts FROM device_events WHERE device_id = $1 AND kind = 'door.heldOpen' ORDER BY id`, [door]);
    expect(heldOpen.rows).toHaveLength(1);
    // Raised by the controller's signal (about 2 s after opening), not by the hub's 60 s timer.
    expect(episode.raised_at.getTime() - openedAt).toBeLessThan(30_000);
    // The hub's own timer running out while the door is still open does not start a second episode.
    hub.alarmEngine.tick(Date.now() + 61_000);
    await hub.alarmEngine.idle();
    await waitFor(async () => (await alarmOf(rule, door))?.active === false, 'the alarm to return when the door closes', 20_000);
    expect(await episodes(rule, door)).toHaveLength(1);
    expect(alarm.state).toBe('unack');
    // Evidence came from the camera covering the door, the real simulator's JPEG (its own, or the incident's from seconds before).
    type Evidence = { kind: string; contentType: string; cameraId: number };
    const evidence = await waitFor(
      async () => (await api<{ evidence: Evidence[] }>('guard', 'GET', `/api/alarm-episodes/${episode.id}/evidence`)).body.evidence.find((e) => e.kind === 'snapshot'),
      'the snapshot of the held-open door',
      10_000,
    ).catch(async (err: Error) => {
      const notes = await hub.db.query<{ note: string }>(`SELECT note FROM alarm_transitions WHERE episode_id = $1 AND action = 'evidence-failed'`, [episode.id]);
      throw new Error(`${err.message}; evidence notes: ${JSON.stringify(notes.rows.map((r) => r.note))}`);
    });
    expect([evidence.contentType, evidence.cameraId]).toEqual(['image/jpeg', await deviceId('def-cam-ok')]);
  });

  it('arms motion by the zone schedules the console shows: a zone\'s own, else the estate default', async () => {
    const rule = await ruleId('Motion in an armed zone');
    await zones.birth('z-cam-default', 'camera', { zone: 'hall', capabilities: ['camera.snapshot'] });
    await zones.birth('z-cam-own', 'camera', { zone: 'office', capabilities: ['camera.snapshot'] });
    // The office's own schedule arms it only later today: disarmed now, whatever the default says.
    const later = { utcOffsetMin: 480, windows: [{ from: localClock(180), to: localClock(240) }] };
    expect((await api('manager', 'PUT', '/api/zones/b-def-zones/office/schedule', later)).status).toBe(200);

    type ZoneView = { zone: string; armedNow: boolean | null; source: string | null };
    const view = await api<{ zones: ZoneView[] }>('guard', 'GET', '/api/zones?building=b-def-zones');
    expect(view.body.zones.map((z) => [z.zone, z.armedNow, z.source])).toEqual([
      ['hall', true, 'default'],
      ['office', false, 'zone'],
    ]);
    const cams = await api<{ cameras: { code: string; zoneArmed: boolean | null }[] }>('guard', 'GET', '/api/cameras?building=b-def-zones');
    expect(cams.body.cameras.map((c) => [c.code, c.zoneArmed])).toEqual([
      ['z-cam-default', true],
      ['z-cam-own', false],
    ]);

    const seen = new Set<string>();
    const off = hub.bus.on('device.event', (e) => seen.add(`${e.event.device}:${e.event.kind}`));
    try {
      await zones.event('z-cam-own', 'camera.motionStart');
      await zones.event('z-cam-default', 'camera.motionStart');
      await raisedAnew(rule, zones.deviceIds['z-cam-default'], 0, 'motion in the zone armed by default');
      await waitFor(() => seen.has('z-cam-own:camera.motionStart'), 'the office motion evaluated');
      await hub.alarmEngine.idle();
      expect(await episodes(rule, zones.deviceIds['z-cam-own'])).toHaveLength(0);

      // The manager arms the office now: the console and the alarms follow at once.
      const now = { utcOffsetMin: 480, windows: [{ from: localClock(-60), to: localClock(60) }] };
      expect((await api<ZoneView>('manager', 'PUT', '/api/zones/b-def-zones/office/schedule', now)).body).toMatchObject({ armedNow: true, source: 'zone' });
      await zones.event('z-cam-own', 'camera.motionStart');
      await raisedAnew(rule, zones.deviceIds['z-cam-own'], 0, 'motion in the office armed by its own schedule');
    } finally {
      off();
    }
  });
});

describe('the default arming of zones without a schedule (ZONE_DEFAULT_ARMING)', () => {
  it('is the old 22:00–06:00 window at UTC+8 unless configured, "none" disarms, and a bad value is named', () => {
    const config = loadConfig({});
    const schedule = defaultArming(config.ZONE_DEFAULT_ARMING, config.ZONE_DEFAULT_ARMING_UTC_OFFSET_MIN)!;
    expect(schedule).toEqual({ utcOffsetMin: 480, windows: [{ days: [0, 1, 2, 3, 4, 5, 6], from: '22:00', to: '06:00' }] });
    // 23:30 and 05:59 local (UTC+8) are armed, 06:00 and 21:59 are not.
    const local = (hhmm: string) => Date.parse(`2026-03-04T${hhmm}:00+08:00`);
    expect(['23:30', '05:59', '06:00', '21:59'].map((t) => isArmed(schedule, local(t)))).toEqual([true, true, false, false]);
    expect(defaultArming('none', 480)).toBeUndefined();
    expect(() => loadConfig({ ZONE_DEFAULT_ARMING: '22:00 to 06:00' })).toThrow(ConfigError);
    expect(() => loadConfig({ ZONE_DEFAULT_ARMING: '22:00 to 06:00' })).toThrow(/ZONE_DEFAULT_ARMING: expected HH:MM-HH:MM \(e\.g\. 22:00-06:00\) or none/);
  });
});

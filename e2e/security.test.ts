import { describe, expect, it } from 'vitest';
import { waitFor } from '../hub/test/support/wait.js';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

interface AlarmAnswer {
  alarm: { alarmId: number; ruleName: string; priority: string; category: string; episodeId: number | null; workOrderId: number | null };
}
interface IncidentAnswer {
  incidents: { id: number; workOrderId: number | null; episodes: number; evidence: number }[];
}
interface IncidentDetail {
  incident: { id: number; workOrderId: number | null };
  episodes: { episodeId: number; alarmId: number }[];
  evidence: { id: number; episodeId: number; cameraId: number; cameraCode: string; kind: string; late: boolean }[];
}
interface DoorsAnswer {
  doors: { id: number; code: string; open: boolean | null; locked: boolean | null; coveredBy: { code: string }[] }[];
}

/**
 * Security in a real browser against the whole demo system, with its ONVIF camera and
 * door simulators: a forced door raises a critical alarm on the guard's console, the
 * lobby camera's snapshot shows in the alarm, the incident and its work order exist, and
 * the guard unlocks the door from the console with a reason, audited.
 */
describe('security: forced door, evidence, remote door control', () => {
  let system: E2eSystem;
  const openPage = systemAndBrowser({ name: 'warden-e2e-security' }, (s) => {
    system = s;
  });

  it('raises a forced-door alarm with the camera snapshot, opens an incident, and lets the guard unlock the door', async () => {
    const guard = await openPage('security-guard');
    await login(guard, system, 'guard');
    await guard.getByTestId('alarm-console').waitFor({ timeout: 10_000 });
    await waitForAttribute(guard.getByTestId('live-indicator'), 'data-state', 'connected', 10_000);

    const door = await system.device('a-door-lobby');
    const camera = await system.device('a-cam-lobby');
    const api = system.api('guard');
    // The registry knows the camera covers the door (from the camera's `covers`).
    await waitFor(
      async () => (await api.get<DoorsAnswer>('/api/doors')).doors.find((d) => d.id === door.id)?.coveredBy.some((c) => c.code === camera.code),
      'the lobby camera to cover the lobby door',
      15_000,
      200,
    );

    // Someone forces the lobby door of building A.
    const raised = await system.waitForAlarm(door.code, () => {
      const sim = system.demo.onvif.doors.get(door.code)!;
      sim.controller.inject({ scenario: 'force', door: sim.token });
    });

    const answer = await api.get<AlarmAnswer>(`/api/alarms/${raised.alarmId}`);
    expect(answer.alarm).toMatchObject({ ruleName: 'Door forced open', priority: 'critical', category: 'security' });

    const row = guard.locator(`[data-testid="alarm-row"][data-alarm-id="${raised.alarmId}"]`).first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-priority')).toBe('critical');
    await screenshot(guard, 'security-forced-door-alarm');

    // The guard opens it: the lobby camera's snapshot shows, loaded.
    await row.click();
    const detail = guard.locator(`[data-testid="alarm-detail"][data-alarm-id="${raised.alarmId}"]`);
    await detail.waitFor({ timeout: 5_000 });
    await waitForAttribute(detail.getByTestId('alarm-evidence'), 'data-evidence', 'present', 30_000);
    const image = detail.getByTestId('alarm-evidence-image').first();
    await image.waitFor({ timeout: 5_000 });
    await waitFor(async () => (await image.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).naturalWidth)) > 0, 'the evidence image to load', 10_000, 100);
    expect(await detail.getByTestId('alarm-evidence-item').first().textContent()).toContain('Building A lobby camera');
    await screenshot(guard, 'security-evidence');

    // The incident and its security work order exist.
    const workOrderId = await waitFor(async () => (await api.get<AlarmAnswer>(`/api/alarms/${raised.alarmId}`)).alarm.workOrderId ?? undefined, 'the alarm episode to have a work order', 15_000, 200);
    const wo = await system.workOrderOf(raised.episodeId);
    expect(wo.id).toBe(workOrderId);
    const { incidents } = await api.get<IncidentAnswer>('/api/incidents');
    const withEpisode: IncidentDetail[] = [];
    for (const incident of incidents) {
      const d = await api.get<IncidentDetail>(`/api/incidents/${incident.id}`);
      if (d.episodes.some((e) => e.episodeId === raised.episodeId)) withEpisode.push(d);
    }
    expect(withEpisode).toHaveLength(1);
    expect(withEpisode[0].incident.workOrderId).toBe(workOrderId);
    // The incident's evidence holds the snapshot from the camera covering the door.
    const snapshot = withEpisode[0].evidence.find((e) => e.kind === 'snapshot' && e.cameraId === camera.id);
    expect(snapshot, JSON.stringify(withEpisode[0].evidence)).toMatchObject({ cameraCode: camera.code, late: false });
    // The work order is a security one.
    const kind = await system.hub.db.query<{ kind: string }>('SELECT kind FROM work_orders WHERE id = $1', [workOrderId]);
    expect(kind.rows[0].kind).toBe('security');
    // Evidence within 2 s of the alarm, by the database's own clock (raised_at and the evidence's created_at).
    const timing = await system.hub.db.query<{ ms: number }>(
      `SELECT extract(epoch FROM (ev.created_at - e.raised_at)) * 1000 AS ms
         FROM evidence ev JOIN alarm_episodes e ON e.id = $1
        WHERE ev.id = $2`,
      [raised.episodeId, snapshot!.id],
    );
    expect(Number(timing.rows[0].ms)).toBeLessThanOrEqual(2_000);

    // The guard unlocks the door from the console, with a reason.
    const controls = detail.locator(`[data-testid="door-controls"][data-door-code="${door.code}"]`);
    await controls.waitFor({ timeout: 10_000 });
    await controls.getByTestId('door-unlock').click();
    await controls.getByTestId('door-duration').selectOption('300');
    await controls.getByTestId('door-reason').fill('Police on site need to enter the lobby');
    await controls.getByTestId('door-command-submit').click();
    await waitForAttribute(controls.getByTestId('door-command-result'), 'data-result', 'ok', 20_000);

    await waitFor(async () => (await api.get<DoorsAnswer>('/api/doors')).doors.find((d) => d.id === door.id)?.locked === false, 'the hub to see the door unlocked', 10_000, 200);
    await waitForAttribute(controls.getByTestId('door-state'), 'data-locked', 'false', 10_000);
    await screenshot(guard, 'security-door-unlocked');

    const { rows } = await system.hub.db.query<{ actor: string; details: { reason: string; result: string; durationSec: number | null } }>(
      `SELECT actor, details FROM audit_log WHERE action = 'door.unlock' AND target_type = 'device' AND target_id = $1`,
      [String(door.id)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: 'guard', details: { reason: 'Police on site need to enter the lobby', result: 'ok', durationSec: 300 } });
  });
});

import { describe, expect, it } from 'vitest';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

/**
 * Per-building alarm escalation contacts in Debian's Chromium against the system as
 * `npm start` runs it: the manager names the guard as a building's contact on the
 * overview page, the hub's API and audit log show it, the hub's refusal of a clerk is
 * shown as the hub words it, and removing the contact hands escalations back to the
 * managers. Screenshots go to e2e/.artifacts/.
 */

interface Target {
  buildingId: string;
  userId: number;
  username: string;
  role: string;
  updatedBy: string;
}

describe('escalation contacts in a real browser', () => {
  let system: E2eSystem;
  const openPage = systemAndBrowser({ name: 'warden-e2e-escalation', pagePrefix: 'escalation-' }, (s) => {
    system = s;
  });

  it('a manager names the guard as a building’s escalation contact, sees a clerk refused by the hub, and removes the contact', async () => {
    const db = system.hub.db;
    const ids = Object.fromEntries(
      (await db.query<{ id: string; username: string }>("SELECT id, username FROM users WHERE username IN ('guard', 'clerk')")).rows.map((u) => [u.username, Number(u.id)]),
    ) as Record<'guard' | 'clerk', number>;
    // A building the guard may see (an estate-wide guard may see all of them).
    const { rows: buildingRows } = await db.query<{ id: string }>(
      `SELECT b.id FROM buildings b
        WHERE NOT EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = $1)
           OR EXISTS (SELECT 1 FROM user_buildings ub WHERE ub.user_id = $1 AND ub.building_id = b.id)
        ORDER BY b.id LIMIT 1`,
      [ids.guard],
    );
    const building = buildingRows[0].id;
    // The clerk gets a staff record, so the page offers them; the hub must refuse them as a contact.
    await system.api('manager').post('/api/records/staff', { name: 'Qian Hui', position: 'Office clerk', email: 'qian.hui@example.com', userId: ids.clerk });

    const manager = await openPage('manager');
    await login(manager, system, 'manager', '#/overview');
    await manager.getByTestId('escalation-contacts').waitFor({ timeout: 10_000 });
    const row = manager.locator(`[data-testid="escalation-row"][data-building="${building}"]`);
    await waitForAttribute(row, 'data-contact', '', 10_000);
    await row.getByTestId('escalation-change').click();
    const panel = manager.locator(`[data-testid="escalation-panel"][data-building="${building}"]`);
    await panel.waitFor({ timeout: 5_000 });

    // A clerk: the hub's 400 answer shows in the panel, and nothing is stored.
    await panel.locator(`[data-testid="escalation-person"] option[value="${ids.clerk}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await panel.getByTestId('escalation-person').selectOption(String(ids.clerk));
    await panel.getByTestId('escalation-save').click();
    const refusal = panel.getByTestId('escalation-error');
    await waitForAttribute(refusal, 'data-code', 'WARDEN_ERR_VALIDATION', 10_000);
    expect(await refusal.textContent()).toContain('a clerk cannot be an escalation contact');
    expect((await system.api('manager').get<{ targets: Target[] }>('/api/alarm-escalation-targets')).targets).toEqual([]);

    // The guard: the row shows them, the API answers them, the audit log says who set it.
    await panel.getByTestId('escalation-person').selectOption(String(ids.guard));
    await panel.getByTestId('escalation-save').click();
    await waitForAttribute(row, 'data-contact', 'guard', 10_000);
    expect(await panel.getByTestId('escalation-error').count()).toBe(0);
    expect(await row.getByTestId('escalation-contact').textContent()).toBe('Zhao Lei');
    // The demo guard's staff record has neither phone nor e-mail: the page warns that SMS and e-mail cannot reach them.
    await waitForAttribute(row.getByTestId('escalation-reach'), 'data-phone', 'false', 10_000);
    const { targets } = await system.api('manager').get<{ targets: Target[] }>('/api/alarm-escalation-targets');
    expect(targets).toEqual([expect.objectContaining({ buildingId: building, userId: ids.guard, username: 'guard', role: 'guard', updatedBy: 'manager' })]);
    await screenshot(manager, 'escalation-01-contact-set');

    // Removed: the row says its managers again, the API lists nobody, and both changes are audited.
    await panel.getByTestId('escalation-clear').click();
    await waitForAttribute(panel.getByTestId('escalation-done'), 'data-done', 'cleared', 10_000);
    await waitForAttribute(row, 'data-contact', '', 10_000);
    expect((await system.api('manager').get<{ targets: Target[] }>('/api/alarm-escalation-targets')).targets).toEqual([]);
    const { rows: audit } = await db.query<{ actor: string; action: string; details: { userId?: number; previousUserId: number | null } }>(
      "SELECT actor, action, details FROM audit_log WHERE target_type = 'building' AND target_id = $1 AND action LIKE 'alarm.escalation_target.%' ORDER BY id",
      [building],
    );
    expect(audit.map((a) => [a.actor, a.action, a.details])).toEqual([
      ['manager', 'alarm.escalation_target.set', { userId: ids.guard, previousUserId: null }],
      ['manager', 'alarm.escalation_target.remove', { previousUserId: ids.guard }],
    ]);
    await screenshot(manager, 'escalation-02-contact-cleared');
  }, 60_000);

  it('the guard console shows each zone as armed or not, and whether its own schedule or the default decides', async () => {
    type Zone = { building: string; zone: string; armedNow: boolean | null; source: 'zone' | 'default' | null };
    const before = (await system.api('manager').get<{ zones: Zone[] }>('/api/zones')).zones;
    expect(before.length).toBeGreaterThan(0);
    const own = before[0];
    // The manager gives one zone its own schedule.
    const put = await system.api('manager').send('PUT', `/api/zones/${encodeURIComponent(own.building)}/${encodeURIComponent(own.zone)}/schedule`, {
      utcOffsetMin: 480,
      windows: [{ from: '00:00', to: '23:59' }],
    });
    expect(put.status).toBe(200);
    const zones = (await system.api('manager').get<{ zones: Zone[] }>('/api/zones')).zones;
    expect(zones.find((z) => z.building === own.building && z.zone === own.zone)?.source).toBe('zone');

    const guard = await openPage('guard');
    await login(guard, system, 'guard', '#/alarms');
    const chip = guard.locator(`[data-testid="estate-building"][data-building="${own.building}"] [data-testid="estate-zone"][data-zone="${own.zone}"]`);
    await waitForAttribute(chip, 'data-source', 'zone', 15_000);
    // Every zone of the hub's answer is shown as the hub says: armed now or not, own schedule or default.
    await guard.locator('[data-testid="estate-zone"]').nth(zones.length - 1).waitFor({ timeout: 10_000 });
    const shown = await guard.locator('[data-testid="estate-building"]').evaluateAll((buildings) =>
      buildings.flatMap((b) =>
        [...b.querySelectorAll('[data-testid="estate-zone"]')].map((z) => ({
          building: b.getAttribute('data-building'),
          zone: z.getAttribute('data-zone'),
          armed: z.getAttribute('data-armed'),
          source: z.getAttribute('data-source'),
        })),
      ),
    );
    const expected = zones.map((z) => ({ building: z.building, zone: z.zone, armed: z.armedNow === null ? 'never' : String(z.armedNow), source: z.source ?? 'none' }));
    const byKey = (a: { building: string | null; zone: string | null }, b: { building: string | null; zone: string | null }) => `${a.building}/${a.zone}`.localeCompare(`${b.building}/${b.zone}`);
    expect(shown.sort(byKey)).toEqual(expected.sort(byKey));
    expect(shown.some((z) => z.source === 'default')).toBe(zones.some((z) => z.source === 'default'));
    await screenshot(guard, 'escalation-03-console-zones');
  }, 40_000);
});

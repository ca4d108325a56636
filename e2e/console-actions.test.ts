import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../hub/test/support/wait.js';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

interface WorkOrderAnswer {
  workOrder: { id: number; number: string; status: string; assignee: { id: number; name: string } | null };
}
interface StockAnswer {
  stock: { partCode: string; store: string; qty: number }[];
}
interface MovementsAnswer {
  movements: { partCode: string; kind: string; qty: number; workOrderId: number | null }[];
}

const HOUR_MS = 3_600_000;

/**
 * The console and maintenance actions beyond the acceptance flow (issue 6), in Debian's
 * Chromium against the system as `npm start` runs it: a guard shelves, comments on and
 * dispatches alarms while a second console watches; a technician holds, resumes and
 * resolves a work order with a part from stock; a supervisor reassigns on the board;
 * the equipment chart changes range and zooms, asking the hub with the matching bucket.
 */
describe('console and maintenance actions in a real browser', () => {
  let system: E2eSystem;
  const openPage = systemAndBrowser({ name: 'warden-e2e-actions', pagePrefix: 'actions-' }, (s) => {
    system = s;
  });

  /** A guard's console and a manager's beside it, both on the live stream. */
  async function twoConsoles(name: string): Promise<{ guard: Page; manager: Page }> {
    const [guard, manager] = await Promise.all([openPage(`${name}-guard`), openPage(`${name}-manager`)]);
    await Promise.all([login(guard, system, 'guard', '#/alarms'), login(manager, system, 'manager', '#/alarms')]);
    for (const page of [guard, manager]) {
      await page.getByTestId('alarm-console').waitFor({ timeout: 10_000 });
      await waitForAttribute(page.getByTestId('live-indicator'), 'data-state', 'connected', 10_000);
    }
    return { guard, manager };
  }

  const rowOf = (page: Page, alarmId: number) => page.locator(`[data-testid="alarm-row"][data-alarm-id="${alarmId}"]`);
  const detailOf = (page: Page, alarmId: number) => page.locator(`[data-testid="alarm-detail"][data-alarm-id="${alarmId}"]`);

  it('lets a guard shelve an alarm with a reason and an expiry; it leaves the standing list on every console', async () => {
    const { guard, manager } = await twoConsoles('shelve');
    const alarm = await system.raiseAlarm('a-leak-b1', 'leak');
    await rowOf(guard, alarm.alarmId).first().waitFor({ timeout: 10_000 });
    await rowOf(manager, alarm.alarmId).first().waitFor({ timeout: 10_000 });

    await rowOf(guard, alarm.alarmId).first().click();
    const detail = detailOf(guard, alarm.alarmId);
    await detail.getByTestId('alarm-shelve-button').click();
    await detail.getByTestId('alarm-shelve-reason').fill('Contractor flushing the basement drains until noon');
    await detail.getByTestId('alarm-shelve-minutes').selectOption('30');
    const shelvedAt = Date.now();
    await detail.getByTestId('alarm-shelve-submit').click();

    // Shelved: out of the standing list on both consoles, offered for unshelving, and listed under "shelved".
    await detail.getByTestId('alarm-unshelve-button').waitFor({ timeout: 15_000 });
    await rowOf(guard, alarm.alarmId).first().waitFor({ state: 'detached', timeout: 15_000 });
    await rowOf(manager, alarm.alarmId).first().waitFor({ state: 'detached', timeout: 15_000 });
    await manager.getByTestId('alarm-tab-shelved').click();
    await rowOf(manager, alarm.alarmId).first().waitFor({ timeout: 15_000 });

    const { rows } = await system.hub.db.query<{ shelved_until: Date; shelve_reason: string; shelved_by: string }>('SELECT shelved_until, shelve_reason, shelved_by FROM alarms WHERE id = $1', [alarm.alarmId]);
    expect(rows[0]).toMatchObject({ shelve_reason: 'Contractor flushing the basement drains until noon', shelved_by: 'guard' });
    const expiry = rows[0].shelved_until.getTime() - shelvedAt;
    expect(expiry).toBeGreaterThan(29 * 60_000);
    expect(expiry).toBeLessThan(31 * 60_000);
    await screenshot(guard, 'actions-guard-alarm-shelved');
    await screenshot(manager, 'actions-manager-sees-shelved');
  });

  it("lets a guard comment on an alarm and dispatch a check; the other console sees both on the alarm's timeline", async () => {
    const { guard, manager } = await twoConsoles('comment');
    const leak = await system.raiseAlarm('b-leak-b1', 'leak');
    await rowOf(guard, leak.alarmId).first().waitFor({ timeout: 10_000 });
    await rowOf(guard, leak.alarmId).first().click();
    await rowOf(manager, leak.alarmId).first().waitFor({ timeout: 10_000 });
    await rowOf(manager, leak.alarmId).first().click();
    const guardDetail = detailOf(guard, leak.alarmId);
    const managerDetail = detailOf(manager, leak.alarmId);
    await managerDetail.getByTestId('alarm-transitions').locator('[data-testid="alarm-transition"]').first().waitFor({ timeout: 10_000 });

    const note = 'Water on the floor by the booster pumps, about 2 cm deep';
    await guardDetail.getByTestId('alarm-comment-input').fill(note);
    await guardDetail.getByTestId('alarm-comment-submit').click();
    await managerDetail.locator('[data-testid="alarm-transition"][data-action="comment"]').filter({ hasText: note }).waitFor({ timeout: 15_000 });

    // A leak is maintenance's work order: the guard dispatches a security check of the spot, chosen by the dispatcher.
    await guardDetail.getByTestId('alarm-dispatch-button').click();
    const staff = guardDetail.getByTestId('alarm-dispatch-staff');
    await waitFor(async () => !(await staff.isDisabled()), 'the staff list of the dispatch form', 10_000, 100);
    await guardDetail.getByTestId('alarm-dispatch-submit').click();
    const notice = guardDetail.getByTestId('alarm-dispatch-notice');
    await notice.waitFor({ timeout: 10_000 });

    const { rows } = await system.hub.db.query<{ number: string; kind: string; assignee: string | null }>(
      `SELECT w.number, w.kind, u.username AS assignee FROM work_orders w LEFT JOIN staff s ON s.id = w.assignee_id LEFT JOIN users u ON u.id = s.user_id
        WHERE w.device_id = $1 AND w.kind = 'security'`,
      [leak.device.id],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].assignee).toBe('guard');
    expect(await notice.textContent()).toContain(rows[0].number);
    // The dispatch is noted on the alarm, and the manager's open detail shows it.
    await managerDetail.locator('[data-testid="alarm-transition"][data-action="comment"]').filter({ hasText: rows[0].number }).waitFor({ timeout: 15_000 });
    await screenshot(guard, 'actions-guard-commented-dispatched');
    await screenshot(manager, 'actions-manager-sees-comment');
  });

  it('lets a technician hold and resume a work order, then resolve it with notes and a part taken from stock', async () => {
    const manager = system.api('manager');
    const pump = await system.device('pump-3');
    await manager.post('/api/parts', { code: 'E2E-SEAL-32', name: 'Mechanical seal 32 mm', reorderLevel: 1 });
    await manager.post('/api/parts/receipts', { partCode: 'E2E-SEAL-32', store: 'main', qty: 5 });
    const { workOrder } = await manager.post<WorkOrderAnswer>('/api/work-orders', {
      kind: 'maintenance',
      title: 'Booster pump 3: seal weeping',
      priority: 'medium',
      trade: 'plumbing',
      deviceId: pump.id,
    });
    expect(workOrder.status).toBe('assigned');

    const technician = await openPage('technician-hold-resolve');
    await login(technician, system, 'technician', `#/my-work-orders/${workOrder.id}`);
    const detail = technician.locator(`[data-testid="wo-detail"][data-wo-id="${workOrder.id}"]`);
    await waitForAttribute(detail, 'data-status', 'assigned', 10_000);
    await detail.getByTestId('wo-accept').click();
    await waitForAttribute(detail, 'data-status', 'accepted', 15_000);
    await detail.getByTestId('wo-start').click();
    await waitForAttribute(detail, 'data-status', 'in_progress', 15_000);

    await detail.getByTestId('wo-hold').click();
    await detail.getByTestId('wo-hold-reason').fill('Waiting for the seal kit from the store');
    await detail.getByTestId('wo-hold-submit').click();
    await waitForAttribute(detail, 'data-status', 'on_hold', 15_000);
    await screenshot(technician, 'actions-technician-on-hold');
    await detail.getByTestId('wo-resume').click();
    await waitForAttribute(detail, 'data-status', 'in_progress', 15_000);

    await detail.getByTestId('wo-resolve').click();
    await detail.getByTestId('wo-resolution-input').fill('Replaced the mechanical seal; no weeping after 10 minutes running.');
    await detail.getByTestId('wo-part-code').first().fill('E2E-SEAL-32');
    await detail.getByTestId('wo-part-qty').first().fill('2');
    await detail.getByTestId('wo-resolve-submit').click();
    await waitForAttribute(detail, 'data-status', 'resolved', 15_000);

    const { stock } = await manager.get<StockAnswer>('/api/parts/stock?part=E2E-SEAL-32');
    expect(stock.find((s) => s.store === 'main')?.qty).toBe(3);
    const { movements } = await manager.get<MovementsAnswer>(`/api/parts/movements?workOrderId=${workOrder.id}`);
    expect(movements).toEqual([expect.objectContaining({ partCode: 'E2E-SEAL-32', kind: 'issue', qty: -2, workOrderId: workOrder.id })]);
    const { rows } = await system.hub.db.query<{ action: string }>('SELECT action FROM work_order_events WHERE work_order_id = $1 ORDER BY id', [workOrder.id]);
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['hold', 'resume', 'resolve']));
    await screenshot(technician, 'actions-technician-resolved-with-part');
  });

  it('lets a supervisor reassign a work order on the board to another technician', async () => {
    const pump = await system.device('pump-4');
    const { workOrder } = await system.api('manager').post<WorkOrderAnswer>('/api/work-orders', {
      kind: 'maintenance',
      title: 'Booster pump 4: bearing noise',
      priority: 'high',
      trade: 'plumbing',
      deviceId: pump.id,
    });
    expect(workOrder.assignee?.name).toBe('Liu Yang');
    // A second plumber with a login (there is no staff API yet: the record is written as the seed does).
    const { id: userId } = await system.api('admin').post<{ id: number }>('/api/users', { username: 'plumber2', displayName: 'Wu Hao', password: 'e2e-plumber-two-password', role: 'technician' });
    const { rows: staffRows } = await system.hub.db.query<{ id: string }>("INSERT INTO staff (user_id, name, position, trades) VALUES ($1, 'Wu Hao', 'Plumber', ARRAY['plumbing', 'general']) ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name, trades = EXCLUDED.trades RETURNING id", [userId]);
    const staffId = Number(staffRows[0].id);
    await system.hub.db.query('INSERT INTO staff_shifts (staff_id, starts_at, ends_at) VALUES ($1, $2, $3)', [staffId, new Date(Date.now() - HOUR_MS), new Date(Date.now() + 8 * HOUR_MS)]);

    const supervisor = await openPage('supervisor-reassign');
    await login(supervisor, system, 'manager', `#/work-orders/${workOrder.id}`);
    await supervisor.locator(`[data-testid="wo-board"] [data-testid="wo-row"][data-wo-id="${workOrder.id}"]`).first().waitFor({ timeout: 10_000 });
    const detail = supervisor.locator(`[data-testid="wo-detail"][data-wo-id="${workOrder.id}"]`);
    await expect.poll(() => detail.getByTestId('wo-assignee').textContent(), { timeout: 10_000 }).toContain('Liu Yang');

    await detail.getByTestId('wo-assign').click();
    const choice = detail.getByTestId('wo-assign-staff');
    await choice.locator(`option[value="${staffId}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await choice.selectOption(String(staffId));
    await detail.getByTestId('wo-assign-submit').click();
    await expect.poll(() => detail.getByTestId('wo-assignee').textContent(), { timeout: 15_000 }).toContain('Wu Hao');

    const reassigned = await waitFor(
      async () => {
        const { rows } = await system.hub.db.query<{ username: string | null }>('SELECT u.username FROM work_orders w JOIN staff s ON s.id = w.assignee_id LEFT JOIN users u ON u.id = s.user_id WHERE w.id = $1', [workOrder.id]);
        return rows[0]?.username === 'plumber2' ? rows[0].username : undefined;
      },
      'the work order to be assigned to plumber2',
      10_000,
      100,
    );
    expect(reassigned).toBe('plumber2');
    await screenshot(supervisor, 'actions-supervisor-reassigned');
  });

  it('shows a device going offline and back on the equipment list and detail as the hub streams it, without a reload', async () => {
    const climate = await system.device('a-climate-lobby');
    const page = await openPage('device-online-live');
    await login(page, system, 'technician', `#/equipment/${climate.id}`);
    const row = page.locator(`[data-testid="device-row"][data-device-id="${climate.id}"]`);
    const badge = page.locator(`[data-testid="device-detail"][data-device-id="${climate.id}"] [data-testid="device-detail-online"]`);
    await waitForAttribute(row, 'data-online', 'true', 15_000);
    await waitForAttribute(badge, 'data-online', 'true', 15_000);
    await waitForAttribute(page.getByTestId('live-indicator'), 'data-state', 'connected', 15_000);
    const listReads: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/devices') listReads.push(r.url());
    });

    // The hub's device status as its heartbeat check reports it, through the real feed, live log and WebSocket.
    // The devices table still says online, so only the live event can turn the row offline.
    system.hub.bus.emit('device.online', { deviceId: climate.id, online: false, at: new Date() });
    await waitForAttribute(row, 'data-online', 'false', 10_000);
    await waitForAttribute(badge, 'data-online', 'false', 5_000);
    expect(listReads).toEqual([]);
    await screenshot(page, 'actions-device-offline-live');

    system.hub.bus.emit('device.online', { deviceId: climate.id, online: true, at: new Date() });
    await waitForAttribute(row, 'data-online', 'true', 10_000);
    await waitForAttribute(badge, 'data-online', 'true', 5_000);
  });

  it('changes the equipment chart to 24 h and zooms into a dragged span, asking the hub again with the matching bucket', async () => {
    const pump = await system.device('pump-1');
    const page = await openPage('device-chart-zoom');
    await login(page, system, 'manager', `#/equipment/${pump.id}`);
    // The motor temperature: a reading that moves, so the chart has a line to show.
    await page.locator('[data-testid="metric-row"][data-metric="motorTemp"] [data-testid="metric-chart-button"]').click({ timeout: 15_000 });
    await page.getByRole('heading', { name: /motorTemp/ }).waitFor({ timeout: 15_000 });
    const chart = page.getByTestId('device-chart');
    await waitForAttribute(chart, 'data-bucket', '1m', 15_000);
    const historyRequest = (bucket: string) =>
      page.waitForRequest((r: Request) => r.url().includes(`/api/devices/${pump.id}/history`) && new URL(r.url()).searchParams.get('bucket') === bucket, { timeout: 10_000 });
    const span = async () => Number(await chart.getAttribute('data-to')) - Number(await chart.getAttribute('data-from'));

    // 24 hours: 5-minute buckets (288 points), and the axis spans the day.
    const day = historyRequest('5m');
    await page.getByTestId('history-range-24h').click();
    await day;
    await waitForAttribute(chart, 'data-bucket', '5m', 10_000);
    expect(await span()).toBe(24 * HOUR_MS);
    await waitForAttribute(page.getByTestId('history-bucket'), 'data-bucket', '5m', 10_000);

    // Drag across the last twentieth of the day (about 70 minutes), out past the plot's right edge so the
    // span ends at its end (the system has only just started reporting): 1-minute buckets over that span.
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    const plotLeft = box.x + 52;
    const plotWidth = box.width - 52 - 12;
    const y = box.y + box.height / 2;
    const zoomed = historyRequest('1m');
    await page.mouse.move(plotLeft + plotWidth * 0.95, y);
    await page.mouse.down();
    await page.mouse.move(plotLeft + plotWidth * 0.975, y, { steps: 4 });
    await page.mouse.move(box.x + box.width - 2, y, { steps: 4 });
    await page.mouse.up();
    const request = await zoomed;
    const asked = new URL(request.url()).searchParams;
    const askedSpan = Date.parse(asked.get('to')!) - Date.parse(asked.get('from')!);
    expect(askedSpan).toBeGreaterThan(55 * 60_000);
    expect(askedSpan).toBeLessThan(85 * 60_000);
    await waitForAttribute(chart, 'data-bucket', '1m', 10_000);
    expect(await span()).toBe(askedSpan);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await page.getByTestId('history-zoom-back').isEnabled()).toBe(true);
    await screenshot(page, 'actions-device-chart-zoomed');

    // Back: the day again, asked afresh.
    const again = historyRequest('5m');
    await page.getByTestId('history-zoom-back').click();
    await again;
    await waitForAttribute(chart, 'data-bucket', '5m', 10_000);
    expect(await span()).toBe(24 * HOUR_MS);
    expect(await page.getByTestId('history-zoom-back').isDisabled()).toBe(true);

    // A custom span of three days, ending where the day does: 15-minute buckets.
    await page.getByTestId('history-range-custom').click();
    const end = await page.getByTestId('history-custom-to').inputValue();
    const start = new Date(Date.parse(`${end}:00Z`) - 3 * 24 * HOUR_MS).toISOString().slice(0, 16);
    await page.getByTestId('history-custom-from').fill(start);
    const custom = historyRequest('15m');
    await page.getByTestId('history-custom-apply').click();
    const customAsked = new URL((await custom).url()).searchParams;
    expect(Date.parse(customAsked.get('to')!) - Date.parse(customAsked.get('from')!)).toBe(3 * 24 * HOUR_MS);
    await waitForAttribute(chart, 'data-bucket', '15m', 10_000);
    await page.getByTestId('history-zoom-reset').click();
    await waitForAttribute(chart, 'data-bucket', '5m', 10_000);
  });

  it("zooms a work order's fault trend into a dragged span with a finer bucket, and Back restores the whole span", async () => {
    const pump = await system.device('pump-2');
    const { workOrder } = await system.api('manager').post<WorkOrderAnswer>('/api/work-orders', {
      kind: 'maintenance',
      title: 'Booster pump 2: running hot since this morning',
      priority: 'medium',
      trade: 'plumbing',
      deviceId: pump.id,
    });
    // The demo technician's job (dispatch may have chosen the second plumber an earlier test added).
    if (workOrder.assignee?.name !== 'Liu Yang') {
      const { rows } = await system.hub.db.query<{ id: string }>("SELECT s.id FROM staff s JOIN users u ON u.id = s.user_id WHERE u.username = 'technician'");
      await system.api('manager').post(`/api/work-orders/${workOrder.id}/assign`, { staffId: Number(rows[0].id) });
    }
    // Reported seven hours ago: the trend spans nine hours (two before the fault), 5-minute buckets.
    await system.hub.db.query(`UPDATE work_orders SET created_at = now() - interval '7 hours' WHERE id = $1`, [workOrder.id]);
    const page = await openPage('workorder-trend-zoom');
    // Each reading charted has its own panel and asks on its own; `metric` picks one.
    const historyRequest = (bucket: string, metric?: string | null) =>
      page.waitForRequest(
        (r: Request) => {
          const url = new URL(r.url());
          return url.pathname === `/api/devices/${pump.id}/history` && url.searchParams.get('bucket') === bucket && (!metric || url.searchParams.get('metric') === metric);
        },
        { timeout: 15_000 },
      );
    const whole = historyRequest('5m');
    await login(page, system, 'technician', `#/my-work-orders/${workOrder.id}`);
    const wholeAsked = new URL((await whole).url()).searchParams;
    const panel = page.locator(`[data-testid="wo-trend-chart"][data-metric="${wholeAsked.get('metric')}"]`);
    const plot = panel.getByTestId('wo-trend-plot');
    await waitForAttribute(plot, 'data-bucket', '5m', 15_000);
    expect(await panel.getByTestId('wo-trend-zoom-back').isDisabled()).toBe(true);
    const span = async () => Number(await plot.getAttribute('data-to')) - Number(await plot.getAttribute('data-from'));
    const wholeSpan = await span();
    expect(wholeSpan).toBeGreaterThan(7 * HOUR_MS);

    // Drag from nine tenths of the axis out past its right edge (the readings are recent): under an hour, 1-minute buckets.
    await plot.scrollIntoViewIfNeeded();
    const box = (await plot.boundingBox())!;
    const plotLeft = box.x + 52;
    const plotWidth = box.width - 52 - 14;
    const y = box.y + box.height / 2;
    const zoomed = historyRequest('1m', wholeAsked.get('metric'));
    await page.mouse.move(plotLeft + plotWidth * 0.9, y);
    await page.mouse.down();
    await page.mouse.move(plotLeft + plotWidth * 0.95, y, { steps: 4 });
    await page.mouse.move(box.x + box.width - 2, y, { steps: 4 });
    await page.mouse.up();
    const asked = new URL((await zoomed).url()).searchParams;
    expect(asked.get('metric')).toBe(wholeAsked.get('metric'));
    const askedSpan = Date.parse(asked.get('to')!) - Date.parse(asked.get('from')!);
    expect(askedSpan).toBeGreaterThan(wholeSpan * 0.08);
    expect(askedSpan).toBeLessThan(wholeSpan * 0.12);
    await waitForAttribute(plot, 'data-bucket', '1m', 10_000);
    await waitForAttribute(panel.getByTestId('wo-trend-bucket'), 'data-bucket', '1m', 10_000);
    expect(await span()).toBe(askedSpan);
    expect(await panel.getByTestId('wo-trend-zoom-back').isEnabled()).toBe(true);
    await screenshot(page, 'actions-workorder-trend-zoomed');

    // Back: the whole span around the fault again, asked afresh with its bucket.
    const again = historyRequest('5m', wholeAsked.get('metric'));
    await panel.getByTestId('wo-trend-zoom-back').click();
    await again;
    await waitForAttribute(plot, 'data-bucket', '5m', 10_000);
    expect(await span()).toBeGreaterThan(7 * HOUR_MS);
    expect(await panel.getByTestId('wo-trend-zoom-back').isDisabled()).toBe(true);
  });

  it('lets a technician take an unassigned job of their trade from the list: it becomes theirs, accepted', async () => {
    const lobby = await system.device('a-climate-lobby');
    // Nobody glazes yet, so dispatch leaves the job waiting; then the demo technician takes up the trade.
    const { workOrder } = await system.api('manager').post<WorkOrderAnswer>('/api/work-orders', {
      kind: 'maintenance',
      title: 'Lobby door glass cracked',
      priority: 'high',
      trade: 'glazing',
      buildingId: lobby.buildingId ?? undefined,
    });
    expect(workOrder).toMatchObject({ status: 'open', assignee: null });
    await system.hub.db.query(`UPDATE staff SET trades = array_append(trades, 'glazing') FROM users u WHERE u.id = staff.user_id AND u.username = 'technician'`);

    const technician = await openPage('technician-claim');
    await login(technician, system, 'technician', `#/my-work-orders/${workOrder.id}`);
    const row = technician.locator(`[data-testid="wo-list"] [data-testid="wo-row"][data-wo-id="${workOrder.id}"]`);
    await waitForAttribute(row, 'data-status', 'open', 10_000);
    const detail = technician.locator(`[data-testid="wo-detail"][data-wo-id="${workOrder.id}"]`);
    await waitForAttribute(detail, 'data-status', 'open', 10_000);
    await detail.getByTestId('wo-claim').click();

    await waitForAttribute(detail, 'data-status', 'accepted', 15_000);
    await waitForAttribute(row, 'data-status', 'accepted', 15_000);
    await expect.poll(() => detail.getByTestId('wo-assignee').textContent(), { timeout: 10_000 }).toContain('Liu Yang');
    await detail.getByTestId('wo-start').waitFor({ timeout: 10_000 });
    await detail.locator('[data-testid="wo-event"][data-action="claim"]').waitFor({ timeout: 10_000 });
    expect(await detail.getByTestId('wo-claim').count()).toBe(0);
    const { rows } = await system.hub.db.query<{ status: string; username: string; accepted_at: Date | null }>(
      'SELECT w.status, u.username, w.accepted_at FROM work_orders w JOIN staff s ON s.id = w.assignee_id JOIN users u ON u.id = s.user_id WHERE w.id = $1',
      [workOrder.id],
    );
    expect(rows[0]).toMatchObject({ status: 'accepted', username: 'technician', accepted_at: expect.any(Date) });
    await screenshot(technician, 'actions-technician-claimed');
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

/**
 * The property office's pages (issue 7) in Debian's Chromium against the system as
 * `npm start` runs it: the service desk taking a phone request and dispatching it, the
 * owner following it live and rating it, the parts store, the equipment ledger with its
 * maintenance history and the preventive maintenance board. The demo office gives the
 * units and owners (the `owner` login holds a flat); a part short of stock, a pump and
 * its overdue plan are recorded through the API as the office would. Every test saves
 * screenshots to e2e/.artifacts/.
 */

interface Scene {
  /** The demo `owner` login's owner record, its flat and that flat's building (hub/src/demo-office.ts). */
  ownerId: number;
  ownerName: string;
  unitId: number;
  unitNumber: string;
  buildingId: string;
  /** Every unit the owner holds, rents or lives in today: what their portal must list, and nothing else. */
  ownerUnitIds: number[];
  equipmentId: number;
  planId: number;
}

interface DispatchedRequest {
  id: number;
  number: string;
  workOrderId: number;
}

const PART = 'SEAL-25';

describe('property office pages in a real browser', () => {
  let system: E2eSystem;
  let scene: Scene;

  async function setScene(): Promise<Scene> {
    const { rows } = await system.hub.db.query<{ owner_id: number; name: string; unit_id: number; number: string; building_id: string }>(
      `SELECT o.id AS owner_id, o.name, u.id AS unit_id, u.number, u.building_id
         FROM owners o JOIN users l ON l.id = o.user_id JOIN current_unit_owners c ON c.owner_id = o.id JOIN units u ON u.id = c.unit_id
        WHERE l.username = 'owner' ORDER BY u.id`,
    );
    if (!rows.length) throw new Error('the demo office gave the owner login no unit');
    const [home] = rows;
    const manager = system.api('manager');

    // A seal below its reorder level: the store must show it to reorder.
    await manager.post('/api/parts', { code: PART, name: 'Pump seal 25 mm', reorderLevel: 5 });
    await manager.post('/api/parts/receipts', { partCode: PART, store: 'main', qty: 3, note: 'opening stock' });

    const equipmentId = (await manager.post<{ equipment: { id: number } }>('/api/equipment', {
      code: 'PUMP-B1',
      name: 'Booster pump B1',
      type: 'pump',
      manufacturer: 'Grundfos',
      model: 'CR 10-4',
      serial: 'GF-2210-0042',
      buildingId: home.building_id,
      location: 'Basement pump room',
      installDate: '2021-03-01',
      warrantyUntil: '2026-12-31',
      parameters: { ratedKw: 7.5, flowM3h: 10 },
    })).equipment.id;
    const planId = (await manager.post<{ plan: { id: number } }>('/api/pm/plans', {
      equipmentId,
      title: 'Quarterly seal and bearing check',
      kind: 'calendar',
      intervalDays: 90,
      nextDueAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
    })).plan.id;
    return {
      ownerId: home.owner_id,
      ownerName: home.name,
      unitId: home.unit_id,
      unitNumber: home.number,
      buildingId: home.building_id,
      ownerUnitIds: rows.map((r) => r.unit_id),
      equipmentId,
      planId,
    };
  }

  const openPage = systemAndBrowser({ name: 'warden-e2e-office', pagePrefix: 'office-' }, (s) => {
    system = s;
  });

  beforeAll(async () => {
    scene = await setScene();
  }, 180_000);

  // The clerk's phone request, dispatched: taken in the browser by the first test, or
  // through the API when a later test runs on its own (`-t`).
  let dispatched: Promise<DispatchedRequest> | undefined;
  const dispatchedRequest = () =>
    (dispatched ??= (async () => {
      const clerk = system.api('clerk');
      const { request } = await clerk.post<{ request: { id: number; number: string } }>('/api/service-requests', { unitId: scene.unitId, ownerId: scene.ownerId, category: 'plumbing', description: 'Water dripping from the bathroom ceiling' });
      const classified = await clerk.post<{ request: { workOrder: { id: number } } }>(`/api/service-requests/${request.id}/classify`, {});
      return { id: request.id, number: request.number, workOrderId: classified.request.workOrder.id };
    })());

  it('lets a clerk take a phone request for a unit and dispatch it as a work order', async () => {
    const page = await openPage('clerk-request');
    await login(page, system, 'clerk', '#/requests/new');
    await page.getByTestId('request-intake').waitFor({ timeout: 10_000 });
    await page.getByTestId('request-intake-unit').fill(scene.unitNumber);
    await page.locator(`[data-testid="request-intake-unit-match"][data-unit-id="${scene.unitId}"]`).click({ timeout: 10_000 });
    await page.getByTestId('request-intake-caller').selectOption({ label: scene.ownerName });
    await page.getByTestId('request-intake-location').fill('bathroom ceiling');
    await page.getByTestId('request-intake-category').selectOption('plumbing');
    await page.getByTestId('request-intake-urgency').selectOption('high');
    await page.getByTestId('request-intake-description').fill('Water dripping from the bathroom ceiling since this morning.');
    await screenshot(page, 'office-clerk-phone-intake');
    await page.getByTestId('request-intake-submit').click();

    const detail = page.getByTestId('request-detail');
    await waitForAttribute(detail, 'data-status', 'new', 10_000);
    const id = Number(await detail.getAttribute('data-request-id'));
    expect(await page.getByTestId('request-work-order').getAttribute('data-wo-id')).toBe('');
    // It is in the list of open requests, taken by phone.
    await page.locator(`[data-testid="request-row"][data-request-id="${id}"]`).waitFor({ timeout: 10_000 });

    await page.getByTestId('request-classify-submit').click();
    await waitForAttribute(detail, 'data-status', 'dispatched', 10_000);
    const workOrderId = Number(await page.getByTestId('request-work-order').getAttribute('data-wo-id'));
    expect(workOrderId).toBeGreaterThan(0);
    await page.getByTestId('request-dispatch-info').waitFor();
    const number = (await detail.locator('#sr-detail-title').textContent()) ?? '';

    // The hub agrees: a plumbing work order for the unit's building, dispatched to the technician on shift.
    const { rows } = await system.hub.db.query<{ trade: string; priority: string; status: string; building_id: string; channel: string }>(
      `SELECT w.trade, w.priority, w.status, w.building_id, r.channel FROM service_requests r JOIN work_orders w ON w.id = r.work_order_id WHERE r.id = $1`,
      [id],
    );
    expect(rows[0]).toMatchObject({ trade: 'plumbing', priority: 'high', status: 'assigned', building_id: scene.buildingId, channel: 'phone' });
    dispatched = Promise.resolve({ id, number, workOrderId });
    await screenshot(page, 'office-clerk-request-dispatched');
  });

  it('shows an owner only their units and their request changing live, and takes one rating', async () => {
    const request = await dispatchedRequest();
    const page = await openPage('owner');
    await login(page, system, 'owner');
    await page.getByTestId('my-units-page').waitFor({ timeout: 10_000 });
    await page.locator(`[data-testid="my-unit"][data-unit-id="${scene.unitId}"]`).waitFor({ timeout: 10_000 });
    // Theirs and no one else's, in a demo estate of hundreds of flats.
    const shown = await page.getByTestId('my-unit').evaluateAll((cards) => cards.map((card) => Number(card.getAttribute('data-unit-id'))));
    expect(shown.sort((a, b) => a - b)).toEqual(scene.ownerUnitIds);
    await screenshot(page, 'office-owner-my-units');

    await page.getByTestId('nav-my-requests').click();
    const row = page.locator(`[data-testid="my-request"][data-request-id="${request.id}"]`);
    await waitForAttribute(row, 'data-status', 'dispatched', 10_000);
    await row.click();
    const detail = page.locator(`[data-testid="my-request-detail"][data-request-id="${request.id}"]`);
    await waitForAttribute(detail, 'data-status', 'dispatched', 10_000);
    await page.getByTestId('my-request-rating-later').waitFor();

    // The technician works the order through the API; the owner's page follows without a reload.
    const technician = system.api('technician');
    await technician.post(`/api/work-orders/${request.workOrderId}/accept`);
    await technician.post(`/api/work-orders/${request.workOrderId}/start`, { note: 'On site.' });
    await waitForAttribute(detail, 'data-status', 'in_progress', 10_000);
    await technician.post(`/api/work-orders/${request.workOrderId}/resolve`, { resolution: 'Replaced the cracked drain seal above the bathroom.' });
    await waitForAttribute(detail, 'data-status', 'resolved', 10_000);
    await waitForAttribute(row, 'data-status', 'resolved', 10_000);
    await screenshot(page, 'office-owner-request-resolved');

    await system.api('manager').post(`/api/work-orders/${request.workOrderId}/close`, { note: 'Checked with the owner.' });
    await waitForAttribute(detail, 'data-status', 'closed', 10_000);
    await page.getByTestId('my-request-score-4').check();
    await page.getByTestId('my-request-comment').fill('Quick and tidy.');
    await page.getByTestId('my-request-rate').click();
    await waitForAttribute(page.getByTestId('my-request-rated'), 'data-score', '4', 10_000);
    expect(await page.getByTestId('my-request-rating').count()).toBe(0);
    await screenshot(page, 'office-owner-request-rated');

    // Once: a second rating is refused, and the first one stands.
    const again = await system.api('owner').send('POST', `/api/service-requests/${request.id}/survey`, { score: 1 });
    expect(again.status).toBe(409);
    const { rows } = await system.hub.db.query<{ score: number }>('SELECT score FROM service_surveys WHERE request_id = $1', [request.id]);
    expect(rows.map((r) => r.score)).toEqual([4]);

    // A new problem, reported from the portal for their flat: it reaches the service desk as new.
    await page.getByTestId('nav-my-units').click();
    await page.locator(`[data-testid="my-unit"][data-unit-id="${scene.unitId}"]`).getByTestId('my-unit-report').click();
    await page.getByTestId('my-request-category').selectOption('electrical');
    await page.getByTestId('my-request-location').fill('kitchen');
    await page.getByTestId('my-request-description').fill('The kitchen sockets trip the breaker.');
    await page.getByTestId('my-request-submit').click();
    const portal = page.getByTestId('my-request-detail');
    await waitForAttribute(portal, 'data-status', 'new', 10_000);
    const portalId = Number(await portal.getAttribute('data-request-id'));
    expect(portalId).not.toBe(request.id);
    const { rows: taken } = await system.hub.db.query<{ channel: string; unit_id: number; owner_id: number }>('SELECT channel, unit_id::int, owner_id::int FROM service_requests WHERE id = $1', [portalId]);
    expect(taken[0]).toEqual({ channel: 'portal', unit_id: Number(scene.unitId), owner_id: Number(scene.ownerId) });

    // The rating counts in the office's satisfaction report, under its category.
    const office = await openPage('satisfaction');
    await login(office, system, 'clerk', '#/requests/satisfaction');
    await waitForAttribute(office.getByTestId('satisfaction-by-category'), 'data-rows', '1', 10_000);
    expect(await office.getByTestId('satisfaction-average').textContent()).toContain('4 / 5');
    await office.getByTestId('improvement-plans').waitFor();
    await screenshot(office, 'office-satisfaction-report');
  });

  it('shows the clerk the parts stock with the low line picked out, and records a receipt', async () => {
    const clerk = await openPage('clerk-parts');
    await login(clerk, system, 'clerk', '#/parts');
    const line = clerk.locator(`[data-testid="stock-line"][data-part="${PART}"][data-store="main"]`);
    await waitForAttribute(line, 'data-low', 'true', 10_000);
    expect(await line.getAttribute('data-qty')).toBe('3');
    await screenshot(clerk, 'office-clerk-parts-stock');

    // The clerk keeps the store: a delivery of ten is received from the page.
    await clerk.getByTestId('stock-receipt-form').waitFor({ timeout: 10_000 });
    await clerk.getByTestId('stock-receipt-part').selectOption(PART);
    await clerk.getByTestId('stock-receipt-store').fill('main');
    await clerk.getByTestId('stock-receipt-qty').fill('10');
    await clerk.getByTestId('stock-receipt-note').fill('PO 2026-118');
    await clerk.getByTestId('stock-receipt-submit').click();
    await clerk.getByTestId('stock-receipt-done').waitFor({ timeout: 10_000 });
    await waitForAttribute(line, 'data-qty', '13', 10_000);
    await waitForAttribute(line, 'data-low', 'false');

    // The receipt is in the movements ledger.
    await clerk.getByTestId('parts-tab-movements').click();
    const receipt = clerk.locator('[data-testid="movement-row"][data-kind="receipt"]', { hasText: 'PO 2026-118' });
    await receipt.waitFor({ timeout: 10_000 });
    await screenshot(clerk, 'office-clerk-parts-movements');
  });

  it("shows a work order on the pump, with the parts used, in the equipment ledger's history, and plans its maintenance", async () => {
    // A leaking pump seal: a work order opened by hand for the pump, the seal issued from the store, the work done.
    const manager = system.api('manager');
    const technician = system.api('technician');
    const { workOrder } = await manager.post<{ workOrder: { id: number } }>('/api/work-orders', {
      kind: 'maintenance',
      title: 'Booster pump B1: seal leaking',
      priority: 'medium',
      trade: 'plumbing',
      buildingId: scene.buildingId,
      location: 'Basement pump room',
    });
    const linked = await system.api('manager').send('PUT', `/api/work-orders/${workOrder.id}/equipment`, { equipmentId: scene.equipmentId });
    expect(linked.status).toBe(204);
    await technician.post(`/api/work-orders/${workOrder.id}/accept`);
    await technician.post(`/api/work-orders/${workOrder.id}/start`);
    await technician.post(`/api/work-orders/${workOrder.id}/parts`, { store: 'main', parts: [{ partCode: PART, qty: 1 }], note: 'seal replaced' });
    await technician.post(`/api/work-orders/${workOrder.id}/resolve`, { resolution: 'Replaced the mechanical seal; no more leak at 6 bar.' });

    const page = await openPage('ledger');
    await login(page, system, 'manager', `#/ledger/${scene.equipmentId}`);
    await page.locator(`[data-testid="equipment-row"][data-equipment-id="${scene.equipmentId}"]`).waitFor({ timeout: 10_000 });
    const item = page.locator(`[data-testid="equipment-history-item"][data-wo-id="${workOrder.id}"]`);
    await waitForAttribute(item, 'data-status', 'resolved', 10_000);
    expect(await item.getByTestId('equipment-history-parts').textContent()).toContain(`${PART}) × 1`);
    await page.getByTestId('equipment-parameters').waitFor();
    await screenshot(page, 'office-equipment-ledger-history');

    // The pump's plan is past its date: the maintenance board shows it late.
    await page.getByTestId('nav-maintenance').click();
    const plan = page.locator(`[data-testid="pm-row"][data-plan-id="${scene.planId}"]`);
    await plan.waitFor({ timeout: 10_000 });
    expect(['due', 'overdue']).toContain(await plan.getAttribute('data-status'));

    // The manager plans the pump's yearly motor service, first due in two months: on schedule.
    await page.getByTestId('pm-plan-new').click();
    await page.getByTestId('pm-plan-equipment').fill('PUMP-B1');
    await page.locator(`[data-testid="pm-plan-equipment-match"][data-equipment-id="${scene.equipmentId}"]`).click({ timeout: 10_000 });
    await page.getByTestId('pm-plan-title').fill('Annual motor service');
    await page.getByTestId('pm-plan-days').fill('365');
    const firstDue = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId('pm-plan-first-due').fill(firstDue);
    await page.getByTestId('pm-plan-submit').click();
    const annual = page.getByTestId('pm-row').filter({ hasText: 'Annual motor service' });
    await waitForAttribute(annual, 'data-status', 'ok', 10_000);
    const { rows } = await system.hub.db.query<{ interval_days: number }>(`SELECT interval_days FROM pm_plans WHERE equipment_id = $1 AND title = 'Annual motor service'`, [scene.equipmentId]);
    expect(rows.map((r) => r.interval_days)).toEqual([365]);
    await screenshot(page, 'office-maintenance-board');
  });

  it('speaks Chinese on the service desk and in the parts store', async () => {
    const page = await openPage('clerk-chinese', 'zh-CN');
    await login(page, system, 'clerk', '#/requests');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.getByTestId('requests-page').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('requests-tab-new').textContent()).toBe('电话登记');
    expect(await page.getByTestId('nav-parts').textContent()).toBe('备品备件');
    await screenshot(page, 'office-requests-chinese');

    await page.getByTestId('nav-parts').click();
    await page.getByTestId('parts-page').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('page-title').textContent()).toBe('备品备件');
    await page.getByTestId('stock-line').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'office-parts-chinese');

    await page.getByTestId('language-switch').selectOption('en');
    await page.getByTestId('page-title').getByText('Spare parts', { exact: true }).waitFor({ timeout: 5_000 });
  });
});

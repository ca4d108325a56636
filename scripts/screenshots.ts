/**
 * `npm run screenshots`: starts the whole system as `npm start` does, but on free ports
 * in a fresh temporary data folder; lets the simulated estate raise real alarms and work
 * orders (faults are injected through the agents so nothing waits for the demo scenario's
 * clock); photographs every main view of the dashboard in Debian's Chromium; stops
 * everything. The folder of the PNGs is the last line printed. Exits non-zero when a view
 * never became ready (after writing every screenshot it could), so a broken view fails CI.
 *
 *   SCREENSHOTS_DIR   where to write (default: screenshots/<date-time>/, git-ignored)
 *   CHROMIUM_PATH     the browser (default /usr/bin/chromium)
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, login, newSession, screenshot } from '../e2e/support/browser.js';
import { startSystem, type DemoRole, type E2eSystem, type RaisedAlarm } from '../e2e/support/system.js';
import { waitFor } from '../hub/test/support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
const outDir = path.resolve(process.env.SCREENSHOTS_DIR ?? path.join(ROOT, 'screenshots', stamp));

let system: E2eSystem | undefined;
let browser: Browser | undefined;
let stopping: Promise<void> | undefined;
const taken: string[] = [];
const missing: string[] = [];

function stopAll(): Promise<void> {
  return (stopping ??= (async () => {
    await browser?.close().catch(() => {});
    await system?.stop().catch((err: Error) => console.error(`stopping the system: ${err.message}`));
  })());
}

let signalledAt = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // npm and tsx pass on the Ctrl-C the whole process group already got: the same press, not a second one.
    if (signalledAt && Date.now() - signalledAt < 1_000) return;
    if (signalledAt) {
      console.error('Second signal: exiting now.');
      process.exit(1);
    }
    signalledAt = Date.now();
    console.error(`\n${signal}: stopping the browser and the system...`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** A view is photographed once `ready` is visible; if it never shows (a view not built yet), what is there is photographed and reported. */
async function shoot(page: Page, name: string, ready: string | null, what: string, timeout = 15_000): Promise<void> {
  if (ready) {
    try {
      await page.locator(ready).first().waitFor({ timeout });
    } catch {
      missing.push(`${name}: ${what} (${ready} not found)`);
    }
  }
  // Lazily loaded charts show a placeholder until their code and data arrive; lists say aria-busy while loading.
  await page.locator('.chart-placeholder').first().waitFor({ state: 'detached', timeout: 15_000 }).catch(() => missing.push(`${name}: a chart still loading`));
  await page.locator('[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 5_000 }).catch(() => {});
  const file = await screenshot(page, name, outDir);
  taken.push(file);
  console.log(`  ${path.basename(file)}  ${what}`);
}

async function pageAs(role: DemoRole, hash = ''): Promise<Page> {
  const session = await newSession(browser!);
  const page = await session.newPage();
  await login(page, system!, role, hash);
  return page;
}

/**
 * The billing views (issue 8) on a scene made through the API as the office would: last
 * month billed a month ago (so it is overdue and in arrears, the arrears sweep run), this
 * month billed, and a part payment for the demo owner's flat.
 */
async function billingViews(sys: E2eSystem): Promise<void> {
  console.log('Billing two months of the demo owner\'s building, with a part payment...');
  const clerk = sys.api('clerk');
  const { rows } = await sys.hub.db.query<{ unit_id: string; building_id: string }>(
    `SELECT c.unit_id, u.building_id FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id JOIN users us ON us.id = o.user_id JOIN units u ON u.id = c.unit_id WHERE us.username = 'owner' LIMIT 1`,
  );
  if (!rows[0]) return void missing.push('billing: the demo owner holds no flat');
  const unitId = Number(rows[0].unit_id);
  const buildingId = rows[0].building_id;
  const month = (offset: number) => {
    const d = new Date();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + offset);
    return d.toISOString().slice(0, 7);
  };
  for (const [period, issuedOn] of [[month(-1), `${month(-1)}-01`], [month(0), undefined]] as const) {
    await clerk.post('/api/billing/readings/check', { period, buildingId });
    const { readings } = await clerk.get<{ readings: { id: number; consumption: string | null }[] }>(`/api/billing/readings?period=${period}&building=${buildingId}&status=flagged`);
    for (const r of readings) {
      if (r.consumption !== null && !r.consumption.startsWith('-')) await clerk.post(`/api/billing/readings/${r.id}/confirm`, { reason: 'checked on site' });
      else await clerk.post(`/api/billing/readings/${r.id}/correct`, { consumption: '9.5', reason: 'read on site' });
    }
    await clerk.post('/api/billing/runs', { period, buildingId, issuedOn });
  }
  await clerk.post('/api/billing/payments', { unitId, amountFen: 12_345, method: 'wechat', reference: 'WX4200001234', idempotencyKey: `screenshots-${Date.now()}` });
  await sys.api('manager').post('/api/billing/arrears/sweep');

  const office = await pageAs('clerk', '#/billing/runs');
  await office.getByTestId('run-building').selectOption(buildingId);
  await office.getByTestId('run-preview-button').click();
  await shoot(office, '12-billing-runs', '[data-testid="run-preview-result"]', 'billing: bill run steps and the runs so far');
  await office.goto(`${sys.url}/#/billing/bills`);
  const firstBill = office.getByTestId('bill-row').first();
  await firstBill.waitFor({ timeout: 15_000 }).catch(() => {});
  if (await firstBill.count()) await firstBill.click();
  await shoot(office, '13-billing-bills', '[data-testid="bill-detail"] [data-testid="bill-lines"]', 'billing: bill search with a bill, its lines and ledger entries');
  await office.goto(`${sys.url}/#/billing/payments/${unitId}`);
  await shoot(office, '14-billing-payments', '[data-testid="payment-form"]', 'billing: payment desk with the unit account and receipts');
  await office.goto(`${sys.url}/#/billing/arrears`);
  await shoot(office, '15-billing-arrears', '[data-testid="arrears-ageing-chart"] svg', 'billing: arrears ageing, work list and warnings');
  await office.goto(`${sys.url}/#/billing/reports`);
  await shoot(office, '16-billing-reports', '[data-testid="report-collection-chart"] svg', 'billing: collection rate and exports');
  const owner = await pageAs('owner', '#/my-bills');
  await shoot(owner, '17-owner-my-bills-en', '[data-testid="bill-row"]', "owner portal: my bills (English)");
  await owner.getByTestId('language-switch').selectOption('zh-CN');
  await owner.locator('html[lang="zh-CN"]').waitFor({ timeout: 5_000 });
  await shoot(owner, '18-owner-my-bills-zh', '[data-testid="receipt-row"]', 'owner portal: my bills (中文)');
}

/**
 * The property office's views (issue 7): a phone request dispatched as a work order, the
 * demo owner's units and requests, the parts store with a part short of stock, the pump
 * in the equipment ledger with a work order in its history, and its overdue plan.
 */
async function officeViews(sys: E2eSystem): Promise<void> {
  console.log('Recording a phone request, parts, a pump and its maintenance plan...');
  const clerk = sys.api('clerk');
  const manager = sys.api('manager');
  const { rows } = await sys.hub.db.query<{ owner_id: number; unit_id: number; building_id: string }>(
    `SELECT o.id AS owner_id, c.unit_id, u.building_id FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id JOIN users us ON us.id = o.user_id JOIN units u ON u.id = c.unit_id WHERE us.username = 'owner' LIMIT 1`,
  );
  if (!rows[0]) return void missing.push('office: the demo owner holds no flat');
  const { owner_id: ownerId, unit_id: unitId, building_id: buildingId } = rows[0];
  const { request } = await clerk.post<{ request: { id: number } }>('/api/service-requests', { unitId, ownerId, category: 'plumbing', urgency: 'high', location: 'bathroom ceiling', description: 'Water dripping from the bathroom ceiling since this morning.' });
  await clerk.post(`/api/service-requests/${request.id}/classify`, { note: 'Owner at home all afternoon.' });
  await clerk.post(`/api/service-requests/${request.id}/events`, { action: 'exception', note: 'First visit: nobody answered the door.' });
  await manager.post('/api/parts', { code: 'SEAL-25', name: 'Pump seal 25 mm', reorderLevel: 5 });
  await manager.post('/api/parts', { code: 'FUSE-10A', name: 'Fuse 10 A', reorderLevel: 20 });
  await manager.post('/api/parts/receipts', { partCode: 'SEAL-25', store: 'main', qty: 3 });
  await manager.post('/api/parts/receipts', { partCode: 'FUSE-10A', store: 'main', qty: 120 });
  const { equipment } = await manager.post<{ equipment: { id: number } }>('/api/equipment', {
    code: 'PUMP-B1', name: 'Booster pump B1', type: 'pump', manufacturer: 'Grundfos', model: 'CR 10-4', serial: 'GF-2210-0042',
    buildingId, location: 'Basement pump room', installDate: '2021-03-01', warrantyUntil: '2027-03-01', parameters: { ratedKw: 7.5, flowM3h: 10 },
  });
  await manager.post('/api/pm/plans', { equipmentId: equipment.id, title: 'Quarterly seal and bearing check', kind: 'calendar', intervalDays: 90, nextDueAt: new Date(Date.now() - 3 * 86_400_000).toISOString() });
  const { workOrder } = await manager.post<{ workOrder: { id: number } }>('/api/work-orders', { kind: 'maintenance', title: 'Booster pump B1: seal leaking', priority: 'medium', trade: 'plumbing', buildingId });
  const token = (await (await fetch(`${sys.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'manager', password: sys.password('manager') }) })).json()) as { token: string };
  await fetch(`${sys.url}/api/work-orders/${workOrder.id}/equipment`, { method: 'PUT', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ equipmentId: equipment.id }) });
  await manager.post(`/api/work-orders/${workOrder.id}/parts`, { store: 'main', parts: [{ partCode: 'SEAL-25', qty: 1 }], note: 'seal replaced' });

  const office = await pageAs('clerk', `#/requests/${request.id}`);
  await shoot(office, '19-service-requests', `[data-testid="request-detail"][data-request-id="${request.id}"] [data-testid="request-timeline"]`, 'service desk: requests with one dispatched, its timeline and exception');
  await office.goto(`${sys.url}/#/requests/new`);
  await shoot(office, '20-service-phone-intake', '[data-testid="request-intake"]', 'service desk: phone intake');
  await office.goto(`${sys.url}/#/parts`);
  await shoot(office, '21-parts-stock', '[data-testid="stock-line"][data-low="true"]', 'spare parts: stock per store, low stock picked out');
  const owner = await pageAs('owner', '#/my-units');
  await shoot(owner, '22-owner-my-units', '[data-testid="my-unit"]', 'owner portal: my units');
  await owner.goto(`${sys.url}/#/my-requests/${request.id}`);
  await shoot(owner, '23-owner-my-requests', `[data-testid="my-request-detail"][data-request-id="${request.id}"]`, 'owner portal: my requests with live progress');
  const ledger = await pageAs('manager', `#/ledger/${equipment.id}`);
  await shoot(ledger, '24-equipment-ledger', `[data-testid="equipment-history-item"][data-wo-id="${workOrder.id}"]`, 'equipment ledger: the pump with its maintenance history');
  await ledger.goto(`${sys.url}/#/maintenance`);
  await shoot(ledger, '25-preventive-maintenance', '[data-testid="pm-row"]', 'preventive maintenance: plans, due and overdue');
}

/**
 * Forces a door of the demo estate (its ONVIF door simulator) once the registry knows a
 * camera covers it (so its snapshot becomes the evidence); resolves to the alarm raised.
 * Held open longer than the agent's 30 s state poll, so it is seen even if the door
 * panel's event subscription is not up yet this early after start.
 */
async function forceDoor(sys: E2eSystem, code: string): Promise<RaisedAlarm> {
  const door = await sys.device(code);
  const sim = sys.demo.onvif.doors.get(code);
  if (!sim) throw new Error(`no door simulator ${code}`);
  await waitFor(
    async () => (await sys.api('guard').get<{ doors: { id: number; coveredBy: unknown[] }[] }>('/api/doors')).doors.find((d) => d.id === door.id)?.coveredBy.length,
    `a camera covering ${code}`,
    15_000,
    200,
  );
  return sys.waitForAlarm(code, () => sim.controller.inject({ scenario: 'force', door: sim.token, durationSec: 40 }), 60_000);
}

async function main(): Promise<void> {
  console.log('Starting Warden on embedded defaults (fresh data folder, free ports) and Chromium...');
  [system, browser] = await Promise.all([startSystem({ name: 'warden-screenshots' }), launchChromium()]);
  const sys = system;
  console.log(`  hub at ${sys.url}, data in ${sys.dir}`);
  await fs.mkdir(outDir, { recursive: true });

  // An overheating pump motor heats with a ~90 s time constant (simulators' pump model), so its
  // alarm comes 1.5-2 minutes after the fault: started first, and the views that show it come last.
  const pumpAlarm = sys.raiseAlarm('pump-1', 'overheat', 240_000);
  pumpAlarm.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  const anonymous = await (await newSession(browser)).newPage();
  await anonymous.goto(`${sys.url}/`);
  await shoot(anonymous, '01-login', '[data-testid="login-form"]', 'sign-in page');
  await anonymous.context().close();

  console.log('Raising alarms through the simulated estate (water leak, smoke, lift breakdown; a pump overheating)...');
  const leak = await sys.raiseAlarm('b-leak-b1', 'leak');
  const smoke = await sys.raiseAlarm('a-smoke-b1', 'smoke');
  const lift = await sys.raiseAlarm('b-lift-1', 'breakdown');
  // A scene with some history: the smoke alarm acknowledged, the leak's work order under way.
  await sys.api('guard').post(`/api/alarms/${smoke.alarmId}/ack`, { disposition: 'real-fault', note: 'Guard on the way to the pump room.' });
  const leakWo = await sys.workOrderOf(leak.episodeId, (wo) => wo.status === 'assigned');
  await sys.api('technician').post(`/api/work-orders/${leakWo.id}/accept`);
  await sys.api('technician').post(`/api/work-orders/${leakWo.id}/start`, { note: 'On site.' });
  await sys.workOrderOf(lift.episodeId);
  // Someone forces the lobby door of building A: awaited with the pump, photographed after it.
  const forcedDoor = forceDoor(sys, 'a-door-lobby').catch((err: Error) => {
    missing.push(`26-alarm-evidence-door: no forced-door alarm (${err.message})`);
    return null;
  });

  // The guard's shift so far: a log entry and a handover waiting for the next guard.
  await sys.api('guard').post('/api/shift-log', { kind: 'note', text: 'Smoke in block A lobby: cooking, reset.' });
  await sys.api('guard').post('/api/shift-handovers', { notes: 'Plumber on site for the B1 leak; lobby door A watched.' });

  console.log(`Photographing the views into ${outDir}`);
  const guard = await pageAs('guard', '#/alarms');
  await shoot(guard, '02-guard-console-en', '[data-testid="alarm-row"]', 'guard alarm console (English)');
  await guard.getByTestId('language-switch').selectOption('zh-CN');
  await guard.locator('html[lang="zh-CN"]').waitFor({ timeout: 5_000 });
  await shoot(guard, '03-guard-console-zh', '[data-testid="alarm-row"]', 'guard alarm console (中文)');
  await guard.getByTestId('language-switch').selectOption('en');
  await guard.getByTestId('handover-view').first().click();
  await shoot(guard, '28-shift-handover-sheet', '[data-testid="handover-sheet"] [data-testid="handover-snapshot"]', 'a shift handover with its snapshot of the shift');
  await guard.getByTestId('handover-sheet-close').click();
  await guard.goto(`${sys.url}/#/alarms/${leak.alarmId}`);
  await shoot(guard, '04-alarm-detail', `[data-testid="alarm-detail"][data-alarm-id="${leak.alarmId}"] [data-testid="alarm-transitions"]`, 'alarm detail with its timeline and work order');
  await guard.goto(`${sys.url}/#/estate`);
  await shoot(guard, '05-estate-overview', '[data-testid="estate-building"], [data-testid="device-list"]', 'estate overview: buildings, floors, devices');

  const manager = await pageAs('manager', '#/work-orders');
  await shoot(manager, '06-work-order-board', '[data-testid="wo-board"] [data-testid="wo-row"]', 'work-order board');
  await manager.goto(`${sys.url}/#/overview`);
  await shoot(manager, '07-manager-overview', '[data-testid="kpi-alarms"]', 'manager overview: alarm and work-order KPIs');

  console.log('Waiting for the pump to overheat...');
  const pump: RaisedAlarm = await pumpAlarm;
  const pumpWo = await sys.workOrderOf(pump.episodeId);
  const technician = await pageAs('technician', '#/my-work-orders');
  await shoot(technician, '08-technician-work-orders', `[data-testid="wo-row"][data-wo-id="${pumpWo.id}"]`, "technician's work orders");
  await technician.goto(`${sys.url}/#/my-work-orders/${pumpWo.id}`);
  await shoot(technician, '09-work-order-detail-trend', `[data-testid="wo-detail"][data-wo-id="${pumpWo.id}"] [data-testid="wo-trend-chart"]`, "work order detail with the equipment's trend around the fault");

  await manager.goto(`${sys.url}/#/equipment/${pump.device.id}`);
  await manager.locator('[data-testid="device-detail"]').waitFor({ timeout: 15_000 }).catch(() => {});
  // The pump's motor temperature is the reading that raised the alarm: chart that one if offered.
  const motorTemp = manager.getByTestId('metric-row').filter({ hasText: 'motorTemp' }).getByTestId('metric-chart-button');
  if (await motorTemp.count()) await motorTemp.first().click();
  await shoot(manager, '10-equipment-history', '[data-testid="device-chart"] svg', 'equipment page with its history chart');
  await manager.getByTestId('history-range-24h').click().catch(() => {});
  await shoot(manager, '27-equipment-history-24h', '[data-testid="device-chart"][data-bucket="5m"] svg', 'the same chart over 24 hours in 5-minute buckets');
  await manager.goto(`${sys.url}/#/alarms`);
  const forced = await forcedDoor;
  if (forced) {
    await guard.goto(`${sys.url}/#/alarms/${forced.alarmId}`);
    const detail = `[data-testid="alarm-detail"][data-alarm-id="${forced.alarmId}"]`;
    // The snapshot is fetched from the camera after the alarm: wait for it (and the door's state) before photographing.
    const doorState = guard.locator(`${detail} [data-testid="door-controls"] [data-testid="door-state"]`).first();
    await doorState.waitFor({ timeout: 15_000 }).catch(() => {});
    // The detail panel scrolls on its own: bring the door controls up to just under the snapshot.
    await doorState.evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'end' })).catch(() => {});
    await shoot(guard, '26-alarm-evidence-door', `${detail} [data-testid="alarm-evidence"][data-evidence="present"] [data-testid="alarm-evidence-image"]`, "forced-door alarm with the lobby camera's snapshot and the door controls", 30_000);
  }
  await shoot(manager, '11-manager-console', `[data-testid="alarm-row"][data-alarm-id="${pump.alarmId}"]`, "the same alarms on a manager's console");
  await billingViews(sys);
  await officeViews(sys);
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(`screenshots failed: ${(err as Error).stack ?? err}`);
} finally {
  await stopAll();
}
if (missing.length) {
  console.error(`\nViews that never became ready — photographed as they were:\n${missing.map((m) => `  ${m}`).join('\n')}`);
}
console.log(`\n${taken.length} screenshots written${missing.length ? `, ${missing.length} not ready` : ''}.`);
console.log(outDir);
process.exit(failed || missing.length ? 1 : 0);

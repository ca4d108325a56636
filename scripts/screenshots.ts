/**
 * `npm run screenshots`: starts the whole system as `npm start` does, but on free ports
 * in a fresh temporary data folder; lets the simulated estate raise real alarms and work
 * orders (faults are injected through the agents so nothing waits for the demo scenario's
 * clock); photographs every main view of the dashboard in Debian's Chromium; stops
 * everything. The folder of the PNGs is the last line printed.
 *
 *   SCREENSHOTS_DIR   where to write (default: screenshots/<date-time>/, git-ignored)
 *   CHROMIUM_PATH     the browser (default /usr/bin/chromium)
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, login, newSession, screenshot } from '../e2e/support/browser.js';
import { startSystem, type DemoRole, type E2eSystem, type RaisedAlarm } from '../e2e/support/system.js';

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
async function shoot(page: Page, name: string, ready: string | null, what: string): Promise<void> {
  if (ready) {
    try {
      await page.locator(ready).first().waitFor({ timeout: 15_000 });
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
  await sys.api('guard').post(`/api/alarms/${smoke.alarmId}/ack`, { disposition: 'investigating', note: 'Guard on the way to the pump room.' });
  const leakWo = await sys.workOrderOf(leak.episodeId, (wo) => wo.status === 'assigned');
  await sys.api('technician').post(`/api/work-orders/${leakWo.id}/accept`);
  await sys.api('technician').post(`/api/work-orders/${leakWo.id}/start`, { note: 'On site.' });
  await sys.workOrderOf(lift.episodeId);

  console.log(`Photographing the views into ${outDir}`);
  const guard = await pageAs('guard', '#/alarms');
  await shoot(guard, '02-guard-console-en', '[data-testid="alarm-row"]', 'guard alarm console (English)');
  await guard.getByTestId('language-switch').selectOption('zh-CN');
  await guard.locator('html[lang="zh-CN"]').waitFor({ timeout: 5_000 });
  await shoot(guard, '03-guard-console-zh', '[data-testid="alarm-row"]', 'guard alarm console (中文)');
  await guard.getByTestId('language-switch').selectOption('en');
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
  await manager.goto(`${sys.url}/#/alarms`);
  await shoot(manager, '11-manager-console', `[data-testid="alarm-row"][data-alarm-id="${pump.alarmId}"]`, "the same alarms on a manager's console");
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
  console.log(`\nViews not (fully) there yet — photographed as they are:\n${missing.map((m) => `  ${m}`).join('\n')}`);
}
console.log(`\n${taken.length} screenshots written.`);
console.log(outDir);
process.exit(failed ? 1 : 0);

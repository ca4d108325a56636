import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

/**
 * The billing pages (issue 8) in Debian's Chromium against the system as `npm start`
 * runs it. The demo office (hub/src/demo-office.ts) brings the units, owners, fee
 * schedule and the simulated meters linked to their flats; the demo `owner` login holds
 * flat 0301 of the first building. A clerk runs the month's bills from the page (the
 * meter readings checked and settled first), takes a part payment and hands over the
 * receipt; the owner sees only their own bills and downloads the receipt. Screenshots
 * go to e2e/.artifacts/.
 */

interface Reading {
  id: number;
  unitId: number | null;
  consumption: string | null;
  status: string;
}

interface Bill {
  id: number;
  number: string;
  unitId: number;
  outstandingFen: number;
}

/** The month the estate is in (Asia/Shanghai, as the browser sessions are). */
function currentPeriod(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
}

describe('billing pages in a real browser', () => {
  let system: E2eSystem;
  let buildingId: string;
  let ownerUnitId: number;
  const period = currentPeriod();

  const openPage = systemAndBrowser({ name: 'warden-e2e-billing', pagePrefix: 'billing-' }, (s) => {
    system = s;
  });

  beforeAll(async () => {
    const { rows } = await system.hub.db.query<{ unit_id: string; building_id: string }>(
      `SELECT c.unit_id, u.building_id FROM current_unit_owners c JOIN owners o ON o.id = c.owner_id JOIN users us ON us.id = o.user_id JOIN units u ON u.id = c.unit_id
        WHERE us.username = 'owner' ORDER BY c.unit_id LIMIT 1`,
    );
    expect(rows, 'the demo owner login holds a flat').toHaveLength(1);
    ownerUnitId = Number(rows[0].unit_id);
    buildingId = rows[0].building_id;
  }, 180_000);

  /**
   * What the office would settle before billing, except the one reading the test settles
   * in the browser: every other flagged reading of the building confirmed, or corrected to
   * a plausible consumption where the check found none.
   */
  async function settleReadingsExcept(readingId: number | null): Promise<void> {
    const clerk = system.api('clerk');
    const { readings } = await clerk.get<{ readings: Reading[] }>(`/api/billing/readings?period=${period}&building=${buildingId}&status=flagged`);
    for (const r of readings.filter((reading) => reading.id !== readingId)) {
      if (r.consumption !== null && !r.consumption.startsWith('-')) await clerk.post(`/api/billing/readings/${r.id}/confirm`, { reason: 'checked on site' });
      else await clerk.post(`/api/billing/readings/${r.id}/correct`, { consumption: '8', reason: 'read on site' });
    }
  }

  /** The owner's bill of the month: made by the clerk's test in the browser, or here through the API when the owner's test runs on its own (`-t`). */
  async function ownersBill(): Promise<Bill> {
    const clerk = system.api('clerk');
    const find = async () => (await clerk.get<{ bills: Bill[] }>(`/api/billing/bills?unit=${ownerUnitId}&period=${period}`)).bills[0];
    const existing = await find();
    if (existing) return existing;
    await clerk.post('/api/billing/readings/check', { period, buildingId });
    await settleReadingsExcept(null);
    await clerk.post('/api/billing/runs', { period, buildingId });
    return (await find())!;
  }

  /** Fetches a link's target in the page's session, as a click would; the status, type and first bytes. */
  async function fetchLink(page: Page, href: string): Promise<{ status: number; type: string; head: string }> {
    return page.evaluate(async (url) => {
      const res = await fetch(url);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, type: res.headers.get('content-type') ?? '', head: String.fromCharCode(...bytes.slice(0, 5)) };
    }, href);
  }

  it('lets a clerk check the readings, run the bills, take a part payment and hand over the receipt', async () => {
    const page = await openPage('clerk');
    await login(page, system, 'clerk', '#/billing/runs');
    await page.getByTestId('billing-runs').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('run-period').inputValue()).toBe(period);
    await page.getByTestId('run-building').selectOption(buildingId);

    // 1. The check reads the meters' telemetry; the demo's meters have no reading at the month's start (the demo began since), so they are flagged.
    await page.getByTestId('run-check-button').click();
    await page.getByTestId('run-check-result').waitFor({ timeout: 15_000 });
    const flagged = Number(await page.getByTestId('run-check-result').getAttribute('data-flagged'));
    const { readings } = await system.api('clerk').get<{ readings: Reading[] }>(`/api/billing/readings?period=${period}&building=${buildingId}&status=flagged`);
    expect(readings.length).toBe(flagged);
    const ownersReading = readings.find((r) => r.unitId === ownerUnitId);
    expect(ownersReading, "the owner's flat has a flagged water reading").toBeDefined();
    await settleReadingsExcept(ownersReading!.id);
    await screenshot(page, 'billing-readings-flagged');

    // The owner's water reading is corrected on the page, with a reason.
    const row = page.locator(`[data-testid="reading-row"][data-reading-id="${ownersReading!.id}"]`);
    await waitForAttribute(row, 'data-status', 'flagged');
    await row.getByTestId('reading-correct').click();
    await page.getByTestId('reading-correct-consumption').fill('12.5');
    await page.getByTestId('reading-correct-reason').fill('Meter installed mid-month; read on site');
    await page.getByTestId('reading-correct-submit').click();
    await waitForAttribute(row, 'data-status', 'corrected', 10_000);

    // 2. The preview blocks nothing now; 3. the run makes the bills.
    await page.getByTestId('run-preview-button').click();
    await page.getByTestId('run-preview-result').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('run-preview-blocked').locator('.kpi-tile__value').textContent()).toBe('0');
    const drafted = Number(await page.getByTestId('run-preview-bills').locator('.kpi-tile__value').textContent());
    expect(drafted).toBeGreaterThan(0);
    await screenshot(page, 'billing-run-preview');
    await page.getByTestId('run-start-button').click();
    const result = page.getByTestId('run-result');
    await waitForAttribute(result, 'data-status', 'done', 30_000);
    expect(await result.textContent()).toContain(`${drafted} `);
    await page.locator(`[data-testid="run-row"][data-run-id="${await result.getAttribute('data-run-id')}"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'billing-run-done');

    const bill = await ownersBill();
    expect(bill.outstandingFen).toBeGreaterThan(20_000);

    // The payment desk: the owner's flat found by its number, a part payment in yuan.
    await page.getByTestId('billing-tab-payments').click();
    await page.getByTestId('payment-unit-search').fill('0301');
    await page.locator(`[data-testid="payment-unit-search-match"][data-id="${ownerUnitId}"]`).click();
    const owing = page.locator(`[data-testid="payment-owing-row"][data-bill-id="${bill.id}"]`).getByTestId('payment-owing-outstanding');
    await waitForAttribute(owing, 'data-fen', String(bill.outstandingFen), 10_000);
    await page.getByTestId('payment-amount').fill('1,00.5');
    await page.getByTestId('payment-submit').click();
    expect(await page.getByTestId('payment-amount-error').textContent()).toMatch(/amount such as/);
    await page.getByTestId('payment-amount').fill('100.5');
    expect(await page.getByTestId('payment-amount-preview').textContent()).toContain('¥100.50');
    await page.getByTestId('payment-method').selectOption('cash');
    // A double click records one payment: one idempotency key per opened form.
    await page.getByTestId('payment-submit').dblclick();
    const paid = page.getByTestId('payment-result');
    await paid.waitFor({ timeout: 10_000 });
    expect(await paid.textContent()).toContain('¥100.50');
    const { rows } = await system.hub.db.query<{ n: string; fen: string }>(`SELECT count(*)::text AS n, coalesce(sum(amount_fen), 0)::text AS fen FROM payments WHERE unit_id = $1`, [ownerUnitId]);
    expect(rows[0]).toEqual({ n: '1', fen: '10050' });

    // What is still owed went down by exactly the payment.
    await waitForAttribute(owing, 'data-fen', String(bill.outstandingFen - 10_050), 10_000);
    expect(await owing.textContent()).toMatch(/^¥[\d,]+\.\d{2}$/);
    const receiptLink = page.getByTestId('payment-receipt-pdf');
    const href = (await receiptLink.getAttribute('href'))!;
    expect(href).toMatch(/^\/api\/billing\/receipts\/\d+\/pdf\?token=/);
    const pdf = await fetchLink(page, href);
    expect(pdf).toMatchObject({ status: 200, type: 'application/pdf', head: '%PDF-' });
    await page.locator('[data-testid="receipt-row"]').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'billing-payment-receipt');

    // The bill shows the payment among its ledger entries.
    await page.locator(`[data-testid="payment-owing-row"][data-bill-id="${bill.id}"] button`).click();
    const detail = page.locator(`[data-testid="bill-detail"][data-bill-id="${bill.id}"]`);
    await waitForAttribute(detail, 'data-status', 'partial', 10_000);
    await detail.locator('[data-testid="bill-entry"][data-kind="payment"]').waitFor({ timeout: 5_000 });
    expect(await detail.getByTestId('bill-detail-outstanding').getAttribute('data-fen')).toBe(String(bill.outstandingFen - 10_050));
    await screenshot(page, 'billing-bill-detail');
  });

  it('shows the owner only their own bills and lets them download a receipt, in English and Chinese', async () => {
    const bill = await ownersBill();
    const { receipts } = await system.api('clerk').get<{ receipts: { id: number; unitId: number }[] }>(`/api/billing/receipts?unit=${ownerUnitId}`);
    if (receipts.length === 0) {
      await system.api('clerk').post('/api/billing/payments', { unitId: ownerUnitId, amountFen: 10_050, method: 'cash', idempotencyKey: `e2e-${Date.now()}` });
    }
    const page = await openPage('owner');
    await login(page, system, 'owner', '#/my-bills');
    await page.getByTestId('my-bills-page').waitFor({ timeout: 10_000 });
    const rows = page.getByTestId('bill-row');
    await rows.first().waitFor({ timeout: 10_000 });
    const units = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-unit-id')));
    expect(new Set(units)).toEqual(new Set([String(ownerUnitId)]));
    expect(await page.locator(`[data-testid="bill-row"][data-bill-id="${bill.id}"]`).count()).toBe(1);

    // The receipt, downloaded as the owner.
    const receipt = page.getByTestId('receipt-row').first();
    await receipt.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('receipt-row').count()).toBe(1);
    const pdf = await fetchLink(page, (await receipt.getByTestId('receipt-pdf').getAttribute('href'))!);
    expect(pdf).toMatchObject({ status: 200, type: 'application/pdf', head: '%PDF-' });
    await page.locator(`[data-testid="bill-row"][data-bill-id="${bill.id}"]`).click();
    await page.locator(`[data-testid="bill-detail"][data-bill-id="${bill.id}"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'billing-owner-my-bills');

    // The owner records a WeChat payment they made; a reference is required for it.
    const owedBefore = Number(await page.getByTestId('my-bills-owed').getAttribute('data-fen'));
    await page.locator(`[data-testid="my-bills-pay"][data-unit-id="${ownerUnitId}"]`).click();
    const form = page.getByTestId('payment-form');
    expect(await form.getByTestId('payment-method').locator('option').evaluateAll((options) => options.map((o) => o.getAttribute('value')))).toEqual(['wechat', 'alipay', 'bank_transfer']);
    await form.getByTestId('payment-amount').fill('50');
    await form.getByTestId('payment-submit').click();
    expect(await form.getByTestId('payment-amount-error').textContent()).toMatch(/transaction reference/);
    await form.getByTestId('payment-reference').fill('WX4200009876');
    await form.getByTestId('payment-submit').click();
    await page.getByTestId('payment-result').getByTestId('payment-receipt-pdf').waitFor({ timeout: 10_000 });
    await waitForAttribute(page.getByTestId('my-bills-owed'), 'data-fen', String(owedBefore - 5_000), 10_000);
    await page.locator('[data-testid="receipt-row"]').nth(1).waitFor({ timeout: 10_000 });
    await screenshot(page, 'billing-owner-payment');

    await page.getByTestId('language-switch').selectOption('zh-CN');
    await page.getByTestId('my-receipts').getByText('我的收据', { exact: true }).waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('page-title').textContent()).toBe('我的账单');
    expect(await page.locator(`[data-testid="bill-row"][data-bill-id="${bill.id}"] [data-testid="bill-status"]`).textContent()).toMatch(/部分已缴|未缴/);
    await screenshot(page, 'billing-owner-my-bills-chinese');
  });
});

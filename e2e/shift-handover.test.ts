import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../hub/test/support/wait.js';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

/**
 * The structured shift handover across two guards' consoles, in Debian's Chromium
 * against the system as `npm start` runs it: the outgoing guard logs a note and starts a
 * handover; the incoming guard's console shows it live and accepts it; the outgoing
 * guard's console shows the acceptance live; the printable sheet shows the record.
 */
describe('shift handover in a real browser', () => {
  let system: E2eSystem;
  const incoming = { username: 'guard-night', displayName: 'Night Guard', password: 'night-guard-password-1' };

  const openPage = systemAndBrowser({ pagePrefix: 'handover-' }, (s) => {
    system = s;
  });

  beforeAll(async () => {
    // The incoming shift: a second guard, estate-wide like the demo guard.
    await system.hub.auth.createUser({ ...incoming, role: 'guard' }, 'e2e');
  }, 120_000);

  /** Signs in with an account that is not one of the demo roles. */
  const loginAs = async (page: Page, account: typeof incoming) => {
    await page.goto(`${system.url}/`);
    await page.getByTestId('login-username').fill(account.username);
    await page.getByTestId('login-password').fill(account.password);
    await page.getByTestId('login-submit').click();
    await page.locator('[data-testid="current-user"][data-role="guard"]').waitFor({ timeout: 15_000 });
  };

  const consoleReady = async (page: Page) => {
    await page.getByTestId('alarm-console').waitFor({ timeout: 15_000 });
    await waitForAttribute(page.getByTestId('live-indicator'), 'data-state', 'connected', 10_000);
    await page.getByTestId('handover-panel').waitFor({ timeout: 10_000 });
  };

  it('hands a shift over from one guard to another, live on both consoles', async () => {
    const outgoingPage = await openPage('outgoing');
    const incomingPage = await openPage('incoming');
    await login(outgoingPage, system, 'guard');
    await loginAs(incomingPage, incoming);
    await Promise.all([consoleReady(outgoingPage), consoleReady(incomingPage)]);
    // The incoming console has loaded its (empty) list: anything it shows from now on came live.
    await incomingPage.getByTestId('handover-panel').getByText('No handover waiting.').waitFor({ timeout: 10_000 });

    // A free-text log entry still works beside the handover.
    const noteText = `Car park barrier stuck open at ${new Date().toISOString()}`;
    await outgoingPage.getByTestId('shift-log-input').fill(noteText);
    await outgoingPage.getByTestId('shift-log-submit').click();
    await outgoingPage.getByTestId('shift-log-entry').filter({ hasText: noteText }).waitFor({ timeout: 10_000 });
    await incomingPage.getByTestId('shift-log-entry').filter({ hasText: noteText }).waitFor({ timeout: 10_000 });

    // The outgoing guard starts the handover: the preview shows what will be handed over.
    await outgoingPage.getByTestId('handover-start').click();
    const form = outgoingPage.getByTestId('handover-start-form');
    await form.getByTestId('handover-snapshot').waitFor({ timeout: 10_000 });
    const notes = 'Barrier technician booked for 08:00. Keys for plant room B returned.';
    await form.getByTestId('handover-notes').fill(notes);
    await screenshot(outgoingPage, 'handover-start-form');
    const startedAt = Date.now();
    await form.getByTestId('handover-submit').click();

    const mine = outgoingPage.getByTestId('handover-pending').first();
    await mine.waitFor({ timeout: 10_000 });
    const id = Number(await mine.getAttribute('data-handover-id'));
    expect(id).toBeGreaterThan(0);
    // The person handing over cannot accept their own handover.
    expect(await mine.getByTestId('handover-accept').count()).toBe(0);

    // The incoming console shows it without a reload, with the notes.
    const theirs = incomingPage.locator(`[data-testid="handover-pending"][data-handover-id="${id}"]`);
    await theirs.waitFor({ timeout: 5_000 });
    const shownAfterMs = Date.now() - startedAt;
    expect(shownAfterMs).toBeLessThan(5_000);
    await expect(theirs.textContent()).resolves.toContain(notes);
    await screenshot(incomingPage, 'handover-pending-incoming');

    await theirs.getByTestId('handover-accept').click();
    await theirs.getByTestId('handover-remark').fill('Taken over, barrier noted.');
    await theirs.getByTestId('handover-accept-confirm').click();

    // Both consoles show it accepted, the outgoing one live.
    for (const page of [incomingPage, outgoingPage]) {
      await page.locator(`[data-testid="handover-accepted"][data-handover-id="${id}"]`).waitFor({ timeout: 5_000 });
      expect(await page.locator(`[data-testid="handover-pending"][data-handover-id="${id}"]`).count()).toBe(0);
    }
    const accepted = outgoingPage.locator(`[data-testid="handover-accepted"][data-handover-id="${id}"]`);
    await expect(accepted.textContent()).resolves.toContain('Night Guard');

    // What the hub recorded: who, when, the remark, the snapshot, and the audit trail.
    const row = await waitFor(
      async () =>
        (await system.hub.db.query<{ outgoing_name: string; incoming_name: string | null; accept_remark: string | null; notes: string; accepted_at: Date | null }>(
          'SELECT outgoing_name, incoming_name, accept_remark, notes, accepted_at FROM shift_handovers WHERE id = $1',
          [id],
        )).rows[0],
      'the handover row',
    );
    expect(row).toMatchObject({ incoming_name: 'Night Guard', accept_remark: 'Taken over, barrier noted.', notes });
    expect(row.accepted_at).not.toBeNull();
    const audit = await system.hub.db.query<{ actor: string; action: string }>(`SELECT actor, action FROM audit_log WHERE target_type = 'shift_handover' AND target_id = $1 ORDER BY id`, [String(id)]);
    expect(audit.rows).toEqual([
      { actor: 'guard', action: 'handover.start' },
      { actor: incoming.username, action: 'handover.accept' },
    ]);

    // The printable sheet of the record.
    await accepted.getByTestId('handover-view').click();
    const sheet = outgoingPage.getByTestId('handover-sheet');
    await waitForAttribute(sheet, 'data-status', 'accepted', 5_000);
    await sheet.getByTestId('handover-snapshot').waitFor({ timeout: 5_000 });
    await expect(sheet.getByTestId('handover-sheet-notes').textContent()).resolves.toBe(notes);
    await expect(sheet.getByTestId('handover-sheet-incoming').textContent()).resolves.toContain('Night Guard');
    await screenshot(outgoingPage, 'handover-accepted-sheet');
  });
});

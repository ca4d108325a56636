import { beforeAll, describe, expect, it } from 'vitest';
import { login, screenshot, waitForAttribute } from './support/browser.js';
import type { E2eSystem } from './support/system.js';
import { systemAndBrowser } from './support/suite.js';

/**
 * Periodic satisfaction surveys (issue 7) in Debian's Chromium against the system as
 * `npm start` runs it: a manager starts a survey of the whole demo estate on the page,
 * the demo `owner` (flat 0301) answers it once on their portal, and the manager reads
 * the answer in the results and writes a staff review. Screenshots go to e2e/.artifacts/.
 */

interface Campaign {
  id: number;
  title: string;
}

const TITLE = 'Quarterly satisfaction survey';
const COMMENT = 'The lobby is spotless; lifts are slow in the morning.';
/** The owner's scores per dimension, as picked on the page. */
const SCORES = { overall: 4, cleanliness: 5, security: 4, maintenance: 2, staff_attitude: 5 } as const;

describe('periodic satisfaction surveys in a real browser', () => {
  let system: E2eSystem;
  /** The demo owner's flat's building: where their answer is counted. */
  let ownerBuilding: string;

  const openPage = systemAndBrowser({ name: 'warden-e2e-surveys', pagePrefix: 'surveys-' }, (s) => {
    system = s;
  });

  beforeAll(async () => {
    const { rows } = await system.hub.db.query<{ building_id: string }>(
      `SELECT u.building_id FROM owners o JOIN users l ON l.id = o.user_id JOIN current_unit_owners c ON c.owner_id = o.id JOIN units u ON u.id = c.unit_id
        WHERE l.username = 'owner' AND u.number = '0301'`,
    );
    if (!rows.length) throw new Error('the demo office gave the owner login no flat 0301');
    ownerBuilding = rows[0].building_id;
  }, 180_000);

  // The estate survey: started on the page by the first test, or through the API when a
  // later test runs on its own (`-t`).
  let started: Promise<Campaign> | undefined;
  const campaign = () => (started ??= system.api('manager').post<{ campaign: Campaign }>('/api/service/campaigns', { title: TITLE, period: quarterNow() }).then((r) => r.campaign));
  let answered: Promise<void> | undefined;
  const ownerAnswered = async () => {
    const { id } = await campaign();
    await (answered ??= system.api('owner').post(`/api/service/campaigns/${id}/answer`, { scores: SCORES, comment: COMMENT }).then(() => undefined));
  };

  it('lets a manager start a survey of the whole estate', async () => {
    const page = await openPage('manager-create');
    await login(page, system, 'manager', '#/surveys');
    await page.getByTestId('campaign-form').waitFor({ timeout: 10_000 });
    await page.getByTestId('campaign-title').fill(TITLE);
    // The period offered is the current quarter, the scope the whole estate.
    expect(await page.getByTestId('campaign-period').inputValue()).toBe(quarterNow());
    expect(await page.getByTestId('campaign-scope').inputValue()).toBe('');
    // A typo in the period is caught by the field before anything is sent.
    await page.getByTestId('campaign-period').fill('2026-Q5');
    await page.locator('[data-testid="campaign-field-error"][data-field="period"]').waitFor();
    await page.getByTestId('campaign-period').fill(quarterNow());
    await screenshot(page, 'surveys-manager-new-campaign');
    await page.getByTestId('campaign-submit').click();

    const created = page.getByTestId('campaign-created');
    await created.waitFor({ timeout: 10_000 });
    const id = Number(await created.getAttribute('data-campaign-id'));
    expect(id).toBeGreaterThan(0);
    const row = page.locator(`[data-testid="campaign-row"][data-campaign-id="${id}"]`);
    await waitForAttribute(row, 'data-answered', '0', 10_000);
    await waitForAttribute(page.getByTestId('campaign-results'), 'data-answered', '0', 10_000);

    // The hub agrees: an estate-wide survey asking every dimension, the owner among those invited.
    const { rows } = await system.hub.db.query<{ building_id: string | null; title: string; dimensions: string[]; period: string }>('SELECT building_id, title, dimensions, period FROM survey_campaigns WHERE id = $1', [id]);
    expect(rows[0]).toMatchObject({ building_id: null, title: TITLE, period: quarterNow(), dimensions: Object.keys(SCORES) });
    const mine = await system.api('owner').get<{ campaigns: { id: number; answeredAt: string | null }[] }>('/api/service/my-campaigns');
    expect(mine.campaigns).toContainEqual(expect.objectContaining({ id, answeredAt: null }));
    started = Promise.resolve({ id, title: TITLE });
    await screenshot(page, 'surveys-manager-campaign-started');
  });

  it('lets the owner answer the survey once on their portal', async () => {
    const { id } = await campaign();
    const page = await openPage('owner-answer');
    await login(page, system, 'owner');
    await page.getByTestId('nav-my-surveys').click();
    const card = page.locator(`[data-testid="my-survey"][data-campaign-id="${id}"]`);
    await waitForAttribute(card, 'data-answered', 'false', 10_000);

    // Half filled in: the dimensions left are named by their fields, nothing is sent.
    await card.getByTestId('my-survey-score-overall-4').check();
    await card.getByTestId('my-survey-submit').click();
    await card.locator('[data-testid="my-survey-field-error"][data-field="scores.security"]').waitFor();
    expect(await card.locator('[data-testid="my-survey-field-error"][data-field="scores.overall"]').count()).toBe(0);
    await screenshot(page, 'surveys-owner-missing-scores');

    for (const [dimension, score] of Object.entries(SCORES)) await card.getByTestId(`my-survey-score-${dimension}-${score}`).check();
    // The scores are an accessible radio group per dimension.
    expect(await card.getByRole('radiogroup').count()).toBe(Object.keys(SCORES).length);
    await card.getByTestId('my-survey-comment').fill(COMMENT);
    await card.getByTestId('my-survey-submit').click();
    await waitForAttribute(card, 'data-answered', 'true', 10_000);
    await card.getByTestId('my-survey-answered').waitFor();
    expect(await card.getByTestId('my-survey-form').count()).toBe(0);
    answered = Promise.resolve();
    await screenshot(page, 'surveys-owner-answered');

    // Once: a second answer is refused, and after a reload the page still shows it answered.
    const again = await system.api('owner').send('POST', `/api/service/campaigns/${id}/answer`, { scores: { ...SCORES, overall: 1 } });
    expect(again.status).toBe(409);
    await page.reload();
    await waitForAttribute(page.locator(`[data-testid="my-survey"][data-campaign-id="${id}"]`), 'data-answered', 'true', 10_000);
    const { rows } = await system.hub.db.query<{ dimension: string; score: number }>('SELECT dimension, score FROM survey_answer_scores WHERE campaign_id = $1', [id]);
    expect(Object.fromEntries(rows.map((r) => [r.dimension, r.score]))).toEqual(SCORES);
  });

  it("shows the manager the owner's answer in the results, and takes a staff review", async () => {
    const { id } = await campaign();
    await ownerAnswered();
    const page = await openPage('manager-results');
    await login(page, system, 'manager', `#/surveys/${id}`);
    const results = page.getByTestId('campaign-results');
    await waitForAttribute(results, 'data-answered', '1', 10_000);
    await waitForAttribute(page.getByTestId('campaign-by-dimension'), 'data-rows', String(Object.keys(SCORES).length), 10_000);
    await waitForAttribute(page.getByTestId(`campaign-building-${ownerBuilding}`), 'data-rows', String(Object.keys(SCORES).length), 10_000);
    expect(await page.getByTestId('campaign-comments').textContent()).toContain(COMMENT);
    await waitForAttribute(page.locator(`[data-testid="campaign-row"][data-campaign-id="${id}"]`), 'data-answered', '1', 10_000);
    await screenshot(page, 'surveys-manager-results');

    // Staff evaluation for the quarter: a written review of the first member of staff.
    const row = page.getByTestId('staff-row').first();
    await row.waitFor({ timeout: 10_000 });
    const staffId = Number(await row.getAttribute('data-staff-id'));
    await row.getByTestId('staff-review-open').click();
    await row.getByTestId('staff-review-rating').selectOption('4');
    await row.getByTestId('staff-review-comment').fill('Handled the lift complaints patiently.');
    await row.getByTestId('staff-review-submit').click();
    await row.getByTestId('staff-review').filter({ hasText: 'Handled the lift complaints patiently.' }).waitFor({ timeout: 10_000 });
    const { rows } = await system.hub.db.query<{ rating: number; period: string }>('SELECT rating, period FROM staff_reviews WHERE staff_id = $1', [staffId]);
    expect(rows).toEqual([{ rating: 4, period: quarterNow() }]);
    await screenshot(page, 'surveys-manager-staff-review');
  });
});

/** The current quarter as the hub labels it (UTC), e.g. '2026-Q4'. */
function quarterNow(): string {
  const now = new Date();
  return `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
}

import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import type { DemoRole, E2eSystem } from './system.js';

/** Debian's Chromium (`apt-get install chromium`, see .ci/run); never a browser downloaded by Playwright. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests write their screenshots (git-ignored). */
export const E2E_ARTIFACTS = path.resolve(import.meta.dirname, '..', '.artifacts');

export const VIEWPORT = { width: 1440, height: 900 };

/**
 * Launches Chromium headless. `launch` gives every run a fresh temporary profile
 * (user-data-dir) that is deleted on close; each context is a separate, empty session
 * (its own storage), as two people on two machines.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright's own signal handlers close the browser and then exit the process at once,
    // cutting short the caller's shutdown (the hub, its agents, the temporary folder).
    // Callers close the browser themselves; it runs in its own process group, so a Ctrl-C
    // to the terminal's group does not reach it.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A new browser session (English unless told otherwise; the dashboard follows the browser's language until switched). */
export function newSession(browser: Browser, locale = 'en-US'): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, locale, timezoneId: 'Asia/Shanghai' });
}

/**
 * Opens pages for a test file: each in a new browser session that ends with the test
 * calling it, photographed first (`failed-<prefix><name>`) if that test failed. The
 * sessions are also kept in `sessions` for the file's afterAll, should a test not end.
 */
export function pageOpener(browser: () => Browser, sessions: BrowserContext[], prefix = ''): (name: string, locale?: string) => Promise<Page> {
  return async (name, locale) => {
    const session = await newSession(browser(), locale);
    sessions.push(session);
    const page = await session.newPage();
    onTestFinished(async ({ task }) => {
      if (task.result?.state === 'fail') await screenshot(page, `failed-${prefix}${name}`).catch(() => {});
      await session.close().catch(() => {});
    });
    return page;
  };
}

/** Opens the dashboard and signs in with the role's demo account; resolves once the app shell shows that user. */
export async function login(page: Page, system: E2eSystem, role: DemoRole, hash = ''): Promise<void> {
  await page.goto(`${system.url}/${hash}`);
  await page.getByTestId('login-username').fill(role);
  await page.getByTestId('login-password').fill(system.password(role));
  await page.getByTestId('login-submit').click();
  await page.locator(`[data-testid="current-user"][data-role="${role}"]`).waitFor({ timeout: 15_000 });
}

/** Saves a full-page PNG as `<dir>/<name>.png`; resolves to its path. */
export async function screenshot(page: Page, name: string, dir = E2E_ARTIFACTS): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  // From the top, so the sticky header sits where a user sees it rather than where the last click scrolled to.
  await page.evaluate('window.scrollTo(0, 0)');
  // A full-page photo shows what lies below the fold too: parts the page leaves unpainted
  // until scrolled to (content-visibility: auto, e.g. the console's estate) are painted.
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', style: '* { content-visibility: visible !important; }' });
  return file;
}

/**
 * From now on, notes in the page the wall-clock time (Date.now(), the same clock as the
 * test's) at which each element matching `selector` first appears, keyed by its `key`
 * attribute: the moment a user could see it, not the moment a test got round to looking.
 * Written as a string because the DOM types are not part of the Node project.
 */
export async function recordAppearances(page: Page, selector: string, key: string): Promise<void> {
  await page.evaluate(`(() => {
    const seen = (window.__wardenSeen ??= {});
    const note = () => {
      for (const el of document.querySelectorAll(${JSON.stringify(selector)})) {
        const k = el.getAttribute(${JSON.stringify(key)});
        if (k !== null && !(k in seen)) seen[k] = Date.now();
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: [${JSON.stringify(key)}] });
  })()`);
}

/** When the element keyed `value` first appeared (see recordAppearances). */
export async function appearedAt(page: Page, value: string): Promise<number | undefined> {
  return page.evaluate(`(window.__wardenSeen ?? {})[${JSON.stringify(value)}]`);
}

/**
 * The element itself or one inside it carrying `attribute="value"`: a view may put
 * `data-state` on the row or on a badge within it.
 */
export function withAttribute(scope: Locator, attribute: string, value: string): Locator {
  const selector = `[${attribute}="${value}"]`;
  return scope.and(scope.page().locator(selector)).or(scope.locator(selector)).first();
}

/** Waits until `scope` (or an element in it) has `attribute="value"`; the error says what it had instead. */
export async function waitForAttribute(scope: Locator, attribute: string, value: string, timeout = 5_000): Promise<void> {
  try {
    await withAttribute(scope, attribute, value).waitFor({ timeout });
  } catch (err) {
    const seen = await attributesIn(scope.first(), attribute).catch(() => ['(element not found)']);
    throw new Error(`${attribute}="${value}" not seen within ${timeout} ms (had: ${JSON.stringify(seen)})`, { cause: err });
  }
}

/** The attribute's values on the element and on the elements inside it that carry it, for error messages. */
async function attributesIn(element: Locator, attribute: string): Promise<(string | null)[]> {
  const values = [await element.getAttribute(attribute, { timeout: 1_000 })];
  for (const inner of await element.locator(`[${attribute}]`).all()) values.push(await inner.getAttribute(attribute));
  return values;
}

/**
 * Clicks the control `testId` of an item: the one inside the item if the view puts it
 * there (a button per row), else the item is opened first and the control is found on
 * the page (a detail panel).
 */
export async function clickControl(page: Page, item: Locator, testId: string, timeout = 5_000): Promise<void> {
  const inside = item.getByTestId(testId);
  if ((await inside.count()) > 0) {
    await inside.first().click({ timeout });
    return;
  }
  if ((await page.getByTestId(testId).count()) === 0) await item.first().click({ timeout });
  await page.getByTestId(testId).first().click({ timeout });
}

/** Picks a value in a `<select>` (the first real option) or types one into a text field. */
export async function chooseOrType(field: Locator, text: string): Promise<void> {
  const tag = await field.evaluate((el) => el.tagName.toLowerCase());
  if (tag === 'select') {
    const values: string[] = [];
    for (const option of await field.locator('option').all()) {
      const value = await option.getAttribute('value');
      if (value) values.push(value);
    }
    if (!values.length) throw new Error('the select has no option to choose');
    await field.selectOption(values[0]);
  } else {
    await field.fill(text);
  }
}

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, pageOpener } from './browser.js';
import { startSystem, type E2eSystem, type StartSystemOptions } from './system.js';

export interface SuiteOptions extends StartSystemOptions {
  /** Prefix of the failure screenshots of this file's pages. */
  pagePrefix?: string;
}

/**
 * A browser test file's set-up: before its tests, the whole system (as `npm start` runs it,
 * on free ports in a fresh folder, handed to `ready`) and Debian's Chromium, started
 * together; after them, every page session, the browser and the system stopped, whatever
 * failed. Returns the file's page opener (see pageOpener).
 */
export function systemAndBrowser(options: SuiteOptions, ready: (system: E2eSystem) => void): (name: string, locale?: string) => Promise<Page> {
  const { pagePrefix, ...start } = options;
  let system: E2eSystem | undefined;
  let browser: Browser | undefined;
  const sessions: BrowserContext[] = [];

  beforeAll(async () => {
    // Started together: the dashboard build and the system do not depend on the browser.
    const [started, launched] = await Promise.allSettled([startSystem(start), launchChromium()]);
    if (started.status === 'fulfilled') system = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    ready(system!);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(sessions.map((s) => s.close()));
    await browser?.close().catch(() => {});
    await system?.stop();
  }, 60_000);

  return pageOpener(() => browser!, sessions, pagePrefix);
}

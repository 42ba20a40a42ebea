/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for the UI tests. Headless
 * with the flags of DESIGN.md §8 (no sandbox as root, no GPU, no QUIC, no background traffic:
 * the browser talks only to the loopback servers under test). `openBrowser(t)` registers the
 * browser's close with the test's teardown, so it is closed also when the test fails.
 * Screenshots go to `test-artifacts/screenshots/` (ignored by git).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SCREENSHOT_DIR = join(root, 'test-artifacts', 'screenshots');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

export interface TestBrowser {
  readonly browser: Browser;
  /** A new page (1280×800) at `url`, waiting for the load event; console errors are kept. */
  openPage(url: string): Promise<Page>;
  /** `console.error` lines and uncaught page errors of every page opened so far. */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(t: ExecutionContext): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= browser.close().catch(() => undefined));
  t.teardown(close);
  const errors: string[] = [];
  return {
    browser,
    errors,
    async openPage(url) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      return page;
    },
    close,
  };
}

/** Saves a PNG of the page as `test-artifacts/screenshots/<name>.png` (or `path` when given); answers the path. */
export async function screenshot(page: Page, name: string, path?: string): Promise<string> {
  const file = path ?? join(SCREENSHOT_DIR, `${name}.png`);
  mkdirSync(dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

/** Waits until `text` shows in the element of `selector` (default the whole page). */
export async function waitForText(page: Page, text: string, selector = 'body', timeoutMs = 20_000): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

interface PageGlobals { readonly document: { querySelectorAll(selector: string): ArrayLike<{ readonly textContent: string | null }> } }

/** Waits until `text` no longer shows in any element of `selector`. */
export async function waitForNoText(page: Page, text: string, selector: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    // Runs in the page: this file is typechecked without the DOM lib, hence the narrow type.
    ([sel, txt]) => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll(sel)).every((el) => !(el.textContent ?? '').includes(txt)),
    [selector, text] as const,
    { timeout: timeoutMs },
  );
}

/**
 * `shot(page, name)` for a UI's test: test-artifacts/screenshots/ui-<ui>-<name>.png, and with
 * MAESTRO_DOCS_SCREENSHOTS=1 also docs/images/<ui>-<name>.png (the pictures docs/ui.md shows).
 */
export function uiScreenshots(ui: string): (page: Page, name: string) => Promise<void> {
  const docs = process.env.MAESTRO_DOCS_SCREENSHOTS === '1' ? join(root, 'docs', 'images') : undefined;
  return async (page, name) => {
    await screenshot(page, `ui-${ui}-${name}`);
    if (docs !== undefined) await screenshot(page, name, join(docs, `${ui}-${name}.png`));
  };
}

/**
 * A picture `<name>.png` of where a failed test stopped. Call it after `openBrowser(t)`:
 * teardowns run last-registered first, so it runs before the browser closes.
 */
export function screenshotOnFailure(t: ExecutionContext, page: Page, name: string): void {
  t.teardown(async () => { if (!t.passed) await screenshot(page, name).catch(() => undefined); });
}

/** Replaces the text of the kit's JSON editor (common/ui/web/json-editor.ts) as a person would: cleared, then typed. */
export async function typeJson(page: Page, json: string): Promise<void> {
  const area = page.locator('textarea.json-input');
  await area.waitFor();
  await area.fill('');
  await area.pressSequentially(json, { delay: 0 });
}

/** Waits until the kit's JSON editor lists an error at `path` (`/run/cpus`); answers the line it names. */
export async function fieldErrorLine(page: Page, path: string): Promise<string | null> {
  const item = page.locator(`li[data-field-error="${path}"]`);
  await item.waitFor();
  return item.getAttribute('data-line');
}

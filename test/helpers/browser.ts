// Opens a page in a real headless browser (Debian's chromium through playwright-core) with a fresh
// profile and no network features, and reports what a reader would see: title, text, console
// errors, failed or outgoing requests (a self-contained report makes none).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';

export interface PageCheck {
  title: string;
  errors: string[];
  /** Requests for anything but the file itself and data: URLs. */
  requests: string[];
  result<T>(fn: (page: Page) => Promise<T>): Promise<T>;
}

export async function withPage<T>(file: string, fn: (page: Page, seen: { errors: string[]; requests: string[] }) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(path.join(tmpdir(), 'flexlab-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    viewport: { width: 1300, height: 1000 },
  });
  try {
    const page = await ctx.newPage();
    const seen = { errors: [] as string[], requests: [] as string[] };
    page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
    page.on('pageerror', (e) => seen.errors.push(String(e)));
    page.on('requestfailed', (r) => seen.errors.push(`request failed: ${r.url()}`));
    const url = pathToFileURL(file).href;
    page.on('request', (r) => { if (r.url() !== url && !r.url().startsWith('data:')) seen.requests.push(r.url()); });
    await page.goto(url, { waitUntil: 'load' });
    return await fn(page, seen);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

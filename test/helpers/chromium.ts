import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** A browser with its own profile; closing it removes the profile. */
export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Debian's chromium package (`.ci/run` installs it when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A real headless Chromium with a fresh profile, removed on close. Without the background
 * networking flags Chromium keeps opening connections of its own, which a closed network refuses.
 */
export async function launchChromium(viewport = { width: 1400, height: 1000 }): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'flashsale-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

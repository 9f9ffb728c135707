/**
 * Takes the dashboard screenshot of the docs (docs/img/dashboard.png): opens /dashboard in a
 * headless Chromium, enters the admin token, starts `flashsale simulate` against the same service,
 * and photographs the page while the sale runs.
 *
 *   ADMIN_TOKEN=... node --import tsx scripts/dashboard-screenshot.ts --url http://127.0.0.1:3000 \
 *     [--out docs/img/dashboard.png] [--after 25] [-- <simulate options>]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/helpers/chromium.ts';

const dashIndex = process.argv.indexOf('--');
const own = dashIndex < 0 ? process.argv.slice(2) : process.argv.slice(2, dashIndex);
const simulateArgs =
  dashIndex < 0
    ? ['--create', '3', '--stock', '4000', '--buyers', '20000', '--concurrency', '24']
    : process.argv.slice(dashIndex + 1);
const { values } = parseArgs({
  args: own,
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    out: { type: 'string', default: 'docs/img/dashboard.png' },
    after: { type: 'string', default: '25' },
  },
});
const token = process.env.ADMIN_TOKEN;
if (!token) throw new Error('ADMIN_TOKEN is needed, for the page and for simulate --create');

const browser = await launchChromium({ width: 1400, height: 1050 });
try {
  const page = await browser.context.newPage();
  await page.goto(`${values.url}/dashboard`);
  await page.locator('input[name="token"]').fill(token);
  await page.locator('input[name="token"]').press('Enter');
  await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 });

  const cli = fileURLToPath(new URL('../bin/flashsale.js', import.meta.url));
  const simulate = spawn(process.execPath, [cli, 'simulate', '--url', values.url, ...simulateArgs], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const finished = new Promise((resolve) => simulate.once('exit', resolve));
  await Promise.race([new Promise((r) => setTimeout(r, Number(values.after) * 1000)), finished]);
  if (simulate.exitCode !== null) process.stderr.write('simulate ended before the screenshot: use more --buyers\n');
  await page.screenshot({ path: values.out, fullPage: true });
  process.stderr.write(`screenshot: ${values.out}\n`);
  await finished;
} finally {
  await browser.close();
}

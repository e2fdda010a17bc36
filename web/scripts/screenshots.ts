// Screenshots of the console pages and windows at a given size, against a running console (demo-server.ts or vigil serve).
// `npx tsx web/scripts/screenshots.ts http://127.0.0.1:5178 /tmp/shots 1280x800 [user] [password]`

import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [base = 'http://127.0.0.1:5178', out = '/tmp/shots', size = '1280x800', user = 'sysadmin', password = 'correct-horse-battery'] = process.argv.slice(2);
const [width, height] = size.split('x').map(Number) as [number, number];
fs.mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width, height } });
const problems: string[] = [];
page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
page.on('pageerror', (e) => problems.push(String(e)));
const shot = (name: string) => page.screenshot({ path: path.join(out, `${name}-${size}.png`) });

await page.goto(base);
await page.getByLabel('Username').fill(user);
await shot('login');
await page.getByLabel('Password').fill(password);
await page.getByRole('button', { name: 'Log in' }).click();
await page.getByRole('heading', { name: 'Remote Sessions' }).waitFor();
await page.locator('tbody tr').first().waitFor();
await shot('remote-sessions');
await page.getByRole('button', { name: 'Show filters' }).click();
await shot('filters');
await page.getByRole('button', { name: 'Hide filters' }).click();
await page.getByRole('button', { name: 'Grid Menu' }).click();
await shot('grid-menu');
await page.keyboard.press('Escape');

const win = async (title: string, name: string, after?: () => Promise<void>) => {
  await page.getByRole('button', { name: title }).first().click();
  await page.getByRole('dialog').first().waitFor();
  await page.waitForTimeout(600);
  await after?.();
  await shot(name);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog').waitFor({ state: 'detached' }).catch(() => undefined);
};
await win('Live Stream', 'live-stream', () => page.waitForTimeout(1500));
await win('Drop Session', 'drop-confirm');
await win('Session Logs', 'session-logs', async () => {
  await page.getByLabel('Search term').fill('step');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForTimeout(500);
});
await win('Session Video', 'session-video');
await page.getByRole('button', { name: 'Session Video' }).first().click();
await page.getByRole('button', { name: 'View', exact: true }).click();
await page.getByRole('dialog', { name: 'Session Video Player' }).waitFor();
await page.waitForTimeout(2500);
await shot('player');
await page.keyboard.press('Escape');
await page.keyboard.press('Escape');
await win('Prevent Purge', 'prevent-purge');
await win('Configure Auditors', 'auditors', async () => {
  await page.getByRole('button', { name: 'Add a new auditor' }).click();
  await page.getByRole('button', { name: 'Add a new auditor' }).click();
});
for (const [label, name] of [['Users with session block', 'session-blocks'], ['Sessions for audit', 'audit-sessions']] as const) {
  await page.getByRole('link', { name: label }).click();
  await page.waitForTimeout(500);
  await shot(name);
}
await page.goto(`${base}/admin/users`);
await page.getByRole('heading', { name: 'Users' }).waitFor();
await page.waitForTimeout(500);
await shot('admin-users');
await browser.close();
process.stdout.write(`screenshots in ${out}\nconsole errors: ${problems.length ? problems.join('\n') : 'none'}\n`);

// pools_check.mjs -- the DBA page's PgBouncer "Pools" panel in headless Chromium (playwright-core),
// printing TAP: the panel of a pgbouncer target is there, a pool with a waiting client shows as a
// highlighted row (class "waiting") with its waiting count, and no CSP violation or page error.
//
// usage: node pools_check.mjs URL TARGET DATABASE
//   URL       the page, e.g. http://127.0.0.1:9930/queries
//   TARGET    a pgbouncer target of the agent
//   DATABASE  a pool's database that has a waiting client right now
// env: CHROMIUM (default /usr/bin/chromium).  Run it where 'playwright-core' resolves (its folder or
// the current directory's node_modules).  Exit 0 when every check passed, 1 otherwise, 2 on usage.

import { launchChromium } from './browser_lib.mjs';

const [url, target, database] = process.argv.slice(2);
if (!url || !target || !database) {
  process.stderr.write('usage: node pools_check.mjs URL TARGET DATABASE\n');
  process.exit(2);
}
setTimeout(() => { console.log('Bail out! pools_check.mjs did not finish within 30 s'); process.exit(1); }, 30_000).unref();


let count = 0, failed = 0;
function tap(ok, desc, more) {
  count++;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${desc}`);
  if (more) for (const l of String(more).split('\n')) console.log('# ' + l);
}

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const panel = page.locator(`section.pools[data-target="${target.replace(/["\\]/g, '\\$&')}"]`);
  let shown = true;
  try { await panel.waitFor({ state: 'visible', timeout: 8000 }); } catch { shown = false; }
  tap(shown, `the Pools panel of ${target} is shown`);
  const row = panel.locator('tbody tr.waiting').filter({ has: page.locator('td:first-child', { hasText: database }) });
  let waiting = true;
  try { await row.first().waitFor({ state: 'visible', timeout: 8000 }); } catch { waiting = false; }
  const cells = waiting ? await row.first().locator('td').allTextContents() : [];
  tap(waiting && cells[0] === database && Number(cells[2]) >= 1,
      `the pool of ${database} is highlighted as waiting, with its waiting count`,
      cells.length ? 'cells: ' + JSON.stringify(cells) : await panel.innerText().catch(() => 'no panel'));
  const head = await panel.locator('thead th').allTextContents();
  tap(JSON.stringify(head) === JSON.stringify(['database', 'user', 'waiting', 'max wait', 'active', 'idle', 'used', 'mode']),
      'the panel has its columns', JSON.stringify(head));
  tap(problems.length === 0, 'no page error, console error or CSP violation', problems.join('\n'));
} finally {
  await browser.close();
}
console.log(`1..${count}`);
process.exit(failed ? 1 : 0);

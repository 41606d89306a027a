// tsdb_page_check.mjs -- drives the DBA page (/queries) in headless Chromium through playwright-core
// and checks its TimescaleDB panel against the agent's /api/timescaledb for one target: the same
// jobs (count, each job id, failing ones first and marked, last success as "N min ago" or "never",
// failures / runs), the same recent job errors (count, each job id and message, sqlerrcode), an
// HTML-looking string of the answer (a message or a job's name: one at least is required) shown as
// text with no element made of it and no dialog; optionally that a target without TimescaleDB
// shows no panel at all.  Prints TAP.
//
// usage: node tsdb_page_check.mjs PAGE_URL TARGET [TARGET_WITHOUT_TIMESCALEDB]
//   PAGE_URL  the page, e.g. http://127.0.0.1:9930/queries
//   TARGET    a [postgres] target with TimescaleDB whose jobs the agent has read
// env: CHROMIUM (default /usr/bin/chromium); SCREENSHOT: a path for a full-page PNG of the panel's
//      target; WAIT_SECONDS (default 60): how long the panel may take to appear and to agree with
//      the API (the agent reads the jobs every slow_interval, the page every 30 s: it is reloaded
//      while they differ).
// Needs the npm package playwright-core (no browser download): run it where 'playwright-core'
// resolves from this file's folder or from the current directory (cwd/node_modules, NODE_PATH),
// e.g. from $DBPULSE_BROWSER_DIR as scripts/common.sh's browser_setup makes it.
// Exit 0 when every check passed, 1 otherwise (the reason printed), 2 on a usage error.

import { statSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './browser_lib.mjs';

const [pageArg, target, plainTarget] = process.argv.slice(2);
if (!pageArg || !target) {
  process.stderr.write('usage: node tsdb_page_check.mjs PAGE_URL TARGET [TARGET_WITHOUT_TIMESCALEDB]\n');
  process.exit(2);
}
const WAIT = Math.max(5, Number(process.env.WAIT_SECONDS) || 60) * 1000;
const watchdog = setTimeout(() => {
  console.log('Bail out! tsdb_page_check.mjs did not finish within ' + (3 * WAIT / 1000 + 60) + ' s');
  process.exit(1);
}, 3 * WAIT + 60_000);
watchdog.unref();


// ------------------------------------------------------------------ TAP
let count = 0;
let failedCount = 0;
function tap(ok, desc, reason) {
  count++;
  if (!ok) failedCount++;
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${desc}`);
  if (reason) for (const l of String(reason).split('\n').slice(0, 12)) console.log('# ' + l);
}
class CheckFailed extends Error {}
function assert(cond, msg) { if (!cond) throw new CheckFailed(msg); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let loaded = false;
async function step(desc, fn, { needsPage = true } = {}) {
  if (needsPage && !loaded) { tap(false, desc, 'not tried: the panel did not load'); return false; }
  try {
    const extra = await fn();
    tap(true, desc + (extra ? ` (${extra})` : ''));
    return true;
  } catch (e) {
    const msg = e instanceof CheckFailed ? e.message : String((e && e.message) || e);
    tap(false, desc, msg.replace(/\x1b\[[0-9;]*m/g, ''));
    return false;
  }
}

// what the page shows for a count (queries.js fmtCount below 100,000)
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fmtCount = (n) => (typeof n === 'number' && Math.abs(n) < 1e5 ? grouped.format(n) : null);
const htmlLike = (s) => typeof s === 'string' && /<[a-z!/?]/i.test(s);

// the rows the page should show: failing jobs first, else the API's order
function expectedJobs(api) {
  const jobs = api.jobs.map((j, i) => ({ j, i }));
  jobs.sort((a, b) => ((b.j.last_run === 'failure') - (a.j.last_run === 'failure')) || a.i - b.i);
  return jobs.map((x) => x.j);
}

// every difference between the panel (shown) and an answer of /api/timescaledb (api)
function differences(shown, api) {
  const out = [];
  if (!api.databases.length) out.push('/api/timescaledb lists no database with TimescaleDB');
  const want = expectedJobs(api);
  if (shown.jobs.length !== want.length) out.push(`${shown.jobs.length} jobs shown, /api/timescaledb has ${want.length}`);
  for (let i = 0; i < Math.min(shown.jobs.length, want.length); i++) {
    const s = shown.jobs[i], w = want[i], at = `job row ${i + 1}`;
    if (s.id !== String(w.job_id) || s.datname !== (w.datname ?? '')) {
      out.push(`${at}: job ${s.datname}/${s.id} shown, ${w.datname}/${w.job_id} expected (failing first, then the API's order)`);
      continue;
    }
    const failing = w.last_run === 'failure';
    if (s.failing !== failing || s.lastRun !== (w.last_run === 'success' ? '✓' : failing ? '✗' : '—')) {
      out.push(`${at} (job ${w.job_id}): last run "${s.lastRun}", ${s.failing ? '' : 'not '}marked failing; the API says last_run ${w.last_run}`);
    }
    if (s.app !== (w.application_name ?? '—')) out.push(`${at} (job ${w.job_id}): application_name "${s.app}", the API's "${w.application_name}"`);
    if (s.hypertable !== (w.hypertable ?? '—')) out.push(`${at} (job ${w.job_id}): hypertable "${s.hypertable}", the API's ${JSON.stringify(w.hypertable)}`);
    if (w.last_success === null ? s.lastSuccess !== 'never' : !/^\d+ (s|min|h|d) ago$/.test(s.lastSuccess)) {
      out.push(`${at} (job ${w.job_id}): last success "${s.lastSuccess}" for last_success ${w.last_success}`);
    }
    const f = fmtCount(w.failures), r = fmtCount(w.runs);
    if (f !== null && r !== null && s.counts !== `${f} / ${r}`) out.push(`${at} (job ${w.job_id}): "${s.counts}" for ${w.failures} failures / ${w.runs} runs`);
  }
  if (shown.errors.length !== api.job_errors.length) out.push(`${shown.errors.length} job errors shown, /api/timescaledb has ${api.job_errors.length}`);
  for (let i = 0; i < Math.min(shown.errors.length, api.job_errors.length); i++) {
    const s = shown.errors[i], w = api.job_errors[i];
    if (s.id !== String(w.job_id) || s.message !== (w.message ?? '—') || s.sqlerrcode !== (w.sqlerrcode ?? '—')) {
      out.push(`error row ${i + 1}: job ${s.id}, ${JSON.stringify(s.message)} (${s.sqlerrcode}) shown; the API has job ${w.job_id}, ` +
        `${JSON.stringify(w.message)} (${w.sqlerrcode})`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ browser
const pageURL = new URL(pageArg);
pageURL.hash = '';
const problems = [];            // dialogs, page errors, console errors, foreign requests
const notes = [];               // other endpoints' failures, said but not failed
let dialogs = 0;

const browser = await launchChromium();

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block' });
  await context.addInitScript(() => {
    window.__scriptsAdded = [];   // elements that could load or run something
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (/^(IMG|IFRAME|OBJECT|EMBED)$/.test(n.nodeName)) window.__scriptsAdded.push(n.nodeName);
        else if (n.querySelectorAll) for (const x of n.querySelectorAll('img, iframe, object, embed')) window.__scriptsAdded.push(x.nodeName);
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (/^(https?|wss?):$/.test(u.protocol) && u.host !== pageURL.host) {
      problems.push('request to another host: ' + u.href);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('dialog', (d) => { dialogs++; problems.push(`dialog (${d.type()}): ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => problems.push('page error: ' + String(e.message || e).split('\n')[0]));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // another panel's endpoint failing (a test TimescaleDB without pg_stat_statements: /api/queries
    // answers 404) is the page's to say, in #status; not this check's business
    const at = (m.location() && m.location().url) || '';
    if (/^Failed to load resource/.test(m.text()) && at.startsWith(new URL('api/', pageURL).href) &&
        !/\/api\/(timescaledb|targets)\b/.test(at)) {
      notes.push(`${m.text()} (${at.slice(new URL('/', pageURL).href.length - 1)})`);
      return;
    }
    problems.push('console error: ' + m.text() + (at ? ` (${at})` : ''));
  });

  const apiGet = async () => {
    const u = new URL('api/timescaledb', pageURL);
    u.searchParams.set('target', target);
    const r = await page.request.get(u.href);
    assert(r.ok(), `${u.pathname}${u.search}: HTTP ${r.status()} ${(await r.text()).slice(0, 300)}`);
    const j = await r.json();
    for (const k of ['databases', 'jobs', 'job_errors']) assert(Array.isArray(j[k]), `/api/timescaledb has no array ${k}`);
    return j;
  };
  const panelSays = async () => ((await page.textContent('#timescaledb').catch(() => '')) || '(nothing)').replace(/\s+/g, ' ').trim().slice(0, 300);
  // the panel of TARGET drawn from an answer (not loading, not failed)
  const panelReady = (timeout) => page.waitForFunction((t) => {
    const p = document.querySelector('#timescaledb');
    return p && !p.hidden && p.dataset.target === t && p.dataset.state === 'ok';
  }, target, { timeout });
  const readPanel = () => page.evaluate(() => {
    const txt = (n) => (n ? n.textContent : '');
    return {
      jobs: [...document.querySelectorAll('#tsdb-jobs tbody tr[data-job-id]')].map((tr) => ({
        id: tr.dataset.jobId, datname: tr.dataset.datname, failing: tr.classList.contains('failing'),
        // (the first text of the cell: a "paused" or "failing" mark follows it)
        app: txt(tr.cells[2].firstChild), hypertable: txt(tr.cells[3]),
        lastRun: txt(tr.cells[4].firstChild), lastSuccess: txt(tr.cells[5]), counts: txt(tr.cells[7]),
        failingMark: tr.querySelector('.failing-mark') !== null && tr.querySelector('.failing-mark').offsetParent !== null,
      })),
      errors: [...document.querySelectorAll('#tsdb-errors tbody tr[data-job-id]')].map((tr) => ({
        id: tr.dataset.jobId, message: txt(tr.querySelector('td.message')), sqlerrcode: txt(tr.cells[4]),
      })),
    };
  });

  // 1
  await step(`the page opens and ${target} can be selected`, async () => {
    const t0 = Date.now();
    const res = await page.goto(pageURL.href, { waitUntil: 'domcontentloaded', timeout: 20_000 });
    assert(res && res.status() === 200, `the page answered HTTP ${res ? res.status() : '(nothing)'}`);
    await page.waitForSelector(`#target option[value=${JSON.stringify(target)}]`, { state: 'attached', timeout: 20_000 })
      .catch(async () => {
        throw new CheckFailed(`no target ${target} in the picker; #status says: ` + ((await page.textContent('#status')) || ''));
      });
    await page.selectOption('#target', target);
    loaded = true;
    return `in ${Date.now() - t0} ms`;
  }, { needsPage: false });

  // 2
  let api = null;
  let shown = null;
  await step(`the TimescaleDB panel of ${target} shows the jobs and job errors of /api/timescaledb`, async () => {
    const t0 = Date.now();
    await panelReady(WAIT).catch(async () => {
      throw new CheckFailed(`no TimescaleDB panel for ${target} within ${WAIT / 1000} s; it says: ${await panelSays()}; ` +
        `#status: ${await page.textContent('#status')}`);
    });
    // the agent reads the jobs every slow_interval, the page every 30 s: the two may differ for a
    // while (the fixture changing); reload the page until they agree
    let diff = [];
    for (let attempt = 0; ; attempt++) {
      api = await apiGet();
      shown = await readPanel();
      diff = differences(shown, api);
      if (!diff.length || Date.now() - t0 > WAIT) break;
      await sleep(2000);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await panelReady(WAIT).catch(() => {});
    }
    assert(!diff.length, diff.join('\n'));
    const failing = api.jobs.filter((j) => j.last_run === 'failure').length;
    return `${api.jobs.length} jobs (${failing} failing, listed first: ${shown.jobs.slice(0, failing).map((j) => j.id).join(', ') || 'none'}), ` +
      `${api.job_errors.length} job errors, in ${Date.now() - t0} ms`;
  });

  // 3
  await step('failing jobs are marked, and counted in the heading', async () => {
    assert(api && shown, 'no answer read');
    const failing = api.jobs.filter((j) => j.last_run === 'failure').length;
    const marked = shown.jobs.filter((j) => j.failingMark).length;
    assert(marked === failing, `${marked} rows show the "failing" mark, /api/timescaledb has ${failing} failing jobs`);
    const heading = (await page.textContent('#tsdb-counts [data-count="failing"]').catch(() => null)) ?? '';
    assert(heading === `${failing} failing`, `the heading says "${heading}" for ${failing} failing jobs`);
    return `${failing} failing`;
  });

  // 4
  await step('an HTML-looking string from the database shows as text, no element made of it, no dialog', async () => {
    assert(api, 'no answer read');
    const strings = [];
    for (const e of api.job_errors) if (htmlLike(e.message)) strings.push(['job error message', e.message]);
    for (const j of api.jobs) for (const k of ['application_name', 'hypertable']) if (htmlLike(j[k])) strings.push([`job ${j.job_id}'s ${k}`, j[k]]);
    assert(strings.length, 'no job error message nor job name of /api/timescaledb looks like HTML: the fixture should have one ' +
      '(e.g. a message "<img src=x onerror=alert(1)>")');
    const panelText = await page.textContent('#timescaledb');
    for (const [what, s] of strings) assert(panelText.includes(s), `the ${what} ${JSON.stringify(s)} is not in the panel's text`);
    const allowed = ['h2', 'h3', 'span', 'p', 'div', 'table', 'caption', 'thead', 'tbody', 'tr', 'th', 'td'];
    const tags = await page.evaluate((ok) => [...document.querySelectorAll('#timescaledb *')].map((e) => e.tagName.toLowerCase())
      .filter((t) => !ok.includes(t)), allowed);
    assert(!tags.length, 'unexpected elements in the panel: ' + JSON.stringify([...new Set(tags)]));
    const added = await page.evaluate(() => window.__scriptsAdded || []);
    assert(!added.length, 'elements inserted into the page: ' + JSON.stringify(added));
    const scripts = await page.evaluate(() => [...document.scripts].map((x) => x.getAttribute('src') || 'inline'));
    assert(scripts.every((src) => /^(queries|pools)\.js$/.test(src)), 'scripts in the page: ' + JSON.stringify(scripts));
    assert(dialogs === 0, `${dialogs} dialog(s) fired`);
    return strings.map(([what, s]) => `${what} ${JSON.stringify(s)}`).join('; ');
  });

  // 5
  if (process.env.SCREENSHOT) {
    await step('full-page screenshot', async () => {
      await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true, animations: 'disabled' });
      assert(statSync(process.env.SCREENSHOT).size > 0, 'the screenshot is empty');
      return path.resolve(process.env.SCREENSHOT);
    });
  }

  // 6
  if (plainTarget) {
    await step(`${plainTarget}, without TimescaleDB, shows no TimescaleDB panel`, async () => {
      await page.selectOption('#target', plainTarget);
      // its tables drawn for it, then a little longer for an answer of /api/timescaledb
      await page.waitForFunction((t) => document.querySelector('#statements').dataset.target === t ||
        document.querySelector('#activity-summary').textContent !== '', plainTarget, { timeout: WAIT }).catch(() => {});
      await sleep(2000);
      const p = await page.evaluate(() => {
        const s = document.querySelector('#timescaledb');
        return { hidden: s.hidden, visible: s.offsetParent !== null, rows: s.querySelectorAll('tr[data-job-id]').length };
      });
      assert(p.hidden && !p.visible && p.rows === 0, `the panel is ${p.hidden ? 'hidden' : 'shown'} with ${p.rows} rows`);
    });
  }

  // 7
  await step('no dialog, page error, console error or request to another host', async () => {
    assert(problems.length === 0, problems.join('\n'));
    const seen = [...new Set(notes)];
    return seen.length ? 'other panels: ' + seen.join('; ') : null;
  }, { needsPage: false });
} catch (e) {
  tap(false, 'the run ended early', String((e && e.stack) || e).split('\n').slice(0, 6).join('\n'));
} finally {
  await browser.close().catch(() => {});
}

console.log(`1..${count}`);
if (failedCount) console.log(`# tsdb_page_check: ${failedCount} of ${count} checks failed (see "not ok" above)`);
process.exit(failedCount ? 1 : 0);

// page_check.mjs -- drives the DBA page (/queries) in headless Chromium through playwright-core and
// prints TAP: rows load, sorting, window tabs, the toggle of dbpulse's own statements, hostile query
// text shown as text (no XSS), the detail panel, sessions, the Advice panel (the findings of
// /api/advice grouped by severity, a Copy button that copies the SQL, hostile names as text), the
// Plan view of a statement, the Redis slow log, the CSP header, and a full-page screenshot.
//
// usage: node page_check.mjs URL EXPECT_FIRST_SUBSTRING HOSTILE_SUBSTRING SCREENSHOT_PATH [REDIS_TARGET]
//   URL                     the page, e.g. http://127.0.0.1:9930/queries#target=main
//   EXPECT_FIRST_SUBSTRING  text that the first statement's query contains once sorted by mean
//   HOSTILE_SUBSTRING       e.g. '</script><script>alert(1)</script>': must show as text, never run
//   SCREENSHOT_PATH         where the full-page PNG goes
//   REDIS_TARGET            optional: a redis target whose slow log has at least one entry
// env: CHROMIUM (default /usr/bin/chromium), VIEWPORT (default 1280x800), COLOR_SCHEME (light|dark),
//      NEW_QUERYID and NEW_TEXT: a statement that must show a text containing NEW_TEXT at once
//      (one the agent saw for the first time a few seconds before);
//      ADVICE_HOSTILE: the name of a table with findings (e.g. '<img src=x onerror=alert(1)>'): checks
//      the Advice panel against /api/advice (its findings of every severity, one of each at least);
//      PLAN_TEXT and PLAN_RELATION: a statement whose text contains PLAN_TEXT has a plan finding whose
//      tree has a Seq Scan on PLAN_RELATION (marked when the finding lists it among its seq_scans).
// Needs the npm package playwright-core (no browser download): run it where 'playwright-core'
// resolves from this file's folder, or from the current directory (cwd/node_modules, NODE_PATH).
// Exit 0 when every check passed, 1 otherwise, 2 on a usage error.

import { statSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './browser_lib.mjs';

const [url, expectFirst, hostile, shotPath, redisTarget] = process.argv.slice(2);
if (!url || expectFirst === undefined || hostile === undefined || !shotPath) {
  process.stderr.write('usage: node page_check.mjs URL EXPECT_FIRST_SUBSTRING HOSTILE_SUBSTRING SCREENSHOT_PATH [REDIS_TARGET]\n');
  process.exit(2);
}

const WAIT = 10_000;           // one wait for a re-render
const FIRST_LOAD = 15_000;     // check 1
const watchdog = setTimeout(() => {
  console.log('Bail out! page_check.mjs did not finish within 90 s');
  process.exit(1);
}, 90_000);
watchdog.unref();


// ------------------------------------------------------------------ TAP
let count = 0;
let failedCount = 0;
const diag = (lines) => { for (const l of [].concat(lines)) for (const s of String(l).split('\n')) console.log('# ' + s); };
function tap(ok, desc, lines) {
  count++;
  if (!ok) failedCount++;
  console.log(`${ok ? 'ok' : 'not ok'} ${count} - ${desc}`);
  if (lines) diag(lines);
}
function skip(desc, why) { count++; console.log(`ok ${count} - ${desc} # SKIP ${why}`); }
class CheckFailed extends Error {}
function assert(cond, msg) { if (!cond) throw new CheckFailed(msg); }

let loaded = false;
async function step(desc, fn, { needsPage = true } = {}) {
  if (needsPage && !loaded) { tap(false, desc, 'not tried: the page did not load'); return false; }
  try {
    const extra = await fn();
    tap(true, desc + (extra ? ` (${extra})` : ''));
    return true;
  } catch (e) {
    const msg = e instanceof CheckFailed ? e.message : String((e && e.message) || e);
    tap(false, desc, msg.replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(0, 6));
    return false;
  }
}

// ------------------------------------------------------------------ browser
const pageURL = new URL(url);
const problems = [];            // dialogs, page errors, console errors, foreign requests
let dialogs = 0;

const [vw, vh] = (process.env.VIEWPORT || '1280x800').split('x').map(Number);
const browser = await launchChromium();

try {
  const context = await browser.newContext({
    viewport: { width: vw || 1280, height: vh || 800 },
    colorScheme: process.env.COLOR_SCHEME === 'dark' ? 'dark' : 'light',
    serviceWorkers: 'block',
  });
  // the Copy buttons' navigator.clipboard (the page is a secure context on 127.0.0.1)
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: pageURL.origin }).catch(() => {});
  // every <script> element inserted into the document, parser-inserted ones included
  await context.addInitScript(() => {
    window.__pageCheckScripts = [];
    const seen = new WeakSet();
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          const found = n.nodeName === 'SCRIPT' ? [n] : (n.querySelectorAll ? [...n.querySelectorAll('script')] : []);
          for (const s of found) {
            if (seen.has(s)) continue;
            seen.add(s);
            window.__pageCheckScripts.push(s.getAttribute('src') || ('inline: ' + s.textContent.slice(0, 80)));
          }
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if ((u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'ws:' || u.protocol === 'wss:') && u.host !== pageURL.host) {
      problems.push('request to another host: ' + u.href);
      return route.abort();
    }
    return route.continue();
  });

  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs++;
    problems.push(`dialog (${d.type()}): ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => problems.push('page error: ' + String(e.message || e).split('\n')[0]));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console error: ' + m.text()); });

  const rows = '#statements tbody tr[data-queryid]';
  const rendered = (want) => page.waitForFunction((w) => {
    const t = document.querySelector('#statements');
    if (!t || t.closest('[hidden]')) return false;
    for (const k of Object.keys(w)) if (t.dataset[k] !== w[k]) return false;
    return t.querySelector('tbody tr[data-queryid]') !== null;
  }, want, { timeout: WAIT });
  const queryText = async (row) => (await row.locator('td.query').first().textContent()) ?? '';

  let response = null;
  let html = '';
  let initialTarget = null;

  // 1
  await step('the page loads and the statements table gets rows', async () => {
    const t0 = Date.now();
    response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: FIRST_LOAD });
    assert(response, 'no response for ' + url);
    assert(response.status() === 200, `the page answered HTTP ${response.status()}`);
    html = await response.text();
    await page.waitForSelector(rows, { timeout: Math.max(1000, FIRST_LOAD - (Date.now() - t0)) })
      .catch(async () => {
        throw new CheckFailed('no row in #statements within 15 s; #status says: ' +
          ((await page.textContent('#status').catch(() => '')) || '(nothing)'));
      });
    loaded = true;
    initialTarget = await page.inputValue('#target');
    return `${await page.locator(rows).count()} rows, target ${initialTarget}, in ${Date.now() - t0} ms`;
  }, { needsPage: false });

  // 1b
  const newId = process.env.NEW_QUERYID, newText = process.env.NEW_TEXT;
  if (newId && newText) {
    await step(`the statement ${newId}, seen a few seconds ago, shows its text`, async () => {
      const row = page.locator(`${rows}[data-queryid="${newId}"] td.query`);
      const t0 = Date.now();
      await page.waitForFunction(([id, text]) => {
        const td = document.querySelector(`#statements tbody tr[data-queryid="${id}"] td.query`);
        return td !== null && td.textContent.includes(text);
      }, [newId, newText], { timeout: WAIT }).catch(async () => {
        throw new CheckFailed('its row shows: ' + ((await row.count()) ? await row.first().textContent() : '(no row)'));
      });
      return `after ${Date.now() - t0} ms`;
    });
  } else {
    skip('a statement seen a few seconds ago shows its text', 'NEW_QUERYID and NEW_TEXT not given');
  }

  // 2
  await step(`sorted by mean, the first statement contains ${JSON.stringify(expectFirst)}`, async () => {
    await page.click('th[data-sort="mean"]');
    await rendered({ sort: 'mean' });
    assert(await page.locator('th[data-sort="mean"]').evaluate((th) => th.classList.contains('sorted')),
      'th[data-sort="mean"] is not marked sorted');
    // a statement's text may come a refresh later than its figures (the agent reads it in the
    // cycle after the statement appears): give the page's own refreshes a chance
    await page.waitForFunction((x) => {
      const td = document.querySelector('#statements tbody tr[data-queryid] td.query');
      return td !== null && td.textContent.includes(x);
    }, expectFirst, { timeout: WAIT }).catch(() => {});
    const first = await queryText(page.locator(rows).first());
    assert(first.includes(expectFirst), 'the first row is: ' + first.slice(0, 200));
  });

  // 3
  await step('the last window tab becomes active and the table re-renders', async () => {
    const tabs = page.locator('#windows button[data-window]');
    const n = await tabs.count();
    assert(n > 0, 'no button[data-window] in #windows');
    const last = tabs.nth(n - 1);
    const w = await last.getAttribute('data-window');
    await last.click();
    await rendered({ window: w, sort: 'mean' });
    assert(await last.evaluate((b) => b.classList.contains('active') && b.getAttribute('aria-pressed') === 'true'),
      `the ${w} tab is not active / aria-pressed`);
    const others = await page.locator('#windows button.active').count();
    assert(others === 1, `${others} tabs are active`);
    return `${w}, ${await page.locator(rows).count()} rows`;
  });

  // 4
  await step('sorting by calls marks that header sorted', async () => {
    await page.click('th[data-sort="calls"]');
    await rendered({ sort: 'calls' });
    const sorted = await page.$$eval('#statements th.sorted', (ths) => ths.map((th) => th.dataset.sort));
    assert(sorted.length === 1 && sorted[0] === 'calls', 'sorted headers: ' + JSON.stringify(sorted));
  });

  // 4b
  await step("the toggle of dbpulse's own statements lists them, marked, and hides them again", async () => {
    const box = page.locator('#include-own');
    const marked = rows + ' .own-mark';
    assert(!(await box.isChecked()), '#include-own starts checked');
    assert((await page.locator(marked).count()) === 0, 'statements marked as dbpulse\'s while the toggle is off');
    const summary = (await page.textContent('#statements-summary')) ?? '';
    assert(summary.includes("dbpulse's own") && summary.includes('in the totals'),
      'the summary does not say that the totals count dbpulse\'s own statements: ' + summary);
    await box.check();
    await rendered({ own: 'true' });
    await page.waitForSelector(marked, { timeout: WAIT });
    const hash = new URLSearchParams(new URL(page.url()).hash.slice(1));
    assert(hash.get('own') === '1', 'own=1 is not in the URL: ' + page.url());
    const n = await page.locator(marked).count();
    await box.uncheck();
    await rendered({ own: 'false' });
    assert((await page.locator(marked).count()) === 0, 'statements still marked after the toggle went off');
    return `${n} of them listed`;
  });

  // 5
  await step('the hostile text shows as text, no dialog fired and no script was added', async () => {
    await page.waitForFunction((h) => [...document.querySelectorAll('main tbody tr')].some((tr) => tr.textContent.includes(h)),
      hostile, { timeout: WAIT }).catch(() => {});
    const where = await page.evaluate((h) => {
      for (const tr of document.querySelectorAll('main tbody tr')) {
        if (tr.textContent.includes(h)) return (tr.closest('table') || {}).id + ' ' + (tr.dataset.queryid ?? tr.dataset.pid ?? tr.dataset.slowlogId ?? '');
      }
      return null;
    }, hostile);
    assert(where !== null, 'no table row contains ' + JSON.stringify(hostile));
    const visible = await page.locator('main tbody tr', { hasText: hostile }).first().isVisible();
    assert(visible, 'the row with the hostile text is not visible');
    assert(dialogs === 0, `${dialogs} dialog(s) fired`);
    const staticScripts = (html.match(/<script\b/gi) || []).length;
    const now = await page.evaluate(() => document.scripts.length);
    const inserted = await page.evaluate(() => window.__pageCheckScripts || []);
    assert(now === staticScripts, `${now} <script> elements in the DOM, the page's HTML has ${staticScripts}`);
    assert(inserted.length <= staticScripts, 'scripts inserted: ' + JSON.stringify(inserted));
    return 'in ' + where.trim();
  });

  // 6
  await step('clicking the first row opens #detail with the full query text; close hides it', async () => {
    const first = page.locator(rows).first();
    const full = await queryText(first);
    const pending = await first.locator('td.query').first().evaluate((td) => td.classList.contains('pending'));
    await first.click();
    await page.waitForSelector('#detail', { state: 'visible', timeout: WAIT });
    const pre = (await page.textContent('#detail pre')) ?? '';
    if (pending) assert(pre.length > 0, '#detail pre is empty');
    else assert(pre === full, `#detail pre differs from the row's query:\n pre: ${pre.slice(0, 200)}\n row: ${full.slice(0, 200)}`);
    const figures = await page.locator('#detail dl div, #detail dl dt').count();
    assert(figures > 0, 'no figures in #detail');
    await first.click();
    await page.waitForSelector('#detail', { state: 'hidden', timeout: WAIT });
    await first.click();
    await page.waitForSelector('#detail', { state: 'visible', timeout: WAIT });
    await page.click('#detail-close');
    await page.waitForSelector('#detail', { state: 'hidden', timeout: WAIT });
    return `${full.length} characters`;
  });

  // 7
  await step('the #activity panel is shown with a summary', async () => {
    await page.waitForSelector('#activity', { state: 'visible', timeout: WAIT });
    await page.waitForFunction(() => (document.querySelector('#activity-summary')?.textContent ?? '').trim() !== '', null, { timeout: WAIT })
      .catch(() => { throw new CheckFailed('#activity-summary stays empty'); });
    const summary = (await page.textContent('#activity-summary')).trim();
    const sessions = await page.locator('#activity tbody tr[data-pid]').count();
    return `${sessions} sessions listed; ${summary}`;
  });

  // 7b-7e: the Advice panel, against the API's answer for the same target
  const adviceHostile = process.env.ADVICE_HOSTILE;
  const SEVERITIES = ['critical', 'warning', 'info'];
  const GROUP_ROWS = 50;        // findings a group shows before "show all" (queries.js)
  let adviceAnswer = null;
  const apiGet = async (p) => {
    const r = await page.request.get(new URL(p, pageURL).href);
    assert(r.ok(), `${p}: HTTP ${r.status()}`);
    return r.json();
  };
  if (adviceHostile) {
    await step('the Advice panel shows the findings of /api/advice, grouped by severity, counted in its heading', async () => {
      const target = await page.inputValue('#target');
      await page.waitForSelector('#advice li.finding', { timeout: WAIT }).catch(async () => {
        throw new CheckFailed('no finding shown; the panel says: ' +
          ((await page.textContent('#advice').catch(() => '')) || '').replace(/\s+/g, ' ').trim().slice(0, 300));
      });
      adviceAnswer = await apiGet(`/api/advice?target=${encodeURIComponent(target)}`);
      assert(adviceAnswer.findings.every((f) => f.kind !== 'plan'), 'plans listed without kind=plan');
      const api = {};
      for (const sev of SEVERITIES) api[sev] = adviceAnswer.findings.filter((f) => f.kind !== 'plan' && f.severity === sev);
      // the page may show the pass before the one just read: wait for it to show the same
      const want = Object.fromEntries(SEVERITIES.map((sev) => [sev, Math.min(api[sev].length, GROUP_ROWS)]));
      await page.waitForFunction((w) => Object.keys(w).every((sev) =>
        document.querySelectorAll(`#advice details[data-severity="${sev}"] li.finding`).length === w[sev]),
      want, { timeout: 2 * WAIT }).catch(() => {});
      const shown = await page.evaluate((sevs) => {
        const out = { groups: {} };
        for (const sev of sevs) {
          const d = document.querySelector(`#advice details[data-severity="${sev}"]`);
          out.groups[sev] = d ? { open: d.open, items: [...d.querySelectorAll('li.finding')].map((li) => ({
            severity: li.dataset.severity, kind: li.dataset.kind, head: li.querySelector('.finding-head').textContent })) } : null;
        }
        out.order = [...document.querySelectorAll('#advice details[data-severity]')].map((d) => d.dataset.severity);
        out.counts = Object.fromEntries([...document.querySelectorAll('#advice-counts .count')].map((c) => [c.dataset.severity, c.textContent]));
        return out;
      }, SEVERITIES);
      const present = SEVERITIES.filter((sev) => api[sev].length);
      assert(present.length === 3, 'the test database should give a finding of each severity; /api/advice has ' +
        JSON.stringify(want));
      assert(JSON.stringify(shown.order) === JSON.stringify(present), 'groups in the order ' + JSON.stringify(shown.order));
      for (const sev of SEVERITIES) {
        const g = shown.groups[sev];
        assert(g && g.open, `the ${sev} group is missing or closed`);
        assert(g.items.length === want[sev], `${g.items.length} ${sev} findings shown, /api/advice has ${api[sev].length}`);
        g.items.forEach((it, i) => {
          const f = api[sev][i];
          assert(it.severity === sev && it.kind === f.kind, `${sev} #${i}: ${it.kind} shown, ${f.kind} in the API`);
          assert(it.head.includes(f.datname) && (f.table === null || it.head.includes(f.table)) &&
            (f.object === null || it.head.includes(f.object)), `${sev} #${i} (${f.kind}) shows "${it.head}"`);
        });
        assert(shown.counts[sev] === `${api[sev].length} ${sev}`, `the heading counts "${shown.counts[sev]}" for ${api[sev].length} ${sev}`);
      }
      return SEVERITIES.map((sev) => `${api[sev].length} ${sev}`).join(', ') + `, ${adviceAnswer.notes.length} notes`;
    });

    await step('each finding shows its evidence, human-readable (bytes, %), and the notes are listed', async () => {
      assert(adviceAnswer, 'no answer read');
      const sized = (x) => Object.keys(x.evidence).find((k) => k.endsWith('_bytes') && x.evidence[k] >= 1000);
      const f = adviceAnswer.findings.find((x) => x.kind !== 'plan' && sized(x));
      assert(f, 'no finding with a size in its evidence');
      const key = sized(f);
      const dd = await page.evaluate(([kind, object, key]) => {
        for (const li of document.querySelectorAll(`#advice li.finding[data-kind="${kind}"]`)) {
          if (object !== null && !li.querySelector('.finding-head').textContent.includes(object)) continue;
          const d = li.querySelector(`dl.evidence div[data-key="${key}"] dd`);
          if (d) return d.textContent;
        }
        return null;
      }, [f.kind, f.object, key]);
      assert(dd !== null, `no ${key} in the evidence of ${f.kind} ${f.object}`);
      assert(/^[0-9.]+ (kB|MB|GB)$/.test(dd), `${key} = ${f.evidence[key]} shown as "${dd}"`);
      const notes = await page.locator('#advice-notes li').count();
      assert(notes === adviceAnswer.notes.length, `${notes} notes shown, /api/advice has ${adviceAnswer.notes.length}`);
      return `${f.kind} ${key} ${dd}, ${notes} notes`;
    });

    await step('a Copy button copies the action SQL exactly, through the clipboard and without it', async () => {
      assert(adviceAnswer, 'no answer read');
      const f = adviceAnswer.findings.find((x) => x.kind !== 'plan' && x.action_sql && x.action_sql.includes('\n')) ||
        adviceAnswer.findings.find((x) => x.kind !== 'plan' && x.action_sql);
      assert(f, 'no finding with SQL');
      const li = page.locator(`#advice li.finding[data-kind="${f.kind}"]`, { hasText: f.object ?? f.table ?? '' }).first();
      const pre = (await li.locator('pre.action-sql').textContent()) ?? '';
      assert(pre === f.action_sql, `the <pre> shows ${JSON.stringify(pre)}, the API ${JSON.stringify(f.action_sql)}`);
      const button = li.locator('button.copy');
      const handle = await button.elementHandle();
      await page.evaluate(() => navigator.clipboard.writeText('(nothing yet)')).catch(() => {});
      await button.click();
      await page.waitForFunction((b) => b.textContent === 'copied', handle, { timeout: WAIT })
        .catch(async () => { throw new CheckFailed('the button says ' + JSON.stringify(await button.textContent())); });
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert(copied === f.action_sql, `the clipboard holds ${JSON.stringify(copied)}, the API's SQL is ${JSON.stringify(f.action_sql)}`);
      const live = (await page.textContent('#advice-live')) ?? '';
      assert(live.startsWith('copied'), 'the live region says ' + JSON.stringify(live));
      // without navigator.clipboard (as on a plain-http origin other than localhost): the <pre> is
      // selected and copied by execCommand
      await page.waitForFunction((b) => b.textContent === 'Copy', handle, { timeout: WAIT });
      await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
      await button.click();
      const said = await button.textContent();
      const selected = await page.evaluate(() => String(window.getSelection()));
      assert(said === 'copied' || said === 'selected: press Ctrl+C', 'without a clipboard the button says ' + JSON.stringify(said));
      assert(selected === f.action_sql, `without a clipboard the selection is ${JSON.stringify(selected)}`);
      await page.evaluate(() => window.getSelection().removeAllRanges());
      return `${f.kind}, ${f.action_sql.split('\n').length} line(s); without the clipboard: ${said}`;
    });

    await step(`the table named ${JSON.stringify(adviceHostile)} shows as text in the Advice panel, no element made of it`, async () => {
      assert(adviceAnswer, 'no answer read');
      const fs = adviceAnswer.findings.filter((x) => x.kind !== 'plan' && x.table === adviceHostile);
      assert(fs.length > 0, 'no finding of /api/advice is about that table');
      const heads = await page.locator('#advice li.finding .finding-head', { hasText: adviceHostile }).count();
      assert(heads === fs.length, `${heads} findings show the name, /api/advice has ${fs.length}`);
      const made = ['h2', 'h3', 'span', 'p', 'div', 'details', 'summary', 'ul', 'li', 'dl', 'dt', 'dd', 'pre', 'button'];
      const tags = await page.evaluate((ok) => [...document.querySelectorAll('#advice *')].map((e) => e.tagName.toLowerCase())
        .filter((t) => !ok.includes(t)), made);
      assert(tags.length === 0, 'unexpected elements in #advice: ' + JSON.stringify([...new Set(tags)]));
      assert(dialogs === 0, `${dialogs} dialog(s) fired`);
      return `${fs.length} findings`;
    });
  } else {
    skip('the Advice panel shows the findings of /api/advice', 'ADVICE_HOSTILE not given');
  }

  // 7f: the Plan view of a statement
  const planText = process.env.PLAN_TEXT, planRelation = process.env.PLAN_RELATION;
  if (planText && planRelation) {
    await step(`the Plan of the statement with ${JSON.stringify(planText)} shows its tree, a Seq Scan on ${planRelation}`, async () => {
      const target = await page.inputValue('#target');
      const row = page.locator(rows, { hasText: planText }).first();
      await row.waitFor({ timeout: WAIT }).catch(() => { throw new CheckFailed('no statement row contains ' + planText); });
      const qid = await row.getAttribute('data-queryid');
      // plans are listed only when asked for by kind
      const answer = await apiGet(`/api/advice?target=${encodeURIComponent(target)}&kind=plan`);
      const plan = answer.findings.find((f) => f.kind === 'plan' && f.object === qid);
      assert(plan, `no plan finding for ${qid} in /api/advice (${answer.findings.filter((f) => f.kind === 'plan').length} plans; notes: ` +
        JSON.stringify(answer.notes.filter((n) => n.kind === 'plan')) + ')');
      await row.click();
      await page.waitForSelector('#detail', { state: 'visible', timeout: WAIT });
      await page.waitForSelector('#plan-toggle', { state: 'visible', timeout: 2 * WAIT }).catch(async () => {
        throw new CheckFailed('no plan button; the Plan section says: ' + await page.textContent('#plan-note'));
      });
      if ((await page.getAttribute('#plan-toggle', 'aria-expanded')) !== 'true') await page.click('#plan-toggle');
      await page.waitForSelector('#plan-tree .plan-node', { state: 'visible', timeout: WAIT });
      const nodes = await page.$$eval('#plan-tree .plan-node', (lis) => lis.map((li) => ({
        type: li.querySelector(':scope > .node-line .node-type')?.textContent ?? '',
        rel: li.querySelector(':scope > .node-line .node-rel')?.textContent ?? '',
        cost: li.querySelector(':scope > .node-line .node-cost')?.textContent ?? '',
        rows: li.querySelector(':scope > .node-line .node-rows')?.textContent ?? '',
        hot: li.classList.contains('hot'),
      })));
      const count = (n) => 1 + (n.Plans || []).reduce((a, c) => a + count(c), 0);
      assert(nodes.length === count(plan.evidence.plan), `${nodes.length} nodes drawn, the plan has ${count(plan.evidence.plan)}`);
      assert(nodes[0].type.includes(plan.evidence.plan['Node Type']), 'the top node is ' + JSON.stringify(nodes[0]));
      assert(nodes.every((n) => /^cost [0-9.]+\.\.[0-9.]+$/.test(n.cost) && /^rows /.test(n.rows)),
        'a node without cost or rows: ' + JSON.stringify(nodes));
      const scan = nodes.find((n) => n.type === 'Seq Scan' && n.rel.includes(planRelation));
      assert(scan, 'no Seq Scan on ' + planRelation + ': ' + JSON.stringify(nodes.map((n) => n.type + n.rel)));
      const listed = (plan.evidence.seq_scans || []).some((x) => x.table === planRelation);
      assert(scan.hot === listed, `the Seq Scan on ${planRelation} is ${scan.hot ? '' : 'not '}marked, the finding ${listed ? 'lists' : 'does not list'} it`);
      const ratio = plan.evidence.estimate_ratio;
      const far = typeof ratio === 'number' && ratio > 0 && (ratio >= 10 || ratio <= 0.1);
      assert((await page.isVisible('#plan-estimate')) === far, `estimate_ratio ${ratio}: the estimate line is ${far ? 'missing' : 'shown'}`);
      await page.click('#plan-toggle');
      await page.waitForSelector('#plan-body', { state: 'hidden', timeout: WAIT });
      // a statement without a plan says why
      const planned = new Set(answer.findings.filter((f) => f.kind === 'plan').map((f) => f.object));
      const ids = await page.$$eval(rows, (trs) => trs.filter((tr) => !tr.querySelector('.own-mark')).map((tr) => tr.dataset.queryid));
      const other = ids.find((id) => !planned.has(id));
      let why = '';
      if (other) {
        await page.click(`${rows}[data-queryid="${other}"]`);
        await page.waitForFunction((id) => document.querySelector('#plan').dataset.queryid === id &&
          !/^Reading/.test(document.querySelector('#plan-note').textContent), other, { timeout: WAIT });
        why = (await page.textContent('#plan-note')) ?? '';
        const hasPlan = await page.isVisible('#plan-toggle');
        assert(hasPlan || /^No plan for this statement/.test(why),
          `statement ${other}, not planned, says ${JSON.stringify(why)}`);
        if (hasPlan) why = '(planned by a newer pass meanwhile)';
      }
      await page.click('#detail-close');
      return `${nodes.length} nodes, the scan ${scan.hot ? 'marked' : 'not marked'}, estimate_ratio ${ratio}` +
        (other ? `; a statement without a plan: "${why.slice(0, 60)}…"` : '');
    });
  } else {
    skip('the Plan of a statement shows its tree', 'PLAN_TEXT and PLAN_RELATION not given');
  }

  // 8
  if (redisTarget) {
    await step(`selecting ${redisTarget} shows #slowlog with entries`, async () => {
      await page.selectOption('#target', redisTarget);
      await page.waitForFunction((t) => {
        const s = document.querySelector('#slowlog');
        const table = document.querySelector('#slowlog-table');
        return s && !s.hidden && table && table.dataset.target === t &&
          table.querySelector('tbody tr[data-slowlog-id]') !== null;
      }, redisTarget, { timeout: WAIT }).catch(async () => {
        throw new CheckFailed('no slow-log entry shown; #status says: ' + (await page.textContent('#status')));
      });
      assert(await page.isVisible('#slowlog'), '#slowlog is not visible');
      assert(!(await page.isVisible('#statements')), '#statements is still visible for a redis target');
      return `${await page.locator('#slowlog tbody tr[data-slowlog-id]').count()} entries`;
    });
    // 8b
    await step('the slow log\'s "dbpulse\'s own" toggle lists the agent\'s commands, marked, and hides them again', async () => {
      const own = '#slowlog tbody tr[data-own="true"]';
      assert(await page.locator(own).count() === 0, 'the agent\'s commands are listed before the toggle');
      await page.check('#include-own-slowlog');
      await page.waitForFunction((sel) => document.querySelector('#slowlog-table').dataset.own === 'true' &&
        document.querySelector(sel) !== null, own, { timeout: WAIT }).catch(() => {
        throw new CheckFailed('no entry of the agent shown with the toggle on');
      });
      const n = await page.locator(own).count();
      const names = await page.locator(own).evaluateAll((trs) => trs.map((tr) => tr.cells[5].textContent));
      assert(names.every((c) => c === 'dbpulse'), `entries marked own from clients ${JSON.stringify(names)}`);
      assert(await page.locator(`${own} .own-mark`).count() === n, 'an own entry without its mark');
      await page.uncheck('#include-own-slowlog');
      await page.waitForFunction((sel) => document.querySelector('#slowlog-table').dataset.own === 'false' &&
        document.querySelector(sel) === null, own, { timeout: WAIT }).catch(() => {
        throw new CheckFailed('the agent\'s entries stay with the toggle off');
      });
      return `${n} of them listed`;
    });
  } else {
    skip('selecting a redis target shows #slowlog with entries', 'no REDIS_TARGET given');
  }

  // 9
  await step("the page's Content-Security-Policy has script-src 'self'", async () => {
    assert(response, 'no response');
    const h = await response.allHeaders();
    const csp = h['content-security-policy'];
    assert(csp, 'no Content-Security-Policy header');
    const script = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src '));
    assert(script && script.split(/\s+/).includes("'self'"), 'CSP: ' + csp);
    assert(!/unsafe-inline|unsafe-eval/.test(script), 'script-src allows unsafe-*: ' + script);
    const missing = ['x-content-type-options', 'cache-control', 'referrer-policy'].filter((k) => !h[k]);
    if (missing.length) diag('also missing: ' + missing.join(', '));
  }, { needsPage: false });

  // 10
  await step('full-page screenshot of the postgres target, sorted by mean', async () => {
    if (initialTarget && (await page.inputValue('#target')) !== initialTarget) {
      await page.selectOption('#target', initialTarget);
    }
    await page.waitForSelector(rows, { timeout: WAIT });
    // the window the URL asked for (its #window=), else the shortest
    const asked = new URLSearchParams(new URL(url).hash.slice(1)).get('window');
    const tab = asked ? page.locator(`#windows button[data-window="${asked}"]`)
                      : page.locator('#windows button[data-window]').first();
    const w = await tab.getAttribute('data-window');
    await tab.click();
    await rendered({ window: w, target: initialTarget });
    await page.click('th[data-sort="mean"]');
    await rendered({ sort: 'mean', window: w, target: initialTarget });
    await page.waitForFunction(() => (document.querySelector('#activity-summary')?.textContent ?? '') !== '', null, { timeout: WAIT });
    await page.screenshot({ path: shotPath, fullPage: true, animations: 'disabled' });
    assert(statSync(shotPath).size > 0, 'the screenshot is empty');
    console.log('# screenshot: ' + path.resolve(shotPath));
  });

  // 11
  await step('no dialog, page error, console error or request to another host; links stay on the agent', async () => {
    const foreign = loaded ? await page.$$eval('a[href]', (as) => as.filter((a) => a.origin !== location.origin).map((a) => a.href)) : [];
    for (const f of foreign) problems.push('link to another origin: ' + f);
    assert(problems.length === 0, problems.join('\n'));
  }, { needsPage: false });
} catch (e) {
  tap(false, 'the run ended early', String((e && e.stack) || e).split('\n').slice(0, 6));
} finally {
  await browser.close().catch(() => {});
}

console.log(`1..${count}`);
process.exit(failedCount ? 1 : 0);

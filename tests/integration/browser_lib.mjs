// browser_lib.mjs -- what the page checks in headless Chromium share (page_check.mjs,
// pools_check.mjs, tsdb_page_check.mjs): loading playwright-core and starting the browser.  The tests copy it beside the
// check into $DBPULSE_BROWSER_DIR.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

// playwright-core from beside the check, else from the current directory's node_modules (and
// NODE_PATH)
async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    const require = createRequire(path.join(process.cwd(), 'browser_lib.cjs'));
    return await import(pathToFileURL(require.resolve('playwright-core')).href);
  }
}

// Debian's Chromium (CHROMIUM, default /usr/bin/chromium), headless; a TAP "Bail out!" and exit 1
// when it cannot start
export async function launchChromium() {
  const pw = await loadPlaywright();
  const chromium = pw.chromium || (pw.default && pw.default.chromium);
  try {
    return await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      timeout: 30_000,
    });
  } catch (e) {
    console.log('Bail out! cannot start Chromium: ' + String(e.message).split('\n')[0]);
    process.exit(1);
  }
}

// browser_lib.mjs -- what the page checks in headless Chromium share (page_check.mjs,
// pools_check.mjs, tsdb_page_check.mjs): loading playwright-core.  The tests copy it beside the
// check into $DBPULSE_BROWSER_DIR.

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

// playwright-core from beside the check, else from the current directory's node_modules (and
// NODE_PATH)
export async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch (e) {
    if (e.code !== 'ERR_MODULE_NOT_FOUND') throw e;
    const require = createRequire(path.join(process.cwd(), 'browser_lib.cjs'));
    return await import(pathToFileURL(require.resolve('playwright-core')).href);
  }
}

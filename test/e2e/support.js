'use strict';
// Helpers of the end-to-end suites (test/e2e): the Debian chromium for playwright-core, and polling. Packages such as
// node-red-contrib-ocpp are installed with ../support/npm-cache.js.
const fs = require('fs');
const { execFileSync } = require('child_process');
const shared = require('../support/until');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Installs Debian's chromium when /usr/bin/chromium is missing (root, apt). Never downloads a browser build. */
function ensureChromium() {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300000 });
  execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env, timeout: 600000 });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get install chromium left no ${CHROMIUM}`);
  return CHROMIUM;
}

/** Resolves with pred()'s first truthy value; rejects with `what` (and describe()'s text) after ms. */
const until = (pred, ms, what, describe) => shared.until(pred, ms, what, { every: 50, describe });

module.exports = { CHROMIUM, CHROMIUM_ARGS, ensureChromium, until };

'use strict';
// Helpers of the end-to-end suites (test/e2e): the Debian chromium for playwright-core, node-red-contrib-ocpp
// installed once per version in os.tmpdir(), and polling.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

/** Installs Debian's chromium when /usr/bin/chromium is missing (root, apt). Never downloads a browser build. */
function ensureChromium() {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300000 });
  execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: 'inherit', env, timeout: 600000 });
  if (!fs.existsSync(CHROMIUM)) throw new Error(`apt-get install chromium left no ${CHROMIUM}`);
  return CHROMIUM;
}

/**
 * Directory whose node_modules holds `name@version` and its dependencies, installed with npm once and kept in
 * os.tmpdir() for later runs (keyed by name and version). A half-finished install never becomes the cache:
 * npm runs in a scratch directory that is renamed into place.
 */
function cachedNpmPackage(name, version) {
  const key = `${name.replace(/[^a-zA-Z0-9.-]/g, '_')}-${version}`;
  const dir = path.join(os.tmpdir(), `oicp-e2e-cache-${key}`);
  const pkgJson = path.join(dir, 'node_modules', name, 'package.json');
  const ok = () => {
    try { return JSON.parse(fs.readFileSync(pkgJson, 'utf8')).version === version; } catch { return false; }
  };
  if (ok()) return dir;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `oicp-e2e-npm-${key}-`));
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'oicp-e2e-cache', private: true }));
  execFileSync('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--omit=dev', '--no-package-lock', `${name}@${version}`],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 240000 });
  if (ok()) { fs.rmSync(scratch, { recursive: true, force: true }); return dir; } // another run won the race
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(scratch, dir);
  if (!ok()) throw new Error(`npm install ${name}@${version} left no ${pkgJson}`);
  return dir;
}

/** Makes `name` (from cachedNpmPackage's directory) loadable by the Node-RED of userDir. */
function linkPackage(cacheDir, name, userDir) {
  const target = path.join(cacheDir, 'node_modules', name);
  const link = path.join(userDir, 'node_modules', name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, 'dir');
}

/** Resolves with pred()'s first truthy value; rejects with `what` (and describe()'s text) after ms. */
function until(pred, ms, what, describe) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    (async function poll() {
      let v;
      try { v = await pred(); } catch (e) { return reject(e); }
      if (v) return resolve(v);
      if (Date.now() > end) {
        let extra = '';
        try { extra = describe ? `: ${describe()}` : ''; } catch { /* best effort */ }
        return reject(new Error(`${what} not met within ${ms} ms${extra}`));
      }
      setTimeout(poll, 50);
    })();
  });
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, ensureChromium, cachedNpmPackage, linkPackage, until };

'use strict';
// npm installs for tests, cached in os.tmpdir() per package spec, so reruns are fast and nothing is installed into
// the repository: used by the install suite (test/install), the examples test and the e2e suite (test/e2e).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile, execFileSync } = require('child_process');

const CACHE_ROOT = path.join(os.tmpdir(), 'node-red-contrib-oicp-test-cache');

/** npm's own CLI script, so npm can run under another Node binary than the one on PATH. */
function npmCli() {
  const candidates = [];
  if (process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath)) candidates.push(process.env.npm_execpath);
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'));
  try {
    const onPath = execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim();
    if (onPath) candidates.push(fs.realpathSync(onPath));
  } catch {
    /* no npm on PATH */
  }
  const found = candidates.find((c) => /npm-cli\.js$/.test(c) && fs.existsSync(c));
  if (!found) throw new Error(`npm-cli.js not found (tried ${candidates.join(', ')})`);
  return found;
}

/**
 * Runs npm with `nodeBin` (default: this process's Node). The directory of nodeBin goes first on PATH, so install
 * scripts and engine checks see that Node too. Resolves with {stdout, stderr}; rejects with npm's output on failure.
 */
function npm(args, { nodeBin = process.execPath, cwd = os.tmpdir(), timeoutMs = 300000 } = {}) {
  const env = { ...process.env, PATH: `${path.dirname(nodeBin)}${path.delimiter}${process.env.PATH || ''}` };
  // Settings of an outer `npm test` (prefix, lifecycle event, ...) must not leak into the nested npm.
  for (const k of Object.keys(env)) if (/^npm_/i.test(k)) delete env[k];
  return new Promise((resolve, reject) => {
    execFile(
      nodeBin,
      [npmCli(), ...args, '--no-audit', '--no-fund', '--no-update-notifier'],
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit code ${err.code}`;
          reject(new Error(`npm ${args.join(' ')} failed (${why}):\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
        } else resolve({ stdout, stderr });
      },
    );
  });
}

/**
 * A directory whose node_modules holds `specs` (e.g. ['node-red@4.1']) with their dependencies, installed once and
 * kept in os.tmpdir() under a key made of the specs (and the Node major when nodeBin is given), so reruns are fast.
 * npm runs in a scratch directory that is renamed into place: a half-finished install never becomes the cache, and
 * a concurrent run that wins the race is fine.
 */
async function cachedInstall(specs, { nodeBin, label } = {}) {
  const nodeMajor = nodeBin ? execFileSync(nodeBin, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim() : '';
  const key = (label || specs.join('+')).replace(/[^a-zA-Z0-9.+@-]/g, '_') + (nodeMajor ? `-node${nodeMajor}` : '');
  const dir = path.join(CACHE_ROOT, key);
  const marker = path.join(dir, '.installed');
  if (fs.existsSync(marker)) return dir;
  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(CACHE_ROOT, `.${key}-`));
  try {
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'oicp-test-cache', private: true }));
    await npm(['install', '--prefix', scratch, '--omit=dev', '--no-package-lock', ...specs], { nodeBin, cwd: scratch });
    fs.writeFileSync(path.join(scratch, '.installed'), `${specs.join(' ')}\n${new Date().toISOString()}\n`);
    if (fs.existsSync(marker)) return dir; // another run finished first
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(scratch, dir);
    return dir;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The version of `name` installed in a cachedInstall directory. */
function installedVersion(dir, name) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** Makes `name` from a cachedInstall directory loadable by the Node-RED of userDir (symlink). */
function linkPackage(cacheDir, name, userDir) {
  const target = path.join(cacheDir, 'node_modules', name);
  if (!fs.existsSync(path.join(target, 'package.json'))) throw new Error(`${name} is not installed in ${cacheDir}`);
  const link = path.join(userDir, 'node_modules', name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, 'dir');
}

module.exports = { CACHE_ROOT, npm, npmCli, cachedInstall, installedVersion, linkPackage };

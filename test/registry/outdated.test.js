'use strict';
// Scorecard rule D03 (dependencies not outdated), which needs the npm registry. Run by `npm run check:registry` and by CI,
// not by `npm test`, which must run offline. Without a registry it fails and says so: it never passes on missing data.
const fs = require('fs');
const path = require('path');
const assert = require('assert');
const { execFile } = require('child_process');
const semver = require('semver');

const PKG = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));

/**
 * D03 exception. undici 8 needs Node >= 22.19 while this package supports Node 20.18.1 (Node-RED 4.1 users), so
 * undici stays on major 7. It counts as not outdated while (a) the newest 7.x satisfies our range and (b) the newest
 * undici still refuses Node 20.18.1. When undici's latest runs on Node 20 again, (b) fails and the pin must go.
 */
const PINNED = { undici: { major: 7, reason: 'undici 8 requires Node >= 22.19; this package supports Node 20.18.1 for Node-RED 4.1' } };

function npmView(args) {
  return new Promise((resolve, reject) => {
    execFile(
      'npm',
      ['view', ...args, '--json', '--prefer-online', '--fetch-retries=1', '--fetch-timeout=20000'],
      { timeout: 60000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          reject(
            new Error(
              `D03 needs the npm registry: 'npm view ${args.join(' ')}' failed (${err.killed ? 'timeout' : `exit ${err.code}`}). ` +
                `Is ${process.env.npm_config_registry || 'https://registry.npmjs.org/'} reachable?\n${(stderr || '').slice(-1500)}`,
            ),
          );
          return;
        }
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`'npm view ${args.join(' ')}' did not answer JSON: ${stdout.slice(0, 300)}`));
        }
      },
    );
  });
}

describe('flow library scorecard, registry checks', function () {
  it('every pinned dependency is still a dependency', function () {
    assert.deepStrictEqual(
      Object.keys(PINNED).filter((name) => !(PKG.dependencies || {})[name]),
      [],
      'a pin for a package that is no longer a dependency: remove it from PINNED',
    );
  });

  it('D03 dependencies are not outdated (latest release satisfies the range; undici pinned to 7 with reason)', async function () {
    this.timeout(120000);
    const deps = Object.entries(PKG.dependencies || {});
    const results = await Promise.all(
      deps.map(async ([name, range]) => {
        const latest = await npmView([name, 'version']);
        assert.ok(semver.valid(latest), `npm view ${name} version gave ${JSON.stringify(latest)}`);
        if (semver.satisfies(latest, range)) return `${name}: ${range} covers latest ${latest}`;
        const pin = PINNED[name];
        assert.ok(pin, `${name}: latest ${latest} is outside ${range}; update the dependency (or document why it is pinned)`);
        assert.strictEqual(semver.minVersion(range).major, pin.major, `${name}: range ${range} is not on the pinned major ${pin.major}`);
        const inMajor = [].concat(await npmView([`${name}@${pin.major}`, 'version']));
        const newestInMajor = semver.maxSatisfying(inMajor, `${pin.major}.x`);
        assert.ok(newestInMajor && semver.satisfies(newestInMajor, range), `${name}: newest ${pin.major}.x is ${newestInMajor}, outside ${range}`);
        const engines = await npmView([`${name}@${latest}`, 'engines']);
        const needs = engines && engines.node;
        assert.ok(
          needs && !semver.satisfies('20.18.1', needs),
          `${name}: the pin's reason is gone (${latest} accepts Node 20.18.1: engines ${needs}); move to ${semver.major(latest)}.x`,
        );
        return `${name}: pinned to ${pin.major}.x (newest ${newestInMajor}) because ${pin.reason}; latest ${latest} needs Node ${needs}`;
      }),
    );
    // Why each dependency passed, for the CI log.
    for (const line of results) console.log(`      ${line}`);
  });
});

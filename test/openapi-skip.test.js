'use strict';
// Without Hubject's OpenAPI file (../shared missing), a test skips its schema assertions and still runs; only the
// tests about the schema pend, and one line says what was left out (test/support/openapi.js).
const os = require('os');
const path = require('path');
const assert = require('assert');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

describe('the OpenAPI checks without the OpenAPI file', function () {
  this.timeout(60000);

  it('leave out the schema assertions of core tests, which still run and pass or fail; only schema tests pend', function () {
    const env = { ...process.env, OICP_OPENAPI_DIR: path.join(os.tmpdir(), 'oicp-no-openapi-here'), CI: '' };
    const run = spawnSync(
      process.execPath,
      [require.resolve('mocha/bin/mocha.js'), '--no-config', '--reporter', 'spec', '--no-colors', 'test/fixtures/openapi-skip/sample.test.js'],
      { cwd: ROOT, env, encoding: 'utf8', timeout: 50000 },
    );
    const out = run.stdout + run.stderr;
    const count = (what) => Number((out.match(new RegExp(`(\\d+) ${what}`)) || [])[1] || 0);
    assert.deepStrictEqual({ passing: count('passing'), pending: count('pending'), failing: count('failing') }, { passing: 2, pending: 2, failing: 1 }, out);
    assert.match(out, /✔ core test one/);
    assert.match(out, /✔ core test two/);
    assert.match(out, /its own assertion failed/);
    assert.match(out, /- schema test: needs the file/);
    assert.match(out, /- schema test: needs one of Hubject's examples/);
    const lines = out.split('\n').filter((l) => /OpenAPI checks skipped/.test(l));
    assert.strictEqual(lines.length, 1, out);
    assert.match(
      lines[0],
      /5 schema assertions left out of 3 tests that still ran \(sample\.test\.js 5\); 2 schema tests pending \(sample\.test\.js 2\)\. .*cpo-2\.3-openapi\.yaml is missing/,
    );
  });
});

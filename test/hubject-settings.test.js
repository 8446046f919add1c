'use strict';
// The config node's settings read without Node-RED (src/hubject/config.ts): errors, warnings and the gate mode.
const assert = require('assert');
const { readHubjectSettings, insertMissingOf } = require('../nodes/hubject/config');

const say = (key, values) => (values ? `${key} ${JSON.stringify(values)}` : key);
const tls = (options = { cert: undefined, key: undefined }, more = {}) => ({ named: true, found: true, valid: true, options, ...more });
const rate = { value: 60, warnAbove: 60 };

describe('Hubject config settings (core)', function () {
  it('a custom URL without TLS can work; QA and PRODUCTION without a client certificate cannot', function () {
    const custom = readHubjectSettings(
      { environment: 'custom', url: ' http://127.0.0.1:1/ ', operatorId: 'de*abc' },
      tls({}, { named: false, found: false }),
      rate,
      say,
    );
    assert.deepStrictEqual(custom.errors, []);
    assert.strictEqual(custom.baseUrl, 'http://127.0.0.1:1/');
    assert.strictEqual(custom.operatorId, 'DE*ABC');
    const qa = readHubjectSettings({ environment: 'nonsense', operatorId: 'DE*ABC' }, tls({ ca: 'x' }), rate, say);
    assert.strictEqual(qa.envLabel, 'QA');
    assert.deepStrictEqual(qa.errors, ['errors.noClientCert {"env":"QA"}']);
    const missing = readHubjectSettings({ environment: 'production', operatorId: 'DE*ABC' }, tls({}, { found: false }), rate, say);
    assert.deepStrictEqual(missing.errors, ['errors.tlsMissing', 'errors.tlsNone {"env":"PRODUCTION"}']);
  });

  it('keeps the own OperatorID first, drops repeated sub-operators and names a bad one', function () {
    const s = readHubjectSettings(
      { environment: 'custom', url: 'https://h', operatorId: 'DE*ABC', subOperatorIds: 'DE*XYZ, de*abc;DE*XYZ nope' },
      tls(),
      rate,
      say,
    );
    assert.deepStrictEqual(s.operatorIds, ['DE*ABC', 'DE*XYZ']);
    assert.strictEqual(s.errors.length, 1);
    assert.match(s.errors[0], /^errors\.subOperator/);
  });

  it('warns of verification off (and keeps it as a caution), an unknown gate mode, a fast data rate', function () {
    const s = readHubjectSettings(
      { environment: 'custom', url: 'https://h', operatorId: 'DE*ABC', statusGate: 'sometimes' },
      tls({ rejectUnauthorized: false }),
      { value: 120, warnAbove: 60 },
      say,
    );
    assert.deepStrictEqual(s.warnings, ['warnings.verifyOff', 'warnings.statusGate {"value":"sometimes"}', 'warnings.dataRateLimit {"value":120}']);
    assert.strictEqual(s.caution, 'status.verifyOff');
    assert.strictEqual(s.gateMode, 'auto');
    assert.strictEqual(
      readHubjectSettings({ environment: 'custom', url: 'https://h', operatorId: 'DE*ABC', statusGate: 'off' }, tls(), rate, say).gateMode,
      'off',
    );
  });

  it('insertMissing: an old dialog saying false yields to a push node saying true', function () {
    assert.deepStrictEqual(insertMissingOf(false, undefined, [true]), { value: true, migrated: true });
    assert.deepStrictEqual(insertMissingOf(false, '2', [true]), { value: false, migrated: false });
    assert.deepStrictEqual(insertMissingOf(undefined, undefined, [true]), { value: undefined, migrated: false });
  });
});

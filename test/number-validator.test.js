'use strict';
// One number validator for runtime and editor (issue 24): the runtime parses dialog numbers with numberProblem
// (editorNumber) and exports that function's source through the node settings; every dialog builds its number
// validators from it. The same inputs go to the runtime parser and to each dialog's validator, which must agree:
// a dialog accepts a value exactly when the runtime runs it as typed (blank: the runtime's default).
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const { LIMITS, numberProblem } = require('../nodes/node-red/limits');
const { NUMBER_VALIDATOR_SOURCE } = require('../nodes/node-red/settings');
const { nodeSettings } = require('./support/node-settings');
const { message } = require('../nodes/node-red/i18n');
const { RedProcess } = require('./support/red-process');
const { inputs, runsAsTyped } = require('./support/number-inputs');

// The dialogs with number fields, and the node setting that carries each one's limits.
const DIALOGS = {
  'oicp-hubject-config': 'oicpHubjectConfig',
  'oicp-push-evse-status': 'oicpPushEvseStatus',
  'oicp-push-evse-data': 'oicpPushEvseData',
  'oicp-full-load': 'oicpFullLoad',
};

/** RED._ over the en-US catalogues, as the editor resolves "<module>/<type>:<key>". */
const translate = (id, values) => message('en-US', id.split(':')[0].split('/')[1], id.split(':')[1], values) ?? id;

/** A dialog's registerType definition, its script run against the runtime's node settings. */
function dialog(type) {
  const html = fs.readFileSync(path.join(__dirname, '..', 'nodes', `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)[1];
  const settings = Object.fromEntries(Object.entries(nodeSettings(type)).map(([k, v]) => [k, v.value]));
  let def;
  vm.runInNewContext(script, {
    RED: { settings, _: translate, nodes: { registerType: (_t, d) => (def = d), node: () => null } },
    $: () => ({ length: 0 }),
  });
  return def;
}

describe('one number validator for the runtime and every dialog', function () {
  it('the runtime parser accepts exactly what numberProblem accepts', function () {
    for (const [name, l] of Object.entries(LIMITS))
      for (const v of inputs(l)) assert.strictEqual(runsAsTyped(v, l), numberProblem(v, l) === undefined, `${name}: ${JSON.stringify(v)}`);
  });

  it('exports the validator through the node settings of every dialog with number fields', function () {
    for (const [type, prefix] of Object.entries(DIALOGS)) {
      const setting = nodeSettings(type)[`${prefix}NumberValidator`];
      assert.ok(setting, `${type}: ${prefix}NumberValidator`);
      assert.strictEqual(setting.exportable, true);
      assert.strictEqual(setting.value, NUMBER_VALIDATOR_SOURCE);
    }
  });

  it('the exported source runs with nothing but JavaScript (as in a browser) and gives the runtime verdicts and texts', function () {
    const make = vm.runInNewContext(`(function (RED) { return (${NUMBER_VALIDATOR_SOURCE})(RED); })`, {});
    const validator = make({ _: translate });
    for (const [name, l] of Object.entries(LIMITS)) {
      const validate = validator(l);
      for (const v of inputs(l)) {
        const problem = numberProblem(v, l);
        const expected = problem ? translate(`node-red-contrib-oicp/oicp-hubject-config:oicp-hubject-config.${problem.key}`, problem.values) : true;
        assert.strictEqual(validate(v, {}), expected, `${name}: ${JSON.stringify(v)}`);
      }
    }
    assert.strictEqual(validator(undefined)('junk', {}), true, 'no limit from an older runtime: the dialog accepts');
  });

  for (const [type, prefix] of Object.entries(DIALOGS)) {
    it(`${type}: each number field of the dialog gives the runtime parser's verdict on the same inputs`, function () {
      const def = dialog(type);
      const limits = nodeSettings(type)[`${prefix}Limits`].value;
      assert.ok(Object.keys(limits).length > 0);
      for (const [field, l] of Object.entries(limits)) {
        const validate = def.defaults[field] && def.defaults[field].validate;
        assert.strictEqual(typeof validate, 'function', `${type}.${field} has a validator`);
        for (const v of inputs(l)) {
          const verdict = validate.call({}, v, {});
          assert.strictEqual(verdict === true, runsAsTyped(v, l), `${type}.${field}: ${JSON.stringify(v)} -> ${verdict}`);
          if (verdict !== true) assert.match(verdict, new RegExp(`from ${l.min} to ${l.max}`), `${type}.${field}: a text naming the range`);
        }
      }
    });
  }

  it("a real Node-RED serves the validator's source to the editor in /settings", async function () {
    this.timeout(90000);
    const red = new RedProcess({ flows: [], env: { NODE_RED_DISABLE_TELEMETRY: '1' } });
    try {
      await red.start(60000);
      const r = await red.http('GET', '/settings');
      assert.strictEqual(r.status, 200, r.text);
      for (const prefix of Object.values(DIALOGS)) assert.strictEqual(r.json[`${prefix}NumberValidator`], NUMBER_VALIDATOR_SOURCE, prefix);
    } finally {
      await red.stop();
      red.cleanup();
    }
  });
});

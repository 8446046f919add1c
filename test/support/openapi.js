'use strict';
// Checks bodies against Hubject's official OpenAPI files and examples in ../shared/oicp, beside the project root.
//
// A clone on its own has no ../shared. Then every test still runs, without these checks: a test that reached an
// assert...() check runs to its end and, if it passed, is reported as pending (this.skip()); a check whose answer the
// test needs (isValid...(), readExample(), an EMP validator) skips the test at once. A failing test still fails. One
// line at the end says what was skipped and where the files come from. With CI=true a missing file fails the check.
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv = require('ajv');

const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared', 'oicp');
const CPO_FILE = path.join(SHARED, 'cpo-2.3-openapi.yaml');
const ORIGIN =
  "Hubject's OICP 2.3 OpenAPI files and examples (github.com/hubject/oicp, github.com/hubject/oicp-cpo-2.3-api-doc), " +
  'expected in ../shared/oicp beside the project';
const CI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI);

const available = fs.existsSync(CPO_FILE);

// While the files are missing: the test running now, tests whose assert...() check was skipped, and the skips by file.
let current = null;
const deferred = new WeakSet();
const skipped = new Map();

function noteSkipped(file, n) {
  const name = path.basename(file || 'unknown');
  skipped.set(name, (skipped.get(name) || 0) + n);
}

if (!available && !CI && typeof beforeEach === 'function') {
  // Loaded by a test file under mocha: track the running test from the root suite, whichever describe required this,
  // and let it end as pending when it passed with a skipped check.
  const track = function () {
    const test = this.currentTest;
    current = test;
    const fn = test.fn;
    if (!fn || fn.openapiWrapped) return;
    const end = (ctx) => {
      if (!deferred.has(test) || test.pending) return;
      noteSkipped(test.file, 1);
      ctx.skip();
    };
    test.fn = fn.length
      ? function (done) {
          return fn.call(this, (err) => {
            if (!err) {
              try {
                end(this);
              } catch {
                return; // skip() has called done
              }
            }
            done(err);
          });
        }
      : function () {
          const r = fn.call(this);
          if (r && typeof r.then === 'function') return r.then(() => end(this));
          end(this);
          return r;
        };
    test.fn.openapiWrapped = true;
  };
  let root = beforeEach(track);
  if (root.parent) {
    while (root.parent) root = root.parent;
    root.beforeEach(track);
  }
  root.afterEach(function () {
    current = null;
  });
  root.afterAll(function () {
    if (!skipped.size && !outside.size) return;
    const list = (m) => [...m].map(([file, n]) => `${file} ${n}`).join(', ');
    const tests = skipped.size ? `${[...skipped.values()].reduce((x, y) => x + y, 0)} tests show as pending (${list(skipped)})` : '';
    const hooks = outside.size ? `${[...outside.values()].reduce((x, y) => x + y, 0)} checks in hooks were left out (${list(outside)})` : '';
    const missing = path.relative(process.cwd(), CPO_FILE);
    console.log(`\n  OpenAPI checks skipped: ${[tests, hooks].filter(Boolean).join('; ')}. ${missing} is missing: it is one of ${ORIGIN}.`);
  });
}

const missingText = (file, what) => `${what} needs ${path.relative(process.cwd(), file)}, one of ${ORIGIN}`;
const ciText = (file, what) => `${missingText(file, what)}. CI=true runs every check, so the file must be there.`;

/** Makes sure `file` from ../shared/oicp is there; if not, skips the running test, or throws under CI=true. */
// Checks that ran in hooks or callbacks outside any test: they cannot be marked, so the summary line counts them.
const outside = new Map();
const present = new Map();
/**
 * True when `file` from ../shared/oicp is there. If not: under CI=true throws; with `defer`, marks the running test to
 * end as pending and returns false; otherwise skips the running test now.
 */
function need(file, what, defer = false) {
  if (!present.has(file)) present.set(file, fs.existsSync(file));
  if (present.get(file)) return true;
  if (CI) throw new Error(ciText(file, what));
  if (defer && !current) {
    const caller = (new Error().stack.match(/[\\/]([\w.-]+\.test\.js):/) || [])[1];
    outside.set(caller || 'unknown', (outside.get(caller || 'unknown') || 0) + 1);
    return false;
  }
  if (!current) throw new Error(`${missingText(file, what)}; it is missing, and this check ran outside a test, so it cannot be skipped.`);
  if (defer) {
    deferred.add(current);
    return false;
  }
  if (!current.pending) noteSkipped(current.file, 1);
  current.skip(); // throws mocha's pending marker, as this.skip() does
}

let compiled = null;
/** The CPO spec's validators, compiled on first use. */
function cpo(what) {
  need(CPO_FILE, what);
  if (compiled) return compiled;
  const spec = YAML.parse(fs.readFileSync(CPO_FILE, 'utf8'));
  // OpenAPI 3.0 schema objects are JSON Schema draft-04-ish; 'example' and 'maximum' on strings are ignored by ajv's non-strict mode.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ components: spec.components }, 'cpo.json');
  const recordItems = spec.components.schemas.eRoamingPushEvseStatus.properties.OperatorEvseStatus.properties.EvseStatusRecord.items;
  compiled = {
    ajv,
    push: ajv.getSchema('cpo.json#/components/schemas/eRoamingPushEvseStatus'),
    ack: ajv.getSchema('cpo.json#/components/schemas/eRoamingAcknowledgment'),
    record: ajv.compile({ ...recordItems, properties: { ...recordItems.properties, EvseID: { $ref: 'cpo.json#/components/schemas/EvseID' } } }),
  };
  return compiled;
}

let dataValidator = null;
/** eRoamingPushEvseData's validator: its patterns use escapes invalid in unicode mode (\\,), and date-time is only in lastUpdate, never sent. */
function dataSchema(what) {
  need(CPO_FILE, what);
  if (dataValidator) return dataValidator;
  const spec = YAML.parse(fs.readFileSync(CPO_FILE, 'utf8'));
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateFormats: false });
  ajv.addSchema({ components: spec.components }, 'cpo-data.json');
  dataValidator = { ajv, data: ajv.getSchema('cpo-data.json#/components/schemas/eRoamingPushEvseData') };
  return dataValidator;
}

function check(which, body, what) {
  if (!need(CPO_FILE, what, true)) return true;
  const v = which === 'data' ? dataSchema(what) : cpo(what);
  const validate = v[which];
  if (!validate(body)) {
    throw new Error(`${what} does not validate against cpo-2.3-openapi.yaml: ${v.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
  return true;
}

const empSchemas = new Map();
/**
 * A validator for a schema of the EMP side (emp-2.3-openapi.yaml), e.g. 'eRoamingEVSEStatus'. The file is read when the
 * validator is first called; validate.errors holds ajv's errors of the last call.
 */
function empSchema(name) {
  const validate = (body) => {
    const file = path.join(SHARED, 'emp-2.3-openapi.yaml');
    need(file, `EMP schema ${name}`);
    if (!empSchemas.has(name)) {
      const spec = YAML.parse(fs.readFileSync(file, 'utf8'));
      const ajv = new Ajv({ strict: false, allErrors: true });
      ajv.addSchema({ components: spec.components }, 'emp.json');
      empSchemas.set(name, ajv.getSchema(`emp.json#/components/schemas/${name}`));
    }
    const fn = empSchemas.get(name);
    const ok = fn(body);
    validate.errors = fn.errors;
    return ok;
  };
  validate.errors = null;
  return validate;
}

module.exports = {
  SHARED,
  /** True when Hubject's CPO OpenAPI file is there, so the checks run. */
  available,
  /** In a before hook or a test: this.skip() when the OpenAPI file is missing (throws under CI=true). */
  requireOpenApi(ctx, what = 'this test') {
    if (available) return;
    if (CI) throw new Error(ciText(CPO_FILE, what));
    const r = ctx.test;
    noteSkipped(r.file, r.type === 'hook' ? r.parent.tests.length : 1);
    ctx.skip();
  },
  /** Throws unless body is a valid eRoamingPushEvseStatus request. */
  assertPushEvseStatus: (body) => check('push', body, 'eRoamingPushEvseStatus'),
  /** Throws unless record is a valid EvseStatusRecord. */
  assertEvseStatusRecord: (record) => check('record', record, 'EvseStatusRecord'),
  assertAcknowledgement: (body) => check('ack', body, 'eRoamingAcknowledgment'),
  /** Throws unless body is a valid eRoamingPushEvseData request. */
  assertPushEvseData: (body) => check('data', body, 'eRoamingPushEvseData'),
  isValidPushEvseStatus: (body) => cpo('eRoamingPushEvseStatus').push(body),
  isValidEvseStatusRecord: (record) => cpo('EvseStatusRecord').record(record),
  empSchema,
  readExample: (name) => {
    const file = path.join(SHARED, 'examples', name);
    need(file, `example ${name}`);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  },
};

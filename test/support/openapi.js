'use strict';
// Checks bodies against Hubject's official OpenAPI files and examples in ../shared/oicp, beside the project root
// (OICP_OPENAPI_DIR overrides the place, e.g. to try a run without them).
//
// A clone on its own has no ../shared. Then every test still runs and counts: an assert...() check (and an EMP
// validator, which tests only ever expect to be true) is left out, and the test goes on to its end and passes or fails
// on its own assertions. Only a test about the schema skips (pending): one that needs a check's answer (isValid...(),
// readExample()) or says so with requireOpenApi(). One line at the end says what was left out and where the files come
// from. With CI=true a missing file fails the check.
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv = require('ajv');

const SHARED = process.env.OICP_OPENAPI_DIR ? path.resolve(process.env.OICP_OPENAPI_DIR) : path.resolve(__dirname, '..', '..', '..', 'shared', 'oicp');
const CPO_FILE = path.join(SHARED, 'cpo-2.3-openapi.yaml');
const ORIGIN =
  "Hubject's OICP 2.3 OpenAPI files and examples (github.com/hubject/oicp, github.com/hubject/oicp-cpo-2.3-api-doc), " +
  'expected in ../shared/oicp beside the project';
const CI = Boolean(process.env.CI) && !/^(0|false)$/i.test(process.env.CI);

const available = fs.existsSync(CPO_FILE);

// While the files are missing: the test running now, the schema tests skipped (by file), and the assertions left out.
let current = null;
const skipped = new Map();
const leftOut = { checks: 0, tests: new Set(), files: new Map() };

function noteSkipped(file, n) {
  const name = path.basename(file || 'unknown');
  skipped.set(name, (skipped.get(name) || 0) + n);
}

/** Counts an assertion left out, under the test file it ran from (a hook or a callback outside a test included). */
function noteLeftOut() {
  const caller = (new Error().stack.match(/[\\/]([\w.-]+\.test\.js):/) || [])[1];
  const name = caller || path.basename((current && current.file) || 'unknown');
  leftOut.checks++;
  leftOut.files.set(name, (leftOut.files.get(name) || 0) + 1);
  if (current) leftOut.tests.add(current);
}

if (!available && !CI && typeof beforeEach === 'function') {
  // Loaded by a test file under mocha: track the running test from the root suite, whichever describe required this.
  const track = function () {
    current = this.currentTest;
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
    if (!skipped.size && !leftOut.checks) return;
    const list = (m) => [...m].map(([file, n]) => `${file} ${n}`).join(', ');
    const sum = (m) => [...m.values()].reduce((x, y) => x + y, 0);
    const parts = [];
    if (leftOut.checks) parts.push(`${leftOut.checks} schema assertions left out of ${leftOut.tests.size} tests that still ran (${list(leftOut.files)})`);
    if (skipped.size) parts.push(`${sum(skipped)} schema tests pending (${list(skipped)})`);
    const missing = path.relative(process.cwd(), CPO_FILE);
    console.log(`\n  OpenAPI checks skipped: ${parts.join('; ')}. ${missing} is missing: it is one of ${ORIGIN}.`);
  });
}

const missingText = (file, what) => `${what} needs ${path.relative(process.cwd(), file)}, one of ${ORIGIN}`;
const ciText = (file, what) => `${missingText(file, what)}. CI=true runs every check, so the file must be there.`;

const present = new Map();
/**
 * True when `file` from ../shared/oicp is there. If not: under CI=true throws; with `assertion`, counts the assertion
 * left out and returns false (the test goes on); otherwise skips the running test now.
 */
function need(file, what, assertion = false) {
  if (!present.has(file)) present.set(file, fs.existsSync(file));
  if (present.get(file)) return true;
  if (CI) throw new Error(ciText(file, what));
  if (assertion) {
    noteLeftOut();
    return false;
  }
  if (!current) throw new Error(`${missingText(file, what)}; it is missing, and this check ran outside a test, so it cannot be skipped.`);
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

/** The authorization schemas: their EvcoID patterns, like the data schema's, need the non-unicode validator. */
const SESSION_SCHEMAS = {
  authorizeStart: 'eRoamingAuthorizeStart',
  authorizeStop: 'eRoamingAuthorizeStop',
  authorization: 'eRoamingAuthorizationStart',
  chargeDetailRecord: 'eRoamingChargeDetailRecord',
};
function sessionSchema(which, what) {
  const v = dataSchema(what);
  if (!v[which]) v[which] = v.ajv.getSchema(`cpo-data.json#/components/schemas/${SESSION_SCHEMAS[which]}`);
  return v;
}

function check(which, body, what) {
  if (!need(CPO_FILE, what, true)) return true;
  const v = which === 'data' ? dataSchema(what) : which in SESSION_SCHEMAS ? sessionSchema(which, what) : cpo(what);
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
    // Tests only expect these to be true: without the file the assertion is left out.
    if (!need(file, `EMP schema ${name}`, true)) {
      validate.errors = null;
      return true;
    }
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
  /** Throws unless body is a valid eRoamingAuthorizeStart / eRoamingAuthorizeStop request. */
  assertAuthorizeStart: (body) => check('authorizeStart', body, 'eRoamingAuthorizeStart'),
  assertAuthorizeStop: (body) => check('authorizeStop', body, 'eRoamingAuthorizeStop'),
  /** Throws unless body is a valid eRoamingAuthorizationStart answer (the simulator's). */
  assertAuthorizationStart: (body) => check('authorization', body, 'eRoamingAuthorizationStart'),
  /** Throws unless body is a valid eRoamingChargeDetailRecord request. */
  assertChargeDetailRecord: (body) => check('chargeDetailRecord', body, 'eRoamingChargeDetailRecord'),
  /** Throws unless body is a valid eRoamingPushEvseData request. */
  assertPushEvseData: (body) => check('data', body, 'eRoamingPushEvseData'),
  /** Throws if body is a valid eRoamingPushEvseStatus request (a body meant to be refused). */
  assertNotPushEvseStatus: (body) => {
    if (!need(CPO_FILE, 'eRoamingPushEvseStatus', true)) return true;
    if (cpo('eRoamingPushEvseStatus').push(body))
      throw new Error(`a body meant to be invalid validates against cpo-2.3-openapi.yaml: ${JSON.stringify(body).slice(0, 500)}`);
    return true;
  },
  isValidPushEvseStatus: (body) => cpo('eRoamingPushEvseStatus').push(body),
  isValidEvseStatusRecord: (record) => cpo('EvseStatusRecord').record(record),
  empSchema,
  readExample: (name) => {
    const file = path.join(SHARED, 'examples', name);
    need(file, `example ${name}`);
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  },
};

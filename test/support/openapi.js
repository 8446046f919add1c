'use strict';
// Validates bodies against Hubject's official OpenAPI file in ../shared (beside the project root).
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');
const Ajv = require('ajv');

const SHARED = path.resolve(__dirname, '..', '..', '..', 'shared', 'oicp');
const spec = YAML.parse(fs.readFileSync(path.join(SHARED, 'cpo-2.3-openapi.yaml'), 'utf8'));

// OpenAPI 3.0 schema objects are JSON Schema draft-04-ish; 'example' and 'maximum' on strings are ignored by ajv's non-strict mode.
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addSchema({ components: spec.components }, 'cpo.json');

const pushSchema = ajv.getSchema('cpo.json#/components/schemas/eRoamingPushEvseStatus');
const ackSchema = ajv.getSchema('cpo.json#/components/schemas/eRoamingAcknowledgment');
const recordItems = spec.components.schemas.eRoamingPushEvseStatus.properties.OperatorEvseStatus.properties.EvseStatusRecord.items;
const recordSchema = ajv.compile({
  ...recordItems,
  properties: { ...recordItems.properties, EvseID: { $ref: 'cpo.json#/components/schemas/EvseID' } },
});

function check(validate, body, what) {
  if (!validate(body)) {
    const err = new Error(`${what} does not validate against cpo-2.3-openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    throw err;
  }
  return true;
}

module.exports = {
  SHARED,
  spec,
  /** Throws unless body is a valid eRoamingPushEvseStatus request. */
  assertPushEvseStatus: (body) => check(pushSchema, body, 'eRoamingPushEvseStatus'),
  /** Throws unless record is a valid EvseStatusRecord. */
  assertEvseStatusRecord: (record) => check(recordSchema, record, 'EvseStatusRecord'),
  assertAcknowledgement: (body) => check(ackSchema, body, 'eRoamingAcknowledgment'),
  isValidPushEvseStatus: (body) => pushSchema(body),
  isValidEvseStatusRecord: (record) => recordSchema(record),
  readExample: (name) => JSON.parse(fs.readFileSync(path.join(SHARED, 'examples', name), 'utf8')),
};

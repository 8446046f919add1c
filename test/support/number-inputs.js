'use strict';
// Inputs for a dialog number field and the runtime parser's verdict on them, shared by test/number-validator.test.js
// and its browser twin test/e2e/number-validator.test.js.
const { editorNumber } = require('../../nodes/node-red/limits');

/** Inputs around a limit, and what flows and hand-edited flows carry. */
function inputs(l) {
  const span = l.max - l.min;
  const around = [l.min, l.max, l.default, l.min - 1, l.max + 1, l.min + span / 3, l.max + 0.5, l.min - 0.001, l.max / 2];
  return [
    ...around,
    ...around.map(String),
    ...around.map((n) => ` ${n} `),
    '',
    '   ',
    undefined,
    null,
    '0',
    '1',
    '2.5',
    '-1',
    '+3',
    '.5',
    '5.',
    '1e3',
    '1E2',
    '1e400',
    '0x10',
    '0b1',
    '1,5',
    '1 000',
    '12abc',
    'abc',
    'NaN',
    'Infinity',
    '-Infinity',
    '-0',
    0,
    -0,
    2.5,
    1e21,
    NaN,
    Infinity,
    true,
    false,
    [],
    [5],
    {},
  ];
}

/**
 * The runtime parser's verdict: true when it runs the value as typed (blank: its default). Parsed once more with a
 * default of NaN, so a fallback to the default never passes for the typed value ('0b1' where the default is 1).
 */
function runsAsTyped(v, l) {
  const text = v === undefined || v === null ? '' : String(v).trim();
  if (text === '') return editorNumber(v, l) === l.default;
  return editorNumber(v, l) === Number(text) && editorNumber(v, { ...l, default: NaN }) === Number(text);
}

module.exports = { inputs, runsAsTyped };

'use strict';
// Reads the state files under <userDir>/oicp without changing them (a live Node-RED may be writing them).
const fs = require('fs');
const path = require('path');
const { Journal } = require('../../nodes/journal');

/** The held statuses of the one operator in <userDir>/oicp/gate, as "EvseID=Status", in hold order. */
function readHeld(gateDir) {
  let names;
  try {
    names = fs.readdirSync(gateDir);
  } catch {
    return [];
  }
  const file = names.find((n) => /\.(jsonl|journal)$/.test(n));
  if (!file) return [];
  const j = new Journal({ snapshot: path.join(gateDir, file.replace(/\.(jsonl|journal)$/, '.jsonl')), format: 'oicp-held-statuses' });
  j.load(undefined, { readOnly: true });
  return [...j.values()].map((e) => `${e.record.EvseID}=${e.record.EvseStatus}`);
}

module.exports = { readHeld };

'use strict';
// Reads the state files under <userDir>/oicp without changing them (a live Node-RED may be writing them).
const fs = require('fs');
const path = require('path');
let Journal;
try {
  ({ Journal } = require('../../nodes/journal'));
} catch {
  // A checkout before the journal engine (checking that a test fails there): its gate file is one JSON file.
  Journal = null;
}

/** The held statuses of the one operator in <userDir>/oicp/gate, as "EvseID=Status", in hold order. */
function readHeld(gateDir) {
  let names;
  try {
    names = fs.readdirSync(gateDir);
  } catch {
    return [];
  }
  if (!Journal) {
    try {
      const f = names.find((n) => n.endsWith('.json'));
      return JSON.parse(fs.readFileSync(path.join(gateDir, f), 'utf8')).held.map((e) => `${e.record.EvseID}=${e.record.EvseStatus}`);
    } catch {
      return [];
    }
  }
  const file = names.find((n) => /\.(jsonl|journal)$/.test(n));
  if (!file) return [];
  const j = new Journal({ snapshot: path.join(gateDir, file.replace(/\.(jsonl|journal)$/, '.jsonl')), format: 'oicp-held-statuses' });
  j.load(undefined, { readOnly: true });
  return [...j.values()].map((e) => `${e.record.EvseID}=${e.record.EvseStatus}`);
}

module.exports = { readHeld };

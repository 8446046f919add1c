'use strict';
// A node's settings as its adapter hands them to RED.nodes.registerType (each adapter builds its own; the kit only
// offers the mechanism). The adapter module runs against a RED that records the registration and nothing else.
const path = require('path');

const NODES = path.join(__dirname, '..', '..', 'nodes');

/** The settings object `{ <name>: { value, exportable } }` the adapter of `type` registers. */
function nodeSettings(type) {
  let settings;
  const RED = {
    _: (id) => id,
    settings: {},
    nodes: {
      registerType: (t, _ctor, opts) => {
        if (t === type) settings = opts?.settings;
      },
      getNode: () => null,
    },
  };
  require(path.join(NODES, `${type}.js`))(RED);
  if (!settings) throw new Error(`${type} registered no node settings`);
  return settings;
}

module.exports = { nodeSettings };

'use strict';
// Two tiny node types the benchmarks wire into their flows (loaded through settings.nodesDir):
// - bench-sink: terminal node; counts messages and calls the hook the benchmark registered under its id;
// - bench-probe: calls the hook, then passes the message on unchanged (one wire, so Node-RED never clones it).
// Hooks live in this module, which the benchmark requires by the same absolute path Node-RED loads it from.

const hooks = new Map();

module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.count = 0;
    node.on('input', function (msg) {
      node.count++;
      const h = hooks.get(node.id);
      if (h !== undefined) h(msg);
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);

  function BenchProbe(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.count = 0;
    node.on('input', function (msg, send, done) {
      node.count++;
      const h = hooks.get(node.id);
      if (h !== undefined) h(msg);
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-probe', BenchProbe);
};

module.exports.hooks = hooks;

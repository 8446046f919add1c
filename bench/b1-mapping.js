'use strict';
// B1: mapping throughput. 200,000 OCPP 1.6 StatusNotifications in node-red-contrib-ocpp's shape through
//   a) the oicp-ocpp-status mapper (template DE*ABC*E{chargeBoxId}*{connectorId}, onlyChanges false), and
//   b) a function node doing the same table lookup and EvseID template,
// each followed by a counting sink, inside one embedded Node-RED (one process per run, arms alternate their order).
// Messages enter with node.receive() on the first node; the first node's send() goes through the runtime's router.
// Message objects are built outside the timed windows (chunks of 10,000) and fed in batches of 200 per macrotask.
const { startRed } = require('./lib/red');
const { SessionModel, Fleet, TEMPLATE, uuid, ocppMessage, mulberry32 } = require('./lib/model');
const { now, tick, args, runMain } = require('./lib/util');
const { EVSE_ID, naiveFunction } = require('./lib/naive');

const FUNCTION_NODE = naiveFunction("Hubject's table and the EvseID template in a function node", `msg.payload = { EvseID: ${EVSE_ID}, EvseStatus: status };
msg.topic = msg.payload.EvseID;
return msg;`);

const MAPPER_SETTINGS = { evseIdTemplate: TEMPLATE, onlyChanges: false, hubject: '', unknownStatus: 'error', connector0: 'ignore', offline: 'ignore' };

async function main() {
  const a = args();
  const total = a.messages || 200000;
  const warmup = a.warmup ?? 20000;
  const order = a.order || ['mapper', 'function'];
  const seed = a.seed || 1;
  const CHUNK = 10000;
  const BATCH = 200;

  const red = await startRed([
    { id: 'map', type: 'oicp-ocpp-status', name: 'ocpp status', lookup: [], mapping: {}, otherOutput: false, outputs: 1, ...MAPPER_SETTINGS, wires: [['sinkM']] },
    { id: 'sinkM', type: 'bench-sink', wires: [] },
    { id: 'fn', type: 'function', name: 'status table', func: FUNCTION_NODE, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['sinkF']] },
    { id: 'sinkF', type: 'bench-sink', wires: [] },
  ]);

  const fleet = new Fleet(5000);
  const arms = { mapper: { first: red.node('map'), sink: red.node('sinkM') }, function: { first: red.node('fn'), sink: red.node('sinkF') } };
  const errors = { mapper: 0, function: 0 };
  red.node('map').on('call:error', () => errors.mapper++);

  /** Feeds n messages of a fresh seeded stream; returns the ms spent while the pipeline was busy. */
  async function feed(arm, n, streamSeed) {
    const model = new SessionModel({ evses: fleet.size, seed: streamSeed });
    const r = mulberry32(streamSeed ^ 0x5eed);
    const { first, sink } = arms[arm];
    let busy = 0;
    const t0ts = Date.UTC(2026, 0, 1);
    for (let done = 0; done < n; done += CHUNK) {
      const m = Math.min(CHUNK, n - done);
      const msgs = new Array(m);
      for (let i = 0; i < m; i++) {
        const { evse, status } = model.next();
        msgs[i] = ocppMessage(fleet.cb[evse], fleet.connector[evse], status, new Date(t0ts + (done + i) * 10).toISOString(), uuid(r), uuid(r));
      }
      const target = sink.count + m;
      let resolveDone;
      const finished = new Promise((res) => { resolveDone = res; });
      red.hook(sink.id, () => { if (sink.count >= target) resolveDone(); });
      const t0 = now();
      for (let i = 0; i < m; i += BATCH) {
        const end = Math.min(m, i + BATCH);
        for (let k = i; k < end; k++) first.receive(msgs[k]);
        await tick();
      }
      await finished;
      busy += now() - t0;
      red.hook(sink.id, undefined);
      if (global.gc) global.gc();
    }
    return busy;
  }

  const result = { messages: total, warmup, order, settings: { mapper: MAPPER_SETTINGS, functionNode: 'table lookup + EvseID template, every message emitted' } };
  for (const arm of order) await feed(arm, warmup, seed + 1000);
  for (const arm of order) {
    const ms = await feed(arm, total, seed);
    result[arm] = { ms, rate: (total / ms) * 1000 };
  }
  result.ratio = result.mapper.rate / result.function.rate;
  result.outputs = { mapper: arms.mapper.sink.count, function: arms.function.sink.count };
  await red.stop();
  return result;
}

runMain(main);

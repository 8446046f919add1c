'use strict';
// B6: authorization overhead. Bursts of 50 concurrent OCPP 1.6 Authorize requests (node-red-contrib-ocpp's shape,
// 50 different RFID UIDs in lower case) go into the flow at once, injected with node.receive(); the simulator (own
// process, mutual TLS) answers AuthorizeStart after 50 ms. Per request: the time from entering the flow to the
// charger's answer leaving it, minus the simulator's 50 ms, is the overhead.
//
// Arms, alternating burst by burst in one run (same Node-RED, same simulator):
//   node   oicp-authorize (timeout 5 s) -> its first output
//   hand   function (AuthorizeStart body, UID upper-cased) -> http request (POST, the same tls-config, ret obj)
//          -> function (Authorized -> Accepted, else Invalid)                       (what integrators wire today)
// A warm-up burst per arm opens the connections first (TLS handshakes are not what B6 measures).
const path = require('path');
const { startRed } = require('./lib/red');
const { startSimProcess } = require('./lib/sim');
const { now, sleep, args, runMain, percentile, until } = require('./lib/util');
const { hubjectNodes } = require('../test/support/flows');
const { operationUrl } = require(path.join(__dirname, '..', 'nodes', 'oicp', 'operations'));

const OPERATOR_ID = 'DE*ABC';

const HAND_BODY = `// What integrators wire today: the AuthorizeStart body from node-red-contrib-ocpp's Authorize.
const idTag = msg.payload && msg.payload.data && msg.payload.data.idTag;
msg.payload = { OperatorID: 'DE*ABC', Identification: { RFIDMifareFamilyIdentification: { UID: String(idTag).toUpperCase() } } };
return msg;`;
const HAND_ANSWER = `const a = msg.payload || {};
msg.ocpp = { idTagInfo: { status: a.AuthorizationStatus === 'Authorized' ? 'Accepted' : 'Invalid' } };
return msg;`;

function flow(sim) {
  const hub = hubjectNodes(sim.certs, sim.url, { timeout: 30 });
  const url = operationUrl(sim.url, 'authorizeStart', OPERATOR_ID);
  return [
    ...hub,
    { id: 'auth', type: 'oicp-authorize', name: 'authorize', hubject: 'hub1', action: 'start', timeout: 5, localList: '', evseIdTemplate: '', partnerProductId: '', wires: [['outNode'], []] },
    { id: 'outNode', type: 'bench-sink', wires: [] },
    { id: 'handBody', type: 'function', name: 'AuthorizeStart body', func: HAND_BODY, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['handReq']] },
    { id: 'handReq', type: 'http request', name: 'Hubject AuthorizeStart', method: 'POST', ret: 'obj', paytoqs: 'ignore', url, tls: 'tls1', persist: false, proxy: '', insecureHTTPParser: false, authType: '', senderr: false, headers: [], wires: [['handAnswer']] },
    { id: 'handAnswer', type: 'function', name: 'charger answer', func: HAND_ANSWER, outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [], wires: [['outHand']] },
    { id: 'outHand', type: 'bench-sink', wires: [] },
  ];
}

let uidSeq = 0;
function authorizeMsg() {
  const n = ++uidSeq;
  const uid = (0x04000000 + n).toString(16).padStart(8, '0'); // 8 hex digits, lower case
  return {
    ocpp: { chargeBoxIdentity: 'CP1', MessageId: `m-${n}`, msgType: 2, command: 'Authorize' },
    payload: { command: 'Authorize', data: { idTag: uid } },
    msgId: `id-${n}`,
  };
}

async function main() {
  const a = args();
  const concurrency = a.concurrency || 50;
  const bursts = a.bursts || 20; // per arm
  const latencyMs = a.latencyMs ?? 50;
  const sim = await startSimProcess({ latencyMs, mode: 'none' });
  const red = await startRed(flow(sim));
  const arms = {
    node: { first: red.node('auth'), sink: 'outNode', samples: [], answers: {} },
    hand: { first: red.node('handBody'), sink: 'outHand', samples: [], answers: {} },
  };
  for (const arm of Object.values(arms)) {
    red.hook(arm.sink, (msg) => {
      const t = now();
      arm.pending--;
      if (arm.record) arm.samples.push(t - msg.benchT0);
      const status = msg.ocpp && msg.ocpp.idTagInfo && msg.ocpp.idTagInfo.status;
      arm.answers[status] = (arm.answers[status] || 0) + 1;
    });
  }
  async function burst(arm, record) {
    arm.pending = concurrency;
    arm.record = record;
    const msgs = Array.from({ length: concurrency }, authorizeMsg);
    for (const m of msgs) {
      m.benchT0 = now();
      arm.first.receive(m);
    }
    if (!(await until(() => arm.pending <= 0, 30000, 'burst answered', 1))) throw new Error(`${arm.sink}: ${arm.pending} of ${concurrency} unanswered after 30 s`);
    await sleep(100);
  }
  await burst(arms.node, false);
  await burst(arms.hand, false);
  for (let i = 0; i < bursts; i++) for (const k of i % 2 ? ['hand', 'node'] : ['node', 'hand']) await burst(arms[k], true);
  const summary = (arm) => {
    const over = arm.samples.map((x) => x - latencyMs).sort((p, q) => p - q);
    return {
      samples: over.length,
      p50: percentile(over, 50),
      p99: percentile(over, 99),
      max: over[over.length - 1],
      answers: arm.answers,
    };
  };
  const out = { concurrency, bursts, latencyMs, node: summary(arms.node), hand: summary(arms.hand) };
  await red.stop();
  await sim.stop();
  return out;
}

runMain(main);

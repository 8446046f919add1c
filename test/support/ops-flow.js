'use strict';
// A small flow with known traffic for the operations endpoints and sidebar: three EVSEs inserted once at start, the
// same records stored in a full load node whose fullLoad goes to a second push node (sent only when asked), whose
// output goes back to the full load node so it learns Hubject's answer.
const EVSES = [
  { EvseID: 'DE*ABC*E1001', EvseStatus: 'Available' },
  { EvseID: 'DE*ABC*E1002', EvseStatus: 'Available' },
  { EvseID: 'DE*ABC*E1003', EvseStatus: 'Occupied' },
];

// Sent only when the inject node in2 is triggered (POST /inject/in2).
const MORE = EVSES.map((e, i) => ({ EvseID: `DE*ABC*E200${i + 1}`, EvseStatus: 'Available' }));

function opsFlow(certs, url, { retryBase = 0.05, retryMax = 0.5, onceDelay = 0.5 } = {}) {
  const client = certs.clients['DE*ABC'];
  return [
    { id: 'tab1', type: 'tab', label: 'OICP ops' },
    { id: 'tls1', type: 'tls-config', name: 'sim tls', cert: client.cert, key: client.key, ca: certs.caCert, verifyservercert: true, servername: '' },
    {
      id: 'hub1',
      type: 'oicp-hubject-config',
      environment: 'custom',
      url,
      operatorId: 'DE*ABC',
      operatorName: 'Demo CPO',
      tls: 'tls1',
      timeout: 5,
      rateLimit: 2000,
      retryBase,
      retryMax,
    },
    {
      id: 'in1',
      type: 'inject',
      z: 'tab1',
      name: 'three EVSEs',
      props: [{ p: 'payload' }],
      once: true,
      onceDelay,
      payload: JSON.stringify(EVSES),
      payloadType: 'json',
      repeat: '',
      wires: [['push1', 'fl1']],
    },
    {
      id: 'in2',
      type: 'inject',
      z: 'tab1',
      name: 'three more EVSEs',
      props: [{ p: 'payload' }],
      once: false,
      payload: JSON.stringify(MORE),
      payloadType: 'json',
      repeat: '',
      wires: [['push1']],
    },
    { id: 'push1', type: 'oicp-push-evse-status', z: 'tab1', name: 'insert', hubject: 'hub1', action: 'insert', wires: [[]] },
    { id: 'fl1', type: 'oicp-full-load', z: 'tab1', name: 'daily', hubject: 'hub1', time: '03:00', staleDays: 7, minRatio: 0.5, wires: [['push2']] },
    { id: 'push2', type: 'oicp-push-evse-status', z: 'tab1', name: 'fullLoad', hubject: 'hub1', action: 'fullLoad', wires: [['fl1']] },
  ];
}

module.exports = { opsFlow, EVSES, MORE };

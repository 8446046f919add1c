'use strict';
// Authorizations do not queue behind each other on one connection (B6): every charger waits on its own answer, and
// a burst on a single connection would hold the later ones until their short timeout.
const assert = require('assert');
const fs = require('fs');
const { HubjectClient } = require('../nodes/oicp/client');
const { startSim } = require('./support/sim');
const { until } = require('./support/until');

describe('client: AuthorizeStart calls run side by side', function () {
  this.timeout(30000);
  let sim;
  let client;
  after(async () => {
    if (client) await client.close?.();
    if (sim) await sim.sim.stop();
  });

  it('10 concurrent AuthorizeStarts all reach Hubject before the first is answered', async function () {
    sim = await startSim();
    const pair = sim.certs.clients['DE*ABC'];
    client = new HubjectClient({
      baseUrl: sim.url,
      operatorId: 'DE*ABC',
      timeoutMs: 20000,
      tls: { cert: fs.readFileSync(pair.cert), key: fs.readFileSync(pair.key), ca: fs.readFileSync(sim.certs.caCert) },
    });
    // The simulator holds each answer until the test lets it go (a long latency), counting what arrived at once.
    sim.sim.authorization.latencyMs = 4000;
    let answered = 0;
    const calls = Array.from({ length: 10 }, (_, i) => {
      const body = { OperatorID: 'DE*ABC', Identification: { RFIDMifareFamilyIdentification: { UID: (0x0a000000 + i).toString(16).toUpperCase() } } };
      return client.call('authorizeStart', 'DE*ABC', body).then((r) => {
        answered++;
        return r;
      });
    });
    await until(() => sim.sim.authorization.received.authorizeStart === 10 || answered > 0, 15000, 'all 10 at the simulator, or a first answer');
    assert.strictEqual(answered, 0, 'an answer came before all 10 requests had arrived: they queue on one connection');
    assert.strictEqual(sim.sim.authorization.received.authorizeStart, 10);
    const results = await Promise.all(calls);
    for (const r of results) assert.strictEqual(r.authorization, 'Authorized', JSON.stringify(r));
  });
});

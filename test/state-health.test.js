'use strict';
// What the sidebar (/oicp/state) and /oicp/metrics show of state files that are damaged or cannot be written.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { FileGateStore } = require('../nodes/status/gate-store');
const { stateHealth } = require('../nodes/journal');
const { opsState } = require('../nodes/ops/stats');
const { createMetrics } = require('../nodes/ops/metrics');
const { failingIo } = require('./fixtures/journal/io');

describe('state health: sidebar state and metrics', function () {
  let dir;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-health-'));
    stateHealth.reset();
  });
  afterEach(() => {
    stateHealth.reset();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a damaged gate file and a failing write show in /oicp/state and are counted in the metrics', async function () {
    const file = path.join(dir, 'gate.json');
    fs.writeFileSync(file, 'not json at all');
    const { io, state } = failingIo();
    const store = new FileGateStore(file, 'DE*ABC', io);
    store.load().should.eql([]);
    let s = opsState(Date.now()).stateFiles.find((p) => p.file === file);
    s.should.match({ kind: 'gate', operatorId: 'DE*ABC', incomplete: true });
    s.damage.movedTo[0].should.match(/^gate\.json\.damaged-/);
    state.code = 'ENOSPC';
    await store.save([{ action: 'update', since: 1, record: { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' } }]).should.be.rejected();
    s = opsState(Date.now()).stateFiles.find((p) => p.file === file);
    s.writeError.code.should.equal('ENOSPC');
    const text = await createMetrics().text();
    text.should.match(/oicp_state_write_errors_total\{kind="gate"\} 1/);
    text.should.match(/oicp_state_files_damaged\{kind="gate"\} 1/);
    state.code = null;
    await store.save([{ action: 'update', since: 1, record: { EvseID: 'DE*ABC*E1', EvseStatus: 'Available' } }]);
    (opsState(Date.now()).stateFiles.find((p) => p.file === file).writeError === undefined).should.be.true();
  });
});

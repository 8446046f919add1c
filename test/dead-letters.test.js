'use strict';
// The dead-letter list (src/push/dead-letters.ts) and how the queue fills it: records refused for good while no input
// message waited for them. A stub transport answers like Hubject; no network.
require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { DeadLetters, FileKeyedStore, refusalReport } = require('../nodes/push/dead-letters');
const { PushQueue } = require('../nodes/push/queue');
const { statusPolicy } = require('../nodes/push/status-lane');
const { until } = require('./support/until');
const { stateHealth } = require('../nodes/journal');

const rec = (n, EvseStatus = 'Available') => ({ EvseID: `DE*ABC*E${n}*1`, EvseStatus });
const refused = (code, info) => async () => ({
  class: 'data',
  httpStatus: 200,
  statusCode: { Code: code, Description: 'refused', AdditionalInfo: info },
  reason: `${code} refused`,
  durationMs: 1,
});

describe('dead-letter list', function () {
  let dir;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-dead-'));
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps entries by item key across a restart, clears them, and sets a damaged file aside', async function () {
    const file = path.join(dir, 'dl', 'x-data.json');
    const a = new DeadLetters('data', new FileKeyedStore(file));
    const letter = (key, id) => ({ key, id, operation: 'data', action: 'insert', reason: 'r', time: new Date(0).toISOString(), record: { EvseID: id } });
    a.add([letter('K1', 'DE*ABC*E1'), letter('K2', 'DE*ABC*E2')]);
    a.clear(['K1']);
    await a.flush();
    const b = new DeadLetters('data', new FileKeyedStore(file));
    b.list()
      .map((l) => l.id)
      .should.eql(['DE*ABC*E2']);
    b.take()
      .map((l) => l.record.EvseID)
      .should.eql(['DE*ABC*E2']);
    b.count.should.equal(0);

    a.close();
    b.close();
    const d = new DeadLetters('data', new FileKeyedStore(file));
    for (const n of [3, 4, 5]) {
      d.add([letter(`K${n}`, `DE*ABC*E${n}`)]);
      await d.flush();
    }
    d.close();
    // Damage in the middle of the journal: what comes before it is kept, the file is renamed aside, and the state
    // registry reports it for the operator and operation, as for every other store.
    const journal = path.join(dir, 'dl', 'x-data.journal');
    const lines = fs.readFileSync(journal, 'utf8').split('\n');
    // The first flush after a restart writes a snapshot (K3); K4 and K5 are journal lines.
    lines.length.should.equal(4);
    lines[1] = 'garbage';
    fs.writeFileSync(journal, lines.join('\n'));
    stateHealth.reset();
    const errors = [];
    const c = new DeadLetters('data', new FileKeyedStore(file, (e) => errors.push(e.message), { operatorId: 'DE*ABC', operation: 'data' }));
    c.list()
      .map((l) => l.id)
      .should.eql(['DE*ABC*E3']);
    errors[0].should.match(/could not be read.*moved to .*damaged-/);
    fs.readdirSync(path.dirname(file))
      .some((f) => f.includes('.damaged-'))
      .should.be.true();
    const problems = stateHealth.of((p) => p.kind === 'dead-letters');
    problems.should.have.length(1);
    problems[0].should.match({ operatorId: 'DE*ABC', operation: 'data', incomplete: true });
    c.close();
  });

  it('migrates the one-file list of the format before the journal engine, and appends a line per change', async function () {
    const file = path.join(dir, 'dl', 'y-status.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const letter = (key) => ({ key, id: key, operation: 'status', action: 'update', reason: 'r', time: new Date(0).toISOString(), record: { EvseID: key } });
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        items: [
          ['A', letter('A')],
          ['B', letter('B')],
        ],
      }),
    );
    const store = new FileKeyedStore(file);
    const a = new DeadLetters('status', store);
    a.list()
      .map((l) => l.key)
      .should.eql(['A', 'B']);
    fs.existsSync(file).should.be.false();
    fs.existsSync(path.join(dir, 'dl', 'y-status.jsonl')).should.be.true();
    const before = store.journal.stats.bytesWritten;
    a.clear(['A']);
    await a.flush();
    const one = store.journal.stats.bytesWritten - before;
    for (let i = 0; i < 200; i++) a.add([letter(`K${i}`)]);
    await a.flush();
    const mid = store.journal.stats.bytesWritten;
    a.clear(['B']);
    await a.flush();
    // One change costs one line, whatever the length of the list.
    (store.journal.stats.bytesWritten - mid).should.be.below(one * 2);
    a.close();
    const b = new DeadLetters('status', new FileKeyedStore(file));
    b.count.should.equal(200);
    b.close();
  });

  it('the queue lists records refused with no owner or no input waiting, not those an input waits for, and a new record clears its entry', async function () {
    const deadLetters = new DeadLetters('status');
    const q = new PushQueue({ policy: statusPolicy, operatorId: 'DE*ABC', deadLetters, backoffBaseMs: 1, insertMissing: false });
    const events = [];
    q.on('dead-letter', (ev) => events.push(ev));
    q.enqueue('update', [rec(1), rec(2)], null); // as restored from the outbox
    const waiting = { nodeId: 'p1', pending: 0, failures: [], settle: () => {} };
    q.enqueue('update', [rec(3)], waiting);
    const scheduled = { nodeId: 'p1', pending: 0, failures: [], settle: () => {}, noInput: true };
    q.enqueue('update', [rec(4)], scheduled);
    q.start(refused('019', 'DE*ABC*E1*1 DE*ABC*E2*1 DE*ABC*E3*1 DE*ABC*E4*1'));
    await until(() => q.queued === 0, 5000, 'all refused');
    q.stop();
    deadLetters
      .list()
      .map((l) => [l.id, l.action, l.code])
      .should.eql([
        ['DE*ABC*E1*1', 'update', '019'],
        ['DE*ABC*E2*1', 'update', '019'],
        ['DE*ABC*E4*1', 'update', '019'],
      ]);
    events.flatMap((e) => e.failures.map((f) => f.id)).should.eql(['DE*ABC*E1*1', 'DE*ABC*E2*1', 'DE*ABC*E4*1']);
    const report = refusalReport(events[0], (l) => `refused ${l.length}`);
    report.msg.oicp.should.match({ operation: 'status', action: 'update', deadLetter: true });
    report.error.cause.rejected.should.have.length(events[0].failures.length);
    // A new record for E2 (any spelling) clears its entry.
    q.enqueue(
      'update',
      [rec(2, 'Occupied')].map((r) => ({ ...r, EvseID: 'DEABCE21' })),
      null,
    );
    deadLetters
      .list()
      .map((l) => l.id)
      .should.eql(['DE*ABC*E1*1', 'DE*ABC*E4*1']);
  });
});

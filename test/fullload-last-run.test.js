'use strict';
// The full load node's last fullLoad for the operations view (src/fullload/last-run.ts), without Node-RED (issue 21:
// the bookkeeping left the adapter); and the next run as the node status shows it.
require('should');
const { LastFullLoad, nextRunText, journalDir } = require('../nodes/fullload');

describe('the last fullLoad (core, no Node-RED)', function () {
  it('sent, then acknowledged or rejected by the answer wired back; a guarded one ignores answers', function () {
    let now = 1000;
    const l = new LastFullLoad(() => now);
    (l.last === undefined).should.be.true();
    l.text().should.equal('done');
    l.built({ sent: { fullLoad: { count: 5 } }, warnings: [] });
    l.last.should.eql({ at: 1000, count: 5, result: 'sent' });
    now = 2000;
    l.answered({ statusCode: '000', records: 4, httpStatus: 200, description: '' });
    l.last.should.eql({ at: 1000, count: 4, result: 'acknowledged', answer: { at: 2000, code: '000', httpStatus: 200, description: undefined } });
    l.answered({ statusCode: '018', description: 'refused' });
    l.last.result.should.equal('rejected');
    l.last.answer.description.should.equal('refused');
    l.built({ guarded: { reason: 'the list is empty', short: 'empty list' }, warnings: [] });
    l.text().should.equal('guarded: the list is empty');
    l.answered({ statusCode: '000' });
    l.last.result.should.equal('guarded');
    l.built({ stopped: true, warnings: [] });
    l.last.result.should.equal('guarded');
    l.failed(new Error('boom'));
    l.last.should.eql({ at: 2000, result: 'failed', reason: 'boom' });
  });

  it('the next run: HH:MM within a day, MM-DD HH:MM later; the journal beside the userDir', function () {
    const at = new Date(2026, 0, 2, 3, 0);
    nextRunText(at, at.getTime() - 3_600_000).should.equal('03:00');
    nextRunText(at, at.getTime() - 2 * 86_400_000).should.equal('01-02 03:00');
    journalDir('/u', 'a.b/c').should.equal(require('path').join('/u', 'oicp', 'fullload-a.b_c'));
  });
});

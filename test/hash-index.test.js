'use strict';
require('should');
const { HashIndex, KeyIndex, fnv1a } = require('../nodes/oicp/hash-index');

describe('hash index (full load store and push queue)', function () {
  function table() {
    const keys = [];
    const index = new HashIndex({ hash: fnv1a, matches: (pos, key) => keys[pos] === key, hashAt: (pos) => fnv1a(keys[pos]) });
    return {
      keys,
      index,
      add: (k) => {
        keys.push(k);
        index.add(k, keys.length - 1);
      },
    };
  }

  it('finds, removes and re-adds keys while growing far past its first size', function () {
    const t = table();
    for (let i = 0; i < 5000; i++) t.add(`DE*ABC*E${i}`);
    t.index.size.should.equal(5000);
    t.index.find('DE*ABC*E4321').should.equal(4321);
    t.index.find('DE*ABC*E5000').should.equal(-1);
    for (let i = 0; i < 5000; i += 2) t.index.remove(`DE*ABC*E${i}`).should.equal(i);
    t.index.remove('DE*ABC*E0').should.equal(-1);
    t.index.find('DE*ABC*E2').should.equal(-1);
    t.index.find('DE*ABC*E3').should.equal(3);
    // Deleted cells are reused or dropped on growth: a long churn keeps every live key findable.
    for (let i = 0; i < 20000; i++) t.add(`X${i}`);
    t.index.size.should.equal(22500);
    t.index.find('X19999').should.equal(t.keys.length - 1);
    t.index.find('DE*ABC*E4999').should.equal(4999);
    t.index.clear();
    t.index.size.should.equal(0);
    t.index.find('X1').should.equal(-1);
  });

  it('KeyIndex: the caller decides per lookup which position has the key', function () {
    const list = ['DE*ABC*E1', 'DE*ABC*E2'];
    const k = new KeyIndex(4);
    list.forEach((id, pos) => k.add(id, pos));
    k.find('DE*ABC*E2', (pos) => list[pos] === 'DE*ABC*E2').should.equal(1);
    k.find('DE*ABC*E3', (pos) => list[pos] === 'DE*ABC*E3').should.equal(-1);
  });
});

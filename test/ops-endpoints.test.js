'use strict';
// The oicp-ops plugin in a real Node-RED with adminAuth on: permissions of /oicp/*, and /oicp/metrics parsed as
// Prometheus text against the flow's known traffic (one 429, then three EVSEs inserted, then a fullLoad on request).
const should = require('should');
const bcrypt = require('bcryptjs');
const fs = require('fs');
const path = require('path');
const { parsePrometheusText, valueOf } = require('./support/prom-text');
const { RedProcess } = require('./support/red-process');
const { startSim } = require('./support/sim');
const { until } = require('./support/until');
const { opsFlow } = require('./support/ops-flow');

const PASSWORD = 'ops-test-password';
const SCRAPE_TOKEN = 'scrape-token-for-tests-0123456789';
const METRICS = [
  'oicp_requests_total',
  'oicp_records_total',
  'oicp_queue_pending',
  'oicp_in_flight',
  'oicp_push_lag_seconds',
  'oicp_last_success_timestamp_seconds',
  'oicp_backoff_seconds',
  'oicp_outbox_bytes',
  'oicp_evse_status',
  'oicp_evse_stale',
  'oicp_fullload_last_timestamp_seconds',
  'oicp_fullload_last_evses',
];

describe('oicp-ops plugin endpoints with adminAuth', function () {
  this.timeout(90000);
  let sim;
  let red;
  const tokens = {};

  async function token(username, scope) {
    const r = await red.http('POST', '/auth/token', { client_id: 'node-red-admin', grant_type: 'password', scope, username, password: PASSWORD });
    r.status.should.equal(200, `token for ${username}: ${r.text}`);
    return r.json.access_token;
  }
  const as = (user) => ({ authorization: `Bearer ${tokens[user]}` });

  async function metrics() {
    const r = await red.http('GET', '/oicp/metrics', undefined, as('reader'));
    r.status.should.equal(200, r.text);
    r.text.should.match(/^# HELP oicp_/m);
    return parsePrometheusText(r.text);
  }
  const value = (m, family, labels, name = family) => valueOf(m, family, name, labels);
  const lane = { operator: 'DE*ABC', operation: 'status', environment: 'custom' };
  /** Bytes of the outbox files on disk, as oicp_outbox_bytes should report them. */
  const outboxOnDisk = () => {
    const dir = path.join(red.userDir, 'oicp', 'outbox');
    return fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  };

  before(async function () {
    const s = await startSim();
    sim = s.sim;
    // The first push is answered 429: one transient request, then the retry succeeds.
    sim.injectFault({ kind: 'http', status: 429, retryAfter: 0, count: 1 });
    const hash = bcrypt.hashSync(PASSWORD, 8);
    red = new RedProcess({
      flows: opsFlow(s.certs, s.url),
      env: { NODE_RED_DISABLE_TELEMETRY: '1' },
      settings: {
        adminAuth: {
          type: 'credentials',
          users: [
            { username: 'admin', password: hash, permissions: '*' },
            { username: 'reader', password: hash, permissions: 'read' },
            { username: 'viewer', password: hash, permissions: 'flows.read' },
          ],
          // A long-lived API token for a scraper, limited to reading the OICP endpoints.
          tokens: [{ token: SCRAPE_TOKEN, user: 'reader', scope: ['oicp.read'] }],
        },
      },
    });
    await red.start(60000);
    tokens.admin = await token('admin', '*');
    tokens.reader = await token('reader', 'read');
    tokens.viewer = await token('viewer', 'flows.read');
  });

  after(async function () {
    if (red) {
      await red.stop();
      red.cleanup();
    }
    if (sim) await sim.stop();
  });

  it('refuses requests without a token (401) and users without the permission (403)', async function () {
    for (const [method, p] of [
      ['GET', '/oicp/metrics'],
      ['GET', '/oicp/state'],
      ['POST', '/oicp/retry'],
      ['POST', '/oicp/fullload/fl1'],
      ['POST', '/oicp/dead-letters/send'],
    ]) {
      (await red.http(method, p, method === 'POST' ? {} : undefined)).status.should.equal(401, `${method} ${p} anonymous`);
      // Node-RED answers a valid token without the permission with 401 as well.
      [401, 403].should.containEql((await red.http(method, p, method === 'POST' ? {} : undefined, as('viewer'))).status, `${method} ${p} as viewer`);
    }
    // The scraper's API token reads the metrics and nothing more.
    const scraper = { authorization: `Bearer ${SCRAPE_TOKEN}` };
    (await red.http('GET', '/oicp/metrics', undefined, scraper)).status.should.equal(200);
    (await red.http('GET', '/oicp/state', undefined, scraper)).status.should.equal(200);
    [401, 403].should.containEql((await red.http('GET', '/flows', undefined, scraper)).status);
    [401, 403].should.containEql((await red.http('POST', '/oicp/retry', {}, scraper)).status);
    (await red.http('GET', '/oicp/metrics', undefined, { authorization: 'Bearer not-a-token' })).status.should.equal(401);
    // The viewer's token itself is good: it may read the flows.
    (await red.http('GET', '/flows', undefined, as('viewer'))).status.should.equal(200);
    // "read" covers oicp.read but not the actions.
    (await red.http('GET', '/oicp/state', undefined, as('reader'))).status.should.equal(200);
    [401, 403].should.containEql((await red.http('POST', '/oicp/retry', {}, as('reader'))).status);
    [401, 403].should.containEql((await red.http('POST', '/oicp/fullload/fl1', {}, as('reader'))).status);
    [401, 403].should.containEql((await red.http('POST', '/oicp/dead-letters/send', {}, as('reader'))).status);
    (await red.http('POST', '/oicp/retry', {}, as('admin'))).status.should.equal(200);
    // "send again" of the dead-letter list: a lane that exists answers with the count it queued again.
    (await red.http('POST', '/oicp/dead-letters/send', { lane: 'nope' }, as('admin'))).status.should.equal(404);
    const { json } = await red.http('GET', '/oicp/state', undefined, as('reader'));
    const lane = json.lanes.find((l) => l.operator === 'DE*ABC');
    lane.deadLetters.should.eql({ count: 0, items: [] });
    const sent = await red.http('POST', '/oicp/dead-letters/send', { lane: lane.key }, as('admin'));
    sent.status.should.equal(200);
    sent.json.should.eql({ sent: 0 });
    const metrics = await red.http('GET', '/oicp/metrics', undefined, as('reader'));
    metrics.text.should.match(/^oicp_dead_letters\{operator="DE\*ABC",operation="status"\} 0$/m);
  });

  it('serves every metric in the Prometheus text format with the traffic of the flow', async function () {
    // Values are read when scraped; the full load counts and the outbox size are cached for 2 s.
    const m = await until(
      async () => {
        const x = await metrics();
        const ready =
          x.oicp_requests_total &&
          value(x, 'oicp_requests_total', { ...lane, outcome: 'success' }) === 1 &&
          value(x, 'oicp_evse_status', { node: 'fl1', status: 'Available' }) === 2 &&
          value(x, 'oicp_outbox_bytes', { operator: 'DE*ABC' }) === outboxOnDisk();
        return ready ? x : false;
      },
      30000,
      'one successful insert, three EVSEs and the outbox size in the metrics',
    );
    for (const name of METRICS) should.exist(m[name], `metric ${name}`);
    m.oicp_requests_total.type.should.equal('counter');
    value(m, 'oicp_requests_total', { ...lane, outcome: 'transient' }).should.equal(1);
    value(m, 'oicp_requests_total', { ...lane, outcome: 'data' }).should.equal(0);
    value(m, 'oicp_requests_total', { ...lane, outcome: 'config' }).should.equal(0);
    value(m, 'oicp_records_total', { ...lane, outcome: 'success' }).should.equal(3);
    value(m, 'oicp_records_total', { ...lane, outcome: 'transient' }).should.equal(3);
    value(m, 'oicp_queue_pending', lane).should.equal(0);
    value(m, 'oicp_in_flight', lane).should.equal(0);
    value(m, 'oicp_backoff_seconds', lane).should.equal(0);
    value(m, 'oicp_last_success_timestamp_seconds', lane).should.be.within(Date.now() / 1000 - 60, Date.now() / 1000 + 1);
    value(m, 'oicp_outbox_bytes', { operator: 'DE*ABC' }).should.be.above(0);

    m.oicp_push_lag_seconds.type.should.equal('histogram');
    value(m, 'oicp_push_lag_seconds', lane, 'oicp_push_lag_seconds_count').should.equal(3);
    value(m, 'oicp_push_lag_seconds', { ...lane, le: '0.05' }, 'oicp_push_lag_seconds_bucket').should.be.within(0, 3);
    value(m, 'oicp_push_lag_seconds', { ...lane, le: '600' }, 'oicp_push_lag_seconds_bucket').should.equal(3);
    value(m, 'oicp_push_lag_seconds', lane, 'oicp_push_lag_seconds_sum').should.be.above(0);

    value(m, 'oicp_evse_status', { node: 'fl1', name: 'daily', status: 'Occupied' }).should.equal(1);
    value(m, 'oicp_evse_status', { node: 'fl1', name: 'daily', status: 'Reserved' }).should.equal(0);
    value(m, 'oicp_fullload_last_timestamp_seconds', { node: 'fl1', name: 'daily' }).should.equal(0);
    value(m, 'oicp_fullload_last_evses', { node: 'fl1', name: 'daily' }).should.equal(0);
    value(m, 'oicp_evse_stale', { node: 'fl1', name: 'daily' }).should.equal(0);
  });

  it('sends a fullLoad on request through the node and counts it', async function () {
    (await red.http('POST', '/oicp/fullload/nope', {}, as('admin'))).status.should.equal(404);
    const r = await red.http('POST', '/oicp/fullload/fl1', {}, as('admin'));
    r.status.should.equal(200, r.text);
    r.json.result.should.equal('sent');
    const m = await until(
      async () => {
        const x = await metrics();
        return value(x, 'oicp_requests_total', { ...lane, outcome: 'success' }) === 2 &&
          value(x, 'oicp_fullload_last_evses', { node: 'fl1', name: 'daily' }) === 3
          ? x
          : false;
      },
      30000,
      'the fullLoad acknowledged',
    );
    value(m, 'oicp_fullload_last_timestamp_seconds', { node: 'fl1' }).should.be.within(Date.now() / 1000 - 60, Date.now() / 1000 + 1);
    value(m, 'oicp_records_total', { ...lane, outcome: 'success' }).should.equal(6);
    value(m, 'oicp_push_lag_seconds', lane, 'oicp_push_lag_seconds_count').should.equal(6);
  });

  it('serves the sidebar texts of the plugin in en-US and de', async function () {
    const ns = 'node-red-contrib-oicp/oicp-ops';
    const en = await red.http('GET', '/plugins/messages?lng=en-US', undefined, as('reader'));
    const de = await red.http('GET', '/plugins/messages?lng=de', undefined, as('reader'));
    en.json[ns].oicp.retry.should.equal('retry now');
    de.json[ns].oicp.retry.should.equal('jetzt erneut senden');
    const keys = (o, p = '') =>
      Object.entries(o)
        .flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
        .sort();
    keys(de.json[ns]).should.eql(keys(en.json[ns]));
  });

  it('serves the sidebar state as JSON with the environment and the full load node', async function () {
    // Hubject's answer reaches the full load node through the wire just after the push node counted the request.
    const r = await until(
      async () => {
        const x = await red.http('GET', '/oicp/state', undefined, as('reader'));
        x.status.should.equal(200);
        const f = x.json.fullLoads.find((f) => f.id === 'fl1');
        return f && f.last && f.last.result !== 'sent' ? x : false;
      },
      20000,
      "Hubject's answer to the fullLoad on the full load node",
    );
    const lane = r.json.lanes.find((l) => l.operator === 'DE*ABC');
    lane.environment.should.equal('custom');
    lane.operation.should.equal('status');
    lane.lastAck.code.should.equal('000');
    lane.lastError.code.should.equal('429');
    lane.count429.should.equal(1);
    lane.rateLimit.should.equal(2000);
    lane.lag.samples.should.equal(6);
    lane.history.t.length.should.be.above(0);
    const fl = r.json.fullLoads.find((f) => f.id === 'fl1');
    fl.total.should.equal(3);
    // The push node's output, wired back, brought Hubject's answer to the fullLoad.
    fl.last.result.should.equal('acknowledged');
    fl.last.count.should.equal(3);
    fl.last.answer.code.should.equal('000');
    fl.last.answer.at.should.be.aboveOrEqual(fl.last.at);
    fl.nextAt.should.be.above(Date.now());
  });
});

describe('Prometheus text reader of the tests', function () {
  it('refuses what breaks the format and reads what keeps it', function () {
    const ok = '# TYPE h histogram\nh_bucket{a="x\\"y",le="1"} 1\nh_bucket{a="x\\"y",le="+Inf"} 2\nh_sum{a="x\\"y"} 3\nh_count{a="x\\"y"} 2\n';
    valueOf(parsePrometheusText(ok), 'h', 'h_count', { a: 'x"y' }).should.equal(2);
    (() => parsePrometheusText('x 1\n')).should.throw(/without a TYPE/);
    (() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_count 2\n')).should.throw(/cumulative/);
    (() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 3\n')).should.throw(/\+Inf/);
    (() => parsePrometheusText('# TYPE g gauge\ng{a="1"} 1\ng{a="1"} 2\n')).should.throw(/duplicate/);
    (() => parsePrometheusText('# TYPE g gauge\ng{a="\\q"} 1\n')).should.throw(/escape/);
  });
});

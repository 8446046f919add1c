'use strict';
// Secrets: a tls-config holding an encrypted key and its passphrase as credentials, in a real Node-RED
// process with flows.json and flows_cred.json on disk. Neither the files, nor GET /flows, nor the runtime log, nor any
// error message contains the key material or the passphrase. TLS verification is on unless explicitly turned off,
// and then the status says so.
const should = require('should');
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { execFileSync } = require('child_process');
const { startSim, pullViaHttp, statusesFromPull } = require('../support/sim');
const { RedProcess } = require('../support/red-process');
const { until } = require('../support/flows');
const { report, diffStatuses } = require('./lib');

describe('secrets never leave the credentials', function () {
  this.timeout(120000);
  let sim, certs, url, red, tmp;
  let passphrase, encKeyPem, secrets;

  before(async function () {
    ({ sim, certs, url } = await startSim({ latencyMs: 2 }));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-faults-secrets-'));
    passphrase = `pw-${crypto.randomBytes(12).toString('hex')}`;
    const encFile = path.join(tmp, 'client.enc.key');
    // The demo client key, encrypted the way Hubject onboarding keys usually are (PKCS#8, AES-256-CBC).
    execFileSync('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', certs.clients['DE*ABC'].key, '-out', encFile, '-passout', `pass:${passphrase}`], {
      stdio: 'pipe',
    });
    encKeyPem = fs.readFileSync(encFile, 'utf8');
    encKeyPem.should.match(/BEGIN ENCRYPTED PRIVATE KEY/);
    const plainKeyPem = fs.readFileSync(certs.clients['DE*ABC'].key, 'utf8');
    // What must never show up: the passphrase, and any line of either form of the key.
    const lines = (pem) => pem.split('\n').filter((l) => l.length >= 24 && !l.startsWith('-----'));
    secrets = [passphrase, ...lines(encKeyPem), ...lines(plainKeyPem), 'PRIVATE KEY'];
  });
  after(async function () {
    if (red) {
      await red.kill();
      red.cleanup();
    }
    await sim.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const leaks = (text) => secrets.filter((s) => text.includes(s)).map((s) => (s === passphrase ? '<passphrase>' : s.slice(0, 12) + '...'));

  it('has a leak detector that finds key lines and the passphrase', function () {
    leaks(`x ${encKeyPem} y`).length.should.be.above(2);
    leaks(`... ${passphrase} ...`).should.eql(['<passphrase>']);
    leaks(fs.readFileSync(certs.clients['DE*ABC'].key, 'utf8')).length.should.be.above(1);
  });

  function flows({ pass = passphrase, verify = true, ca = certs.caCert }) {
    const tls = {
      id: 'tls1',
      type: 'tls-config',
      name: 'hubject tls',
      cert: '',
      key: '',
      ca: '',
      servername: '',
      alpnprotocol: '',
      credentials: {
        certdata: fs.readFileSync(certs.clients['DE*ABC'].cert, 'utf8'),
        keydata: encKeyPem,
        cadata: fs.readFileSync(ca, 'utf8'),
        passphrase: pass,
      },
    };
    if (verify !== undefined) tls.verifyservercert = verify; // undefined: the property is not there at all
    const fn = (id, func, wires) => ({ id, type: 'function', z: 't1', func, outputs: 1, noerr: 0, initialize: '', finalize: '', libs: [], wires });
    return [
      { id: 't1', type: 'tab', label: 'secrets' },
      tls,
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
        retryBase: 0.2,
        retryMax: 300,
      },
      { id: 'feed', type: 'http in', z: 't1', url: '/feed', method: 'post', wires: [['p1', 'ok']] },
      { id: 'ok', type: 'http response', z: 't1', statusCode: '200', headers: {}, wires: [] },
      { id: 'p1', type: 'oicp-push-evse-status', z: 't1', hubject: 'hub1', action: 'update', maxRecords: 500, insertMissing: true, wires: [[]] },
      // Statuses and errors of the push node, kept in global context and served for the test.
      { id: 'st', type: 'status', z: 't1', scope: ['p1'], wires: [['keepStatus']] },
      fn('keepStatus', "const l = global.get('statuses') || []; l.push(msg.status); global.set('statuses', l); return null;", [[]]),
      { id: 'ca1', type: 'catch', z: 't1', scope: null, uncaught: false, wires: [['keepError']] },
      fn('keepError', "const l = global.get('errors') || []; l.push(msg.error.message); global.set('errors', l); return null;", [[]]),
      { id: 'seen', type: 'http in', z: 't1', url: '/seen', method: 'get', wires: [['serve']] },
      fn(
        'serve',
        "msg.payload = { statuses: global.get('statuses') || [], errors: global.get('errors') || [] }; global.set('statuses', []); global.set('errors', []); return msg;",
        [['ok']],
      ),
    ];
  }

  /** Deploys and waits until the runtime logged that the new flows started. */
  async function deploy(f) {
    const started = () => (red.log.match(/Started flows/g) || []).length;
    const before = started();
    const r = await red.http('POST', '/flows', { flows: f }, { 'Node-RED-Deployment-Type': 'full' });
    r.status.should.equal(200, r.text);
    await until(() => started() > before, 10000, 'flows started after deploy', { every: 20 });
  }
  const seen = async () => (await red.http('GET', '/seen')).json;
  const feed = async (n, s) => (await red.http('POST', '/feed', [{ EvseID: `DE*ABC*E${n}`, EvseStatus: s }])).status.should.equal(200);

  it('keeps key and passphrase out of flows.json, flows_cred.json, GET /flows, the log and error messages; verification stays on', async function () {
    red = new RedProcess({ flows: [{ id: 't1', type: 'tab', label: 'secrets' }] });
    await red.start();
    const truth = {};

    // 1. Correct key and passphrase: pushes work.
    await deploy(flows({}));
    await feed(1, 'Occupied');
    truth['DE*ABC*E1'] = 'Occupied';
    await until(() => sim.getStatus('DE*ABC', 'DE*ABC*E1') === 'Occupied', 10000, 'push with the encrypted key');

    // 2. Wrong passphrase: a readable error, red, and neither passphrase in any message.
    const wrong = `wrong-${crypto.randomBytes(8).toString('hex')}`;
    secrets.push(wrong);
    await deploy(flows({ pass: wrong }));
    await feed(2, 'Reserved');
    truth['DE*ABC*E2'] = 'Reserved';
    const all = { statuses: [], errors: [] };
    await until(
      async () => {
        const s = await seen();
        all.statuses.push(...s.statuses);
        all.errors.push(...s.errors);
        return all.statuses.some((x) => x.fill === 'red' && /passphrase/.test(x.text));
      },
      10000,
      'red status for the wrong passphrase',
      { every: 100 },
    ).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(all)}`);
    });
    const redStatus = all.statuses.find((s) => s.fill === 'red');
    (redStatus && redStatus.text).should.match(/TLS: cannot decrypt the private key: check the tls-config passphrase/);
    red.log.should.match(/cannot decrypt the private key: check the tls-config passphrase/);

    // 3. verifyservercert missing altogether and a CA that did not sign the server: verification is still on.
    await deploy(flows({ verify: undefined, ca: certs.otherCaCert }));
    await feed(3, 'Available');
    truth['DE*ABC*E3'] = 'Available';
    const notTrusted = [];
    await until(
      async () => {
        notTrusted.push(...(await seen()).statuses);
        return notTrusted.some((s) => s.fill === 'red' && /not trusted/.test(s.text));
      },
      10000,
      'verification on by default',
      { every: 100 },
    ).catch(async (e) => {
      throw new Error(`${e.message}: ${JSON.stringify(notTrusted)}`);
    });
    should(sim.getStatus('DE*ABC', 'DE*ABC*E3')).not.equal('Available');

    // 4. Verification explicitly off: it connects, and the status keeps warning about it.
    await deploy(flows({ verify: false, ca: certs.otherCaCert }));
    await until(() => sim.getStatus('DE*ABC', 'DE*ABC*E3') === 'Available', 10000, 'held change sent with verification off');
    await feed(4, 'Occupied');
    truth['DE*ABC*E4'] = 'Occupied';
    await until(() => sim.getStatus('DE*ABC', 'DE*ABC*E4') === 'Occupied', 10000, 'push with verification off');
    await new Promise((r) => setTimeout(r, 300));
    const off = (await seen()).statuses;
    off.length.should.be.above(0);
    off[off.length - 1].text.should.match(/^000 · \d+ sent · 0 queued · TLS verification OFF$/, JSON.stringify(off));
    off[off.length - 1].fill.should.equal('yellow');
    red.log.should.match(/server certificate verification is OFF/);

    // 5. Back to the correct configuration; the held change of step 2 arrived, nothing is lost.
    await deploy(flows({}));
    await feed(5, 'Reserved');
    truth['DE*ABC*E5'] = 'Reserved';
    await until(() => sim.getStatus('DE*ABC', 'DE*ABC*E5') === 'Reserved', 10000, 'push after the fix');
    diffStatuses(truth, statusesFromPull(await pullViaHttp(url, certs))).should.eql([]);

    // Where secrets must not be: files on disk (flows.json, flows_cred.json, outbox, everything else)...
    const files = [];
    (function walk(dir) {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (e.name === 'node_modules') continue;
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else files.push(p);
      }
    })(red.userDir);
    files
      .map((f) => path.basename(f))
      .should.containEql('flows.json')
      .and.containEql('flows_cred.json');
    const fileLeaks = files.map((f) => [path.relative(red.userDir, f), leaks(fs.readFileSync(f, 'latin1'))]).filter(([, l]) => l.length);
    fileLeaks.should.eql([]);
    const cred = JSON.parse(fs.readFileSync(path.join(red.userDir, 'flows_cred.json'), 'utf8'));
    Object.keys(cred).should.eql(['$']); // encrypted with credentialSecret
    // ...the flow export...
    const exported = await red.http('GET', '/flows');
    exported.status.should.equal(200);
    leaks(exported.text).should.eql([]);
    exported.json.flows.find((n) => n.id === 'tls1').should.not.have.property('credentials');
    // ...the credentials the editor gets (Node-RED returns 'text' credentials such as keydata; the passphrase only as has_passphrase)...
    const creds = await red.http('GET', '/credentials/tls-config/tls1');
    creds.json.should.have.property('has_passphrase', true);
    creds.text.should.not.containEql(passphrase);
    // ...the runtime log and every status and error message.
    leaks(red.log).should.eql([]);
    leaks(JSON.stringify(all)).should.eql([]);
    leaks(JSON.stringify(notTrusted)).should.eql([]);
    leaks(JSON.stringify(off)).should.eql([]);

    report('secrets', {
      filesChecked: files.length,
      leaksInFiles: fileLeaks.length,
      leaksInGetFlows: leaks(exported.text).length,
      leaksInLog: leaks(red.log).length,
      wrongPassphraseStatus: redStatus.text,
      verifyOffStatus: off[off.length - 1].text,
      editorCredentialsApiReturnsKeydata: /ENCRYPTED PRIVATE KEY/.test(creds.text),
    });
  });
});

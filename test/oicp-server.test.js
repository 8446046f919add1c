'use strict';
// The server foundation (src/oicp/server) over real mutual TLS: raw TLS sockets for what a well-behaved client
// never does (no certificate, another CA, a huge body, slow headers), the package's own client for the rest.
require('should');
const fs = require('fs');
const net = require('net');
const tls = require('tls');
const { getCerts } = require('./support/sim');
const { until } = require('./support/until');
const server = require('../nodes/oicp/server');
const { HubjectClient } = require('../nodes/oicp/client');
const ops = require('../nodes/oicp/operations');

const LIMIT = 64 * 1024;

describe('OICP server foundation over mutual TLS (src/oicp/server)', function () {
  this.timeout(30000);
  let certs, srv, port;
  const seen = [];
  const read = (f) => fs.readFileSync(f);

  before(async function () {
    certs = getCerts(['DE*ABC']);
    const router = new server.Router()
      .post('/echo', async (ctx) => {
        const body = await ctx.json();
        seen.push(ctx.client);
        ctx.send(200, { got: body, operatorId: ctx.client.operatorId, subject: ctx.client.subject });
      })
      .post('/never', () => undefined)
      .post('/boom', () => {
        throw new Error('secret detail');
      })
      .post(
        (p) => {
          const m = ops.matchOperationPath('authorizeStart', p);
          return m === null ? null : [m];
        },
        async (ctx, [operatorId]) => {
          const body = await ctx.json();
          ctx.send(200, {
            AuthorizationStatus: body.Identification.RFIDMifareFamilyIdentification.UID === '1234ABCD' ? 'Authorized' : 'NotAuthorized',
            StatusCode: body.Identification.RFIDMifareFamilyIdentification.UID === '1234ABCD' ? { Code: '000' } : { Code: '102', Description: null },
            SessionID: 'f98efba4-02d8-4fa0-b810-9a9d50d2c527',
            ProviderID: 'DE-DCB',
            CPOPartnerSessionID: decodeURIComponent(operatorId),
          });
        },
      );
    srv = new server.MtlsServer({
      tls: { ca: read(certs.caCert), cert: read(certs.serverCert), key: read(certs.serverKey) },
      router,
      maxBodyBytes: LIMIT,
      handshakeTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      checkIntervalMs: 100,
      deadlineMs: 1500,
    });
    port = await srv.listen(0, '127.0.0.1');
  });
  after(async function () {
    if (srv) await srv.close();
  });

  /** A raw TLS connection with the DE*ABC client certificate (or what `opts` says). */
  function connect(opts = {}) {
    return new Promise((resolve, reject) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port,
        ca: read(certs.caCert),
        cert: opts.noCert ? undefined : read(opts.cert || certs.clients['DE*ABC'].cert),
        key: opts.noCert ? undefined : read(opts.key || certs.clients['DE*ABC'].key),
        servername: 'localhost',
      });
      s.once('secureConnect', () => resolve(s));
      s.once('error', reject);
    });
  }

  /** Everything the server sends until it closes, and the error the socket saw, if any. */
  function collect(s) {
    return new Promise((resolve) => {
      let text = '';
      let error;
      s.on('data', (d) => (text += d.toString('latin1')));
      s.on('error', (e) => (error = e));
      s.on('close', () => resolve({ text, error }));
    });
  }

  function request(s, method, path, body, headers = {}) {
    const b = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const h = { Host: 'localhost', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(b), Connection: 'close', ...headers };
    s.write(
      `${method} ${path} HTTP/1.1\r\n${Object.entries(h)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n${b}`,
    );
  }

  async function exchange(method, path, body, headers) {
    const s = await connect();
    const done = collect(s);
    request(s, method, path, body, headers);
    const { text } = await done;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
    const json = text.includes('\r\n\r\n') ? JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4) || 'null') : undefined;
    return { status, text, json };
  }

  it('answers JSON and knows the client certificate: subject and OperatorID', async function () {
    const r = await exchange('POST', '/echo', { a: 1 });
    r.status.should.equal(200);
    r.text.should.match(/Content-Type: application\/json; charset=utf-8/i);
    r.json.should.eql({ got: { a: 1 }, operatorId: 'DE*ABC', subject: 'DE*ABC' });
    seen.at(-1).should.match({ authorized: true, presented: true, fingerprint: /^[0-9A-F:]+$/ });
  });

  /** Connects with `opts` and sends a request: what came back (text, error), whether the handshake failed or not. */
  async function attempt(opts) {
    try {
      const s = await connect(opts);
      const done = collect(s);
      request(s, 'POST', '/echo', {});
      return await done;
    } catch (err) {
      return { text: '', error: err };
    }
  }

  it('refuses a client without a certificate in the handshake: no HTTP answer', async function () {
    const before = seen.length;
    const outcome = await attempt({ noCert: true });
    outcome.text.should.equal('');
    String(outcome.error && outcome.error.code).should.match(/CERTIFICATE_REQUIRED|HANDSHAKE|ECONNRESET|SSL/);
    seen.length.should.equal(before);
  });

  it('refuses a client certificate from another CA in the handshake', async function () {
    const before = seen.length;
    const outcome = await attempt({ cert: certs.wrongCaClientCert, key: certs.wrongCaClientKey });
    // Closed with an alert or without a word: either way no request reached a handler.
    outcome.text.should.equal('');
    seen.length.should.equal(before);
  });

  it('answers 403 to a certificate of the right CA whose subject is not accepted, before routing', async function () {
    const strict = new server.MtlsServer({
      tls: { ca: read(certs.caCert), cert: read(certs.serverCert), key: read(certs.serverKey) },
      router: new server.Router().post('/echo', (ctx) => void ctx.send(200, {})),
      acceptClient: (id) => id.subject === 'DE*XYZ',
    });
    const strictPort = await strict.listen(0, '127.0.0.1');
    try {
      const s = await new Promise((resolve, reject) => {
        const c = tls.connect({
          host: '127.0.0.1',
          port: strictPort,
          ca: read(certs.caCert),
          cert: read(certs.clients['DE*ABC'].cert),
          key: read(certs.clients['DE*ABC'].key),
          servername: 'localhost',
        });
        c.once('secureConnect', () => resolve(c));
        c.once('error', reject);
      });
      const done = collect(s);
      request(s, 'POST', '/nothing-here', {});
      const { text } = await done;
      text.should.match(/^HTTP\/1\.1 403/);
      text.should.match(/client certificate not accepted/);
    } finally {
      await strict.close();
    }
  });

  it('answers 413 to a 1 MB body from its Content-Length, before the body is sent', async function () {
    const s = await connect();
    const done = collect(s);
    // Headers announce 1 MB, only 1 kB follows and the client then waits: the answer cannot have waited for the body.
    s.write(`POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    s.write('['.padEnd(1024, ' '));
    const { text } = await done;
    text.should.match(/^HTTP\/1\.1 413/);
    text.should.match(/Connection: close/i);
    text.should.match(/larger than 65536 bytes/);
  });

  it('answers 413 to a chunked body as soon as it passes the limit, without reading the rest', async function () {
    const s = await connect();
    const done = collect(s);
    s.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const piece = 'x'.repeat(16 * 1024);
    // 80 kB of a body that never ends: only the limit can have ended it.
    for (let i = 0; i < 5; i++) s.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    const { text } = await done;
    text.should.match(/^HTTP\/1\.1 413/);
  });

  it('answers 404 for an unknown path and 405 with Allow for another method', async function () {
    const r404 = await exchange('POST', '/nothing-here', {});
    r404.status.should.equal(404);
    r404.json.message.should.match(/nothing at \/nothing-here/);
    const r405 = await exchange('GET', '/echo');
    r405.status.should.equal(405);
    r405.text.should.match(/Allow: POST/i);
  });

  it('answers 400 to malformed JSON and 500 without detail to a handler error', async function () {
    const bad = await exchange('POST', '/echo', '{"a":');
    bad.status.should.equal(400);
    bad.json.message.should.match(/malformed JSON/);
    const boom = await exchange('POST', '/boom', {});
    boom.status.should.equal(500);
    boom.text.should.not.match(/secret detail/);
  });

  it('answers 503 when a handler misses the request deadline', async function () {
    const r = await exchange('POST', '/never', {});
    r.status.should.equal(503);
    r.json.message.should.match(/no answer within 1500 ms/);
  });

  it('serves a valid request while slow-loris connections hold headers or the handshake open, and closes them', async function () {
    const slow = [];
    // Twenty connections that send half a header line, one byte at a time.
    for (let i = 0; i < 20; i++) {
      const s = await connect();
      const state = { closed: false, text: '' };
      s.on('data', (d) => (state.text += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => (state.closed = true));
      s.write('POST /echo HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      state.timer = setInterval(() => !s.destroyed && s.write('a'), 100);
      slow.push(state);
    }
    // Ten TCP connections that never start the TLS handshake.
    const mute = [];
    for (let i = 0; i < 10; i++) {
      const s = net.connect(port, '127.0.0.1');
      const state = { closed: false };
      s.on('error', () => undefined);
      s.on('close', () => (state.closed = true));
      mute.push(state);
    }
    try {
      const r = await exchange('POST', '/echo', { ok: true });
      r.status.should.equal(200);
      r.json.got.should.eql({ ok: true });
      await until(() => slow.every((x) => x.closed) && mute.every((x) => x.closed), 20000, 'slow connections closed by the server');
      // A slow header gets 408 (or just a close): never a routed answer.
      for (const x of slow) x.text.should.not.match(/HTTP\/1\.1 200/);
    } finally {
      for (const x of slow) clearInterval(x.timer);
    }
  });

  it('the client calls an operation that answers AuthorizationStatus on the operation path', async function () {
    const c = new HubjectClient({
      baseUrl: `https://localhost:${port}/api/oicp`,
      operatorId: 'DE*ABC',
      tls: { cert: read(certs.clients['DE*ABC'].cert), key: read(certs.clients['DE*ABC'].key), ca: read(certs.caCert) },
      timeoutMs: 5000,
    });
    try {
      const ident = (uid) => ({ OperatorID: 'DE*ABC', Identification: { RFIDMifareFamilyIdentification: { UID: uid } } });
      const ok = await c.call('authorizeStart', 'DE*ABC', ident('1234ABCD'));
      ok.should.match({ class: 'success', authorization: 'Authorized', httpStatus: 200, answer: { ProviderID: 'DE-DCB', CPOPartnerSessionID: 'DE*ABC' } });
      const no = await c.call('authorizeStart', 'DE*ABC', ident('DEADBEEF'));
      no.should.match({ class: 'success', authorization: 'NotAuthorized', statusCode: { Code: '102' } });
      // An operation this stub has no route for: 404 from the route table.
      (await c.call('chargeDetailRecord', 'DE*ABC', {})).should.match({ httpStatus: 404 });
    } finally {
      await c.destroy();
    }
  });
});

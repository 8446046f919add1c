'use strict';
// A minimal MQTT 3.1.1 broker on 127.0.0.1 for the examples test: CONNECT, SUBSCRIBE (+ and # wildcards, granted at
// QoS 0), PUBLISH at QoS 0/1/2 (delivered to subscribers at QoS 0), UNSUBSCRIBE, PINGREQ, DISCONNECT. No sessions,
// retained messages, wills or authentication. Enough for Node-RED's core mqtt nodes; not a general broker.
const net = require('net');

function encodeLength(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

function packet(type, flags, body) {
  return Buffer.concat([Buffer.from([(type << 4) | flags]), encodeLength(body.length), body]);
}

function str(s) {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

function matches(filter, topic) {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

class MiniMqttBroker {
  constructor() {
    this.clients = new Set();
    /** Every PUBLISH received: {topic, payload (string), qos}. */
    this.published = [];
  }

  start() {
    this.server = net.createServer((sock) => this.accept(sock));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = this.server.address().port;
        resolve(this.port);
      });
    });
  }

  accept(sock) {
    const client = { sock, subs: [] };
    this.clients.add(client);
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length < 2) return;
        let len = 0;
        let mul = 1;
        let i = 1;
        for (;;) {
          if (i >= buf.length) return; // length not complete yet
          const b = buf[i++];
          len += (b & 0x7f) * mul;
          mul *= 128;
          if ((b & 0x80) === 0) break;
          if (i > 4) {
            sock.destroy();
            return;
          }
        }
        if (buf.length < i + len) return;
        const type = buf[0] >> 4;
        const flags = buf[0] & 0x0f;
        const body = buf.subarray(i, i + len);
        buf = buf.subarray(i + len);
        this.handle(client, type, flags, body);
      }
    });
    const drop = () => this.clients.delete(client);
    sock.on('close', drop);
    sock.on('error', drop);
  }

  handle(client, type, flags, body) {
    const { sock } = client;
    switch (type) {
      case 1: // CONNECT
        sock.write(packet(2, 0, Buffer.from([0, 0])));
        break;
      case 3: {
        // PUBLISH
        const qos = (flags >> 1) & 3;
        const tlen = body.readUInt16BE(0);
        const topic = body.subarray(2, 2 + tlen).toString('utf8');
        let off = 2 + tlen;
        let pid;
        if (qos > 0) {
          pid = body.subarray(off, off + 2);
          off += 2;
        }
        const payload = body.subarray(off);
        this.published.push({ topic, payload: payload.toString('utf8'), qos });
        if (qos === 1) sock.write(packet(4, 0, pid));
        if (qos === 2) sock.write(packet(5, 0, pid));
        const out = packet(3, 0, Buffer.concat([str(topic), payload]));
        for (const c of this.clients) if (c.subs.some((f) => matches(f, topic))) c.sock.write(out);
        break;
      }
      case 6: // PUBREL
        sock.write(packet(7, 0, body.subarray(0, 2)));
        break;
      case 8: {
        // SUBSCRIBE
        const pid = body.subarray(0, 2);
        const granted = [];
        let off = 2;
        while (off < body.length) {
          const tlen = body.readUInt16BE(off);
          client.subs.push(body.subarray(off + 2, off + 2 + tlen).toString('utf8'));
          off += 2 + tlen + 1;
          granted.push(0);
        }
        sock.write(packet(9, 0, Buffer.concat([pid, Buffer.from(granted)])));
        break;
      }
      case 10: {
        // UNSUBSCRIBE
        const pid = body.subarray(0, 2);
        let off = 2;
        while (off < body.length) {
          const tlen = body.readUInt16BE(off);
          const f = body.subarray(off + 2, off + 2 + tlen).toString('utf8');
          client.subs = client.subs.filter((s) => s !== f);
          off += 2 + tlen;
        }
        sock.write(packet(11, 0, pid));
        break;
      }
      case 12: // PINGREQ
        sock.write(packet(13, 0, Buffer.alloc(0)));
        break;
      case 14: // DISCONNECT
        sock.end();
        break;
      default:
        break; // PUBACK, PUBREC, PUBCOMP from clients: nothing to do at QoS 0 delivery
    }
  }

  stop() {
    for (const c of this.clients) c.sock.destroy();
    this.clients.clear();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

module.exports = { MiniMqttBroker };

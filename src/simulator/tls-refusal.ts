// A TLS 1.3 endpoint that refuses every client certificate the way Hubject's front end does: the handshake completes
// on the client's side, then the server's alert 48 (unknown CA) arrives. Node's TLS server cannot send that alert (it
// checks client certificates after the handshake and just closes), so this runs the openssl CLI, as certs.ts does.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export class TlsRefusal {
  private proc?: ChildProcess;
  private dir?: string;
  private port?: Promise<number>;

  constructor(
    private readonly cert: Buffer,
    private readonly key: Buffer,
  ) {}

  /** Port of the refusing endpoint on 127.0.0.1, started on first use. */
  private endpoint(): Promise<number> {
    if (this.port) return this.port;
    this.port = new Promise<number>((resolve, reject) => {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-sim-refusal-'));
      const certFile = path.join(this.dir, 'server.pem');
      const keyFile = path.join(this.dir, 'server.key');
      fs.writeFileSync(certFile, this.cert);
      fs.writeFileSync(keyFile, this.key, { mode: 0o600 });
      // The server's own certificate as the only CA: no client certificate chains to it.
      const proc = spawn(
        'openssl',
        [
          's_server',
          '-accept',
          '127.0.0.1:0',
          '-tls1_3',
          '-Verify',
          '1',
          '-verify_return_error',
          '-CAfile',
          certFile,
          '-cert',
          certFile,
          '-key',
          keyFile,
          '-www',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      this.proc = proc;
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ACCEPT\s+\S*:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.stderr!.resume();
      proc.on('error', (err) => reject(new Error(`cannot start openssl s_server for the refuse-certificate fault: ${err.message}`)));
      proc.on('exit', () => reject(new Error('openssl s_server exited before it listened')));
    });
    return this.port;
  }

  /** Hands a raw client connection to the refusing endpoint. */
  pipe(socket: net.Socket): void {
    socket.pause();
    this.endpoint().then(
      (port) => {
        const upstream = net.connect(port, '127.0.0.1');
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        socket.on('close', () => upstream.destroy());
        // pipe() ends the client's side once openssl closes, after its alert is written (destroy could drop it).
        socket.pipe(upstream).pipe(socket);
        socket.resume();
      },
      () => socket.destroy(),
    );
  }

  stop(): void {
    this.proc?.kill();
    this.proc = undefined;
    this.port = undefined;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

// Demo PKI for the local Hubject simulator, generated at run time with the openssl CLI.
// Nothing here is ever committed: callers put the folder under .demo/ (gitignored) or a temp dir.
// Keys are EC P-256 (fast to make), unencrypted, written with mode 0600. Key material is never logged.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readCertOperatorId } from '../oicp/certificate';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseOperatorId } from '../oicp/ids';

export interface ClientCertPaths {
  cert: string;
  key: string;
}

export interface CertPaths {
  dir: string;
  /** The demo CA: trust anchor of the simulator (for client certs) and of clients (for the server cert). */
  caCert: string;
  caKey: string;
  /** Server cert for IP:127.0.0.1 and DNS:localhost, signed by the demo CA. */
  serverCert: string;
  serverKey: string;
  /** Client certs keyed by the OperatorID exactly as given; CN=<OperatorID>. */
  clients: Record<string, ClientCertPaths>;
  // For negative tests:
  /** An unrelated CA that neither side should trust. */
  otherCaCert: string;
  /** Server cert for 127.0.0.1/localhost signed by the unrelated CA. */
  otherServerCert: string;
  otherServerKey: string;
  /** Client cert with the first OperatorID in CN, signed by the unrelated CA (the handshake must fail). */
  wrongCaClientCert: string;
  wrongCaClientKey: string;
  /** Client cert with the first OperatorID in CN, signed by the demo CA, already expired. */
  expiredClientCert: string;
  expiredClientKey: string;
  /** Server cert signed by the demo CA whose SAN only names wrong.example (host name check must fail). */
  wrongHostServerCert: string;
  wrongHostServerKey: string;
  // The CPO's remote start/stop endpoint (issue 23): Hubject calls the CPO.
  /** The CPO endpoint's server cert for 127.0.0.1/localhost, signed by the demo CA. */
  cpoServerCert: string;
  cpoServerKey: string;
  /** The simulator's client cert as "Hubject" (CN=HUBJECT_QA_SUBJECT), signed by the demo CA. */
  hubjectClientCert: string;
  hubjectClientKey: string;
}

/** The CN the simulator calls the CPO with: Hubject's QA subject as the endpoint assumes it. */
export const HUBJECT_QA_SUBJECT = 'service-qa.hubject.com';

export interface CreateCertificatesOptions {
  /** OperatorIDs to issue client certs for; default ['DE*ABC']. Kept exactly as given (Hubject compares text). */
  operatorIds?: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;
const ORG = 'node-red-contrib-oicp demo';
const DEFAULT_OPERATOR_IDS = ['DE*ABC'];

/** Minimal openssl config so the system openssl.cnf (and OPENSSL_CONF) cannot add or clash with extensions. */
const REQ_CONFIG = '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = unused\n';

/** Config for `openssl ca`, used only to issue the expired cert; paths are relative to the work dir (cwd). */
const CA_CONFIG = [
  '[ca]',
  'default_ca = demo',
  '[demo]',
  'database = index.txt',
  'new_certs_dir = .',
  'serial = serial',
  'default_md = sha256',
  'policy = policy_any',
  'unique_subject = no',
  'copy_extensions = none',
  'email_in_dn = no',
  '[policy_any]',
  'commonName = supplied',
  'organizationName = optional',
  '[client_ext]',
  'basicConstraints = critical,CA:FALSE',
  'keyUsage = critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage = clientAuth',
  '',
].join('\n');

const CLIENT_EXT = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];
const SERVER_EXT = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth'];
const LOCAL_SAN = 'subjectAltName=IP:127.0.0.1,DNS:localhost';

function openssl(args: string[], cwd?: string): void {
  // execFileSync without a shell: arguments are never interpreted. stdio is captured, not inherited, so nothing leaks to logs.
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message?: string };
    const detail = e.stderr ? e.stderr.toString('utf8').trim().split('\n').slice(-3).join(' | ') : String(e.message);
    throw new Error(`openssl ${args[0]} failed: ${detail}`, { cause: err });
  }
}

/** Escapes an RDN value for `-subj` (which treats '/', '+' and '=' specially). */
function subjValue(v: string): string {
  return v.replace(/[\\/+=,]/g, (c) => '\\' + c);
}

function subject(cn: string): string {
  return `/CN=${subjValue(cn)}/O=${subjValue(ORG)}`;
}

function tmpName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Positive random serial (first bit cleared), so reissued certs never repeat a serial. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f;
  return '0x' + b.toString('hex');
}

function writeKey(file: string): void {
  const { privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const tmp = tmpName(file);
  fs.writeFileSync(tmp, privateKey, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

function readCert(file: string): X509Certificate | undefined {
  try {
    return new X509Certificate(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

function keyMatches(cert: X509Certificate, keyFile: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(fs.readFileSync(keyFile)));
  } catch {
    return false;
  }
}

interface Expect {
  issuer: X509Certificate;
  cn?: string;
  san?: string[];
  expired?: boolean;
}

/** True when the cert/key pair on disk can be reused: signed by the expected issuer, matching key, CN/SAN, and valid > 1 day (or expired when wanted). */
function reusable(certFile: string, keyFile: string, want: Expect): boolean {
  if (!fs.existsSync(certFile) || !fs.existsSync(keyFile)) return false;
  const cert = readCert(certFile);
  if (!cert) return false;
  if (!keyMatches(cert, keyFile)) return false;
  if (cert !== want.issuer && !(cert.checkIssued(want.issuer) && cert.verify(want.issuer.publicKey))) return false;
  const now = Date.now();
  const notAfter = Date.parse(cert.validTo);
  if (want.expired) {
    if (!(notAfter < now)) return false;
  } else if (!(notAfter - now > DAY_MS) || Date.parse(cert.validFrom) > now) {
    return false;
  }
  if (want.cn !== undefined && readCertOperatorId(cert.toString()) !== want.cn) return false;
  if (want.san) {
    const san = (cert.subjectAltName ?? '').split(',').map((s) => s.trim());
    for (const s of want.san) if (!san.includes(s)) return false;
  }
  return true;
}

class Issuer {
  readonly configFile: string;
  constructor(private readonly work: string) {
    this.configFile = path.join(work, 'req.cnf');
    fs.writeFileSync(this.configFile, REQ_CONFIG);
  }

  selfSignedCa(certFile: string, keyFile: string, cn: string): void {
    writeKey(keyFile);
    const tmp = tmpName(certFile);
    openssl([
      'req',
      '-config',
      this.configFile,
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-subj',
      subject(cn),
      '-days',
      String(CA_DAYS),
      '-sha256',
      '-set_serial',
      serial(),
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      tmp,
    ]);
    fs.renameSync(tmp, certFile);
  }

  leaf(certFile: string, keyFile: string, cn: string, ca: { cert: string; key: string }, ext: string[]): void {
    writeKey(keyFile);
    const tmp = tmpName(certFile);
    const args = [
      'req',
      '-config',
      this.configFile,
      '-new',
      '-key',
      keyFile,
      '-subj',
      subject(cn),
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-set_serial',
      serial(),
      '-days',
      String(LEAF_DAYS),
      '-sha256',
    ];
    for (const e of ext) args.push('-addext', e);
    openssl([...args, '-out', tmp]);
    fs.renameSync(tmp, certFile);
  }

  /** `openssl x509 -days` cannot go into the past in openssl 3.0, so the expired cert is issued with `openssl ca -startdate/-enddate`. */
  expiredLeaf(certFile: string, keyFile: string, cn: string, ca: { cert: string; key: string }): void {
    writeKey(keyFile);
    fs.writeFileSync(path.join(this.work, 'ca.cnf'), CA_CONFIG);
    fs.writeFileSync(path.join(this.work, 'index.txt'), '');
    fs.writeFileSync(path.join(this.work, 'serial'), randomBytes(8).toString('hex').replace(/^./, '1') + '\n');
    const csr = path.join(this.work, 'expired.csr');
    openssl(['req', '-config', this.configFile, '-new', '-key', keyFile, '-subj', subject(cn), '-out', csr]);
    const now = Date.now();
    const tmp = tmpName(certFile);
    openssl(
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-notext',
        '-preserveDN',
        '-in',
        csr,
        '-cert',
        ca.cert,
        '-keyfile',
        ca.key,
        '-startdate',
        asn1Time(now - 30 * DAY_MS),
        '-enddate',
        asn1Time(now - 2 * DAY_MS),
        '-extensions',
        'client_ext',
        '-out',
        tmp,
      ],
      this.work,
    );
    fs.renameSync(tmp, certFile);
  }
}

/** YYMMDDHHMMSSZ (UTCTime), as `openssl ca -startdate/-enddate` wants it. */
function asn1Time(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2024-01-02T03:04:05.678Z
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + 'Z';
}

/** File-name-safe form of an OperatorID ('*' -> '_', '+' -> 'p'); DE*ABC and DEABC stay distinct. */
function fileSafe(operatorId: string): string {
  return operatorId
    .replace(/\*/g, '_')
    .replace(/\+/g, 'p')
    .replace(/[^A-Za-z0-9_p-]/g, '-');
}

/**
 * Creates (or reuses) the demo PKI in `dir`. Idempotent: a cert/key pair that exists, matches, chains to the
 * current CA and is valid for more than one more day is kept; anything else is reissued. Reissuing a CA
 * reissues everything it signed.
 */
export function createCertificates(dir: string, opts: CreateCertificatesOptions = {}): CertPaths {
  const operatorIds = (opts.operatorIds && opts.operatorIds.length > 0 ? opts.operatorIds : DEFAULT_OPERATOR_IDS).map((o) => o.trim());
  for (const op of operatorIds) {
    // Validate before the value goes into an openssl subject; the spelling itself is kept as given.
    const parsed = parseOperatorId(op);
    if (!parsed.ok) throw new Error(`createCertificates: ${parsed.error}`);
  }
  const abs = path.resolve(dir);
  fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  const p = (name: string): string => path.join(abs, name);

  const paths: CertPaths = {
    dir: abs,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clients: {},
    otherCaCert: p('other-ca.crt'),
    otherServerCert: p('other-server.crt'),
    otherServerKey: p('other-server.key'),
    wrongCaClientCert: p('wrong-ca-client.crt'),
    wrongCaClientKey: p('wrong-ca-client.key'),
    expiredClientCert: p('expired-client.crt'),
    expiredClientKey: p('expired-client.key'),
    wrongHostServerCert: p('wrong-host-server.crt'),
    wrongHostServerKey: p('wrong-host-server.key'),
    cpoServerCert: p('cpo-server.crt'),
    cpoServerKey: p('cpo-server.key'),
    hubjectClientCert: p('hubject-client.crt'),
    hubjectClientKey: p('hubject-client.key'),
  };
  const otherCaKey = p('other-ca.key');

  // Scratch space for openssl config and the `openssl ca` database, outside `dir` and removed afterwards.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'oicp-sim-pki-'));
  try {
    const issuer = new Issuer(work);
    const ensureCa = (cert: string, key: string, cn: string): { x509: X509Certificate; fresh: boolean } => {
      const existing = readCert(cert);
      if (existing && reusable(cert, key, { issuer: existing })) return { x509: existing, fresh: false };
      issuer.selfSignedCa(cert, key, cn);
      const made = readCert(cert);
      if (!made) throw new Error('createCertificates: could not read the new CA certificate');
      return { x509: made, fresh: true };
    };
    const demo = ensureCa(paths.caCert, paths.caKey, `${ORG} CA`);
    const other = ensureCa(paths.otherCaCert, otherCaKey, `${ORG} unrelated CA`);
    const demoCa = { cert: paths.caCert, key: paths.caKey };
    const otherCa = { cert: paths.otherCaCert, key: otherCaKey };

    const ensureLeaf = (
      cert: string,
      key: string,
      cn: string,
      ca: { cert: string; key: string },
      x: { x509: X509Certificate; fresh: boolean },
      ext: string[],
      san?: string[],
    ): void => {
      if (!x.fresh && reusable(cert, key, { issuer: x.x509, cn, san })) return;
      issuer.leaf(cert, key, cn, ca, ext);
    };
    const localSan = ['IP Address:127.0.0.1', 'DNS:localhost'];
    ensureLeaf(paths.serverCert, paths.serverKey, 'localhost', demoCa, demo, [...SERVER_EXT, LOCAL_SAN], localSan);
    ensureLeaf(paths.otherServerCert, paths.otherServerKey, 'localhost', otherCa, other, [...SERVER_EXT, LOCAL_SAN], localSan);
    ensureLeaf(
      paths.wrongHostServerCert,
      paths.wrongHostServerKey,
      'wrong.example',
      demoCa,
      demo,
      [...SERVER_EXT, 'subjectAltName=DNS:wrong.example'],
      ['DNS:wrong.example'],
    );

    ensureLeaf(paths.cpoServerCert, paths.cpoServerKey, 'localhost', demoCa, demo, [...SERVER_EXT, LOCAL_SAN], localSan);
    ensureLeaf(paths.hubjectClientCert, paths.hubjectClientKey, HUBJECT_QA_SUBJECT, demoCa, demo, CLIENT_EXT);
    for (const op of operatorIds) {
      const c = { cert: p(`client-${fileSafe(op)}.crt`), key: p(`client-${fileSafe(op)}.key`) };
      ensureLeaf(c.cert, c.key, op, demoCa, demo, CLIENT_EXT);
      paths.clients[op] = c;
    }
    const firstOp = operatorIds[0];
    ensureLeaf(paths.wrongCaClientCert, paths.wrongCaClientKey, firstOp, otherCa, other, CLIENT_EXT);
    if (demo.fresh || !reusable(paths.expiredClientCert, paths.expiredClientKey, { issuer: demo.x509, cn: firstOp, expired: true })) {
      issuer.expiredLeaf(paths.expiredClientCert, paths.expiredClientKey, firstOp, demoCa);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return paths;
}

/** Undoes the RFC 2253 style escaping node applies to subject values (e.g. `CN=\+49*536`). */
export { readCertOperatorId } from '../oicp/certificate';

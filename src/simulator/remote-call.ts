// The simulator as Hubject calling the CPO: eRoamingAuthorizeRemoteStart/Stop to the CPO's endpoint with the
// simulator's own client certificate, or (for tests of the endpoint) with a wrong one or a malformed body.
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { CertPaths } from './certs';
import { tokenOf } from './authorize';

export type RemoteVariant = 'ok' | 'wrong-cert' | 'malformed';

export interface RemoteCallOptions {
  action: 'start' | 'stop';
  EvseID: string;
  /** Default: a new GUID for a start, the last started session for a stop. */
  SessionID?: string;
  ProviderID?: string;
  /** Default: RemoteIdentification with a demo EvcoID. */
  Identification?: Record<string, unknown>;
  variant?: RemoteVariant;
  /** The URL registered in Hubject's portal (overrides the target). */
  url?: string;
}

export interface RemoteCallResult {
  action: 'start' | 'stop';
  variant: RemoteVariant;
  url: string;
  SessionID: string;
  EvseID: string;
  at: number;
  ms: number;
  httpStatus?: number;
  body?: unknown;
  error?: string;
}

export const DEMO_PROVIDER_ID = 'DE-DCB';
export const DEMO_EVCO_ID = 'DE-DCB-C12345678-X';

export class RemoteCaller {
  /** The CPO's registered URL (…/ before /api/oicp), set by the admin API or the simulator's options. */
  target: string | undefined;
  /** The EvseID the page offers for remote start/stop. */
  evseId: string | undefined;
  readonly results: RemoteCallResult[] = [];
  private lastStarted: Map<string, string> = new Map();

  /** onAccepted: a session Hubject now holds (an accepted remote start), so its CDR is not of an unknown session. */
  constructor(
    private readonly certs: CertPaths | undefined,
    private readonly onAccepted?: (r: RemoteCallResult & { ProviderID: string; token: string }) => void,
  ) {}

  async call(o: RemoteCallOptions): Promise<RemoteCallResult> {
    const base = (o.url ?? this.target ?? '').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(base)) throw new Error('no CPO endpoint URL: set it first (POST /admin/remote/target {url})');
    if (!this.certs) throw new Error('the simulator runs without certificate paths: it has no client certificate to call the CPO with');
    const variant = o.variant ?? 'ok';
    const ProviderID = o.ProviderID ?? DEMO_PROVIDER_ID;
    const SessionID = o.SessionID ?? (o.action === 'stop' ? this.lastStarted.get(o.EvseID.toUpperCase()) : undefined) ?? randomUUID();
    const body: Record<string, unknown> = { SessionID, ProviderID, EvseID: o.EvseID };
    if (o.action === 'start') body.Identification = o.Identification ?? { RemoteIdentification: { EvcoID: DEMO_EVCO_ID } };
    const text = variant === 'malformed' ? JSON.stringify({ SessionID, ProviderID }) : JSON.stringify(body);
    const url = `${base}/api/oicp/charging/v21/providers/${encodeURIComponent(ProviderID)}/authorize-remote/${o.action}`;
    const c = this.certs;
    const [cert, key] = variant === 'wrong-cert' ? [c.wrongCaClientCert, c.wrongCaClientKey] : [c.hubjectClientCert, c.hubjectClientKey];
    const at = Date.now();
    const t0 = performance.now();
    const r: RemoteCallResult = { action: o.action, variant, url, SessionID, EvseID: o.EvseID, at, ms: 0 };
    try {
      const { status, json } = await post(url, text, { ca: fs.readFileSync(c.caCert), cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
      r.httpStatus = status;
      r.body = json;
      const accepted = variant === 'ok' && (json as { Result?: boolean } | undefined)?.Result === true;
      if (o.action === 'start' && accepted) this.lastStarted.set(o.EvseID.toUpperCase(), SessionID);
      if (accepted) this.onAccepted?.({ ...r, ProviderID, token: tokenOf(body.Identification) ?? '' });
    } catch (e) {
      r.error = (e as Error).message;
    }
    r.ms = Math.round((performance.now() - t0) * 10) / 10;
    this.results.push(r);
    if (this.results.length > 20) this.results.shift();
    return r;
  }
}

function post(url: string, body: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', ...tls, agent: false, timeout: 15_000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let json: unknown = raw;
          try {
            json = JSON.parse(raw);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

// The simulator's admin page and API: plain HTTP on loopback (a browser has no client certificate), on the route
// table and error answers of the server foundation. No authentication: hostile pages are kept out by the Host check
// and by accepting JSON bodies only (JSON forces a CORS preflight, which this server never grants).
import type * as http from 'node:http';
import { z } from 'zod';
import { HttpError, Router, errorAnswer, pathnameOf, readJson, sendJson } from '../oicp/server';
import { OPERATOR_ID_PATTERN } from '../oicp/ids';
import { FaultSchema, invalidFault, type ActiveFault, type Fault } from './faults';
import { renderAdminPage, type AdminView } from './admin-page';
import { SIM_NOT_AUTHORIZED_CODES, type AuthorizeBook } from './authorize';
import type { RemoteCaller } from './remote-call';
import type { CdrBook } from './cdr';
import type { AdminSession } from './admin-page';

/** What the admin API needs of the simulator. */
export interface AdminTarget {
  readonly host: string;
  adminView(): AdminView;
  clearState(): void;
  resetStats(): void;
  readonly faults: ActiveFault[];
  clearFaults(): void;
  injectFault(f: Fault): number;
  readonly latencyMs: number;
  setLatency(ms: number): void;
  readonly requireData: boolean;
  setRequireData(on: boolean): void;
  readonly refusingConnections: boolean;
  refuseConnections(on: boolean): Promise<void>;
  subOperators(operatorId: string): string[];
  setSubOperators(operatorId: string, subOperatorIds: string[]): void;
  allSubOperators(): Record<string, string[]>;
  readonly authorization: AuthorizeBook;
  /** Remote start/stop to the CPO's endpoint (issue 23). */
  readonly remote: RemoteCaller;
  readonly cdrs: CdrBook;
  sessionRows(limit?: number): AdminSession[];
}

interface AdminContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  json(): Promise<unknown>;
  send(status: number, body: unknown, headers?: Record<string, string>): boolean;
}

const ADMIN_BODY_LIMIT = 1024 * 1024;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function parse<T>(schema: z.ZodType<T>, value: unknown, expected: string): T {
  const p = schema.safeParse(value);
  if (!p.success) throw new HttpError(400, `expected ${expected}`);
  return p.data;
}

const OnOff = z.object({ on: z.boolean() });
const SubOperators = z.object({
  operatorId: z.string().regex(OPERATOR_ID_PATTERN),
  subOperatorIds: z.array(z.string().regex(OPERATOR_ID_PATTERN)).max(100),
});

const RemoteBody = z.object({
  action: z.enum(['start', 'stop']),
  EvseID: z.string().min(1).max(41),
  SessionID: z.string().max(36).optional(),
  ProviderID: z.string().max(6).optional(),
  variant: z.enum(['ok', 'wrong-cert', 'malformed']).optional(),
  url: z.string().url().optional(),
});

const TokenRuleBody = z.object({
  /** An RFID UID or an EvcoID, any case. */
  token: z.string().min(1).max(100),
  AuthorizationStatus: z.enum(['Authorized', 'NotAuthorized']),
  code: z.enum(SIM_NOT_AUTHORIZED_CODES).optional(),
  latencyMs: z.number().min(0).max(600_000).optional(),
});

export function adminRouter(sim: AdminTarget): Router<AdminContext> {
  return (
    new Router<AdminContext>()
      .get('/', ({ res }) => {
        const html = renderAdminPage(sim.adminView());
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Cache-Control': 'no-store',
          'Content-Security-Policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        });
        res.end(html);
      })
      .get('/admin/state', (c) => void c.send(200, sim.adminView(), { 'Cache-Control': 'no-store' }))
      .on('DELETE', '/admin/state', (c) => {
        sim.clearState();
        c.send(200, { ok: true });
      })
      .on('DELETE', '/admin/stats', (c) => {
        sim.resetStats();
        c.send(200, { ok: true });
      })
      .get('/admin/faults', (c) => void c.send(200, { faults: sim.faults }))
      .on('DELETE', '/admin/faults', (c) => {
        sim.clearFaults();
        c.send(200, { faults: [] });
      })
      .post('/admin/faults', async (c) => {
        const body = await c.json();
        const list = Array.isArray(body) ? body : [body];
        // Validate all before injecting any, so a bad list changes nothing.
        const faults: Fault[] = [];
        for (const f of list) {
          const p = FaultSchema.safeParse(f);
          if (!p.success) throw new HttpError(400, invalidFault(p.error.issues));
          faults.push(p.data);
        }
        const ids = faults.map((f) => sim.injectFault(f));
        c.send(201, { ids, faults: sim.faults });
      })
      .post('/admin/latency', async (c) => {
        const p = parse(z.object({ ms: z.number().min(0).max(600_000) }), await c.json(), '{"ms": number}');
        sim.setLatency(p.ms);
        c.send(200, { latencyMs: sim.latencyMs });
      })
      .post('/admin/require-data', async (c) => {
        sim.setRequireData(parse(OnOff, await c.json(), '{"on": boolean}').on);
        c.send(200, { requireData: sim.requireData });
      })
      .post('/admin/refuse', async (c) => {
        await sim.refuseConnections(parse(OnOff, await c.json(), '{"on": boolean}').on);
        c.send(200, { refusingConnections: sim.refusingConnections });
      })
      .get('/admin/sub-operators', (c) => void c.send(200, { subOperators: sim.allSubOperators() }))
      .post('/admin/sub-operators', async (c) => {
        const p = parse(SubOperators, await c.json(), '{"operatorId": OperatorID, "subOperatorIds": [OperatorID, ...]}');
        sim.setSubOperators(p.operatorId, p.subOperatorIds);
        c.send(200, { operatorId: p.operatorId, subOperatorIds: sim.subOperators(p.operatorId) });
      })
      // AuthorizeStart/Stop: the answer per token, the sessions created, and a latency for every authorization.
      .get('/admin/authorize', (c) => {
        const a = sim.authorization;
        c.send(
          200,
          { tokens: a.allRules(), latencyMs: a.latencyMs, received: a.received, sessions: [...a.sessions.values()] },
          { 'Cache-Control': 'no-store' },
        );
      })
      .post('/admin/authorize', async (c) => {
        const p = parse(
          TokenRuleBody,
          await c.json(),
          '{"token": UID|EvcoID, "AuthorizationStatus": "Authorized"|"NotAuthorized", "code"?: "102"|"210"|..., "latencyMs"?: number}',
        );
        sim.authorization.setRule(p.token, { AuthorizationStatus: p.AuthorizationStatus, code: p.code, latencyMs: p.latencyMs });
        c.send(200, { tokens: sim.authorization.allRules() });
      })
      .post('/admin/authorize/latency', async (c) => {
        sim.authorization.latencyMs = parse(z.object({ ms: z.number().min(0).max(600_000) }), await c.json(), '{"ms": number}').ms;
        c.send(200, { latencyMs: sim.authorization.latencyMs });
      })
      .on('DELETE', '/admin/authorize', (c) => {
        sim.authorization.clear();
        c.send(200, { ok: true });
      })
      // Hubject calls the CPO: remote start/stop to the URL the CPO registered (issue 23).
      .get(
        '/admin/remote',
        (c) =>
          void c.send(
            200,
            { target: sim.remote.target ?? null, evseId: sim.remote.evseId ?? null, results: sim.remote.results },
            { 'Cache-Control': 'no-store' },
          ),
      )
      .post('/admin/remote/target', async (c) => {
        sim.remote.target = parse(z.object({ url: z.string().url() }), await c.json(), '{"url": the CPO endpoint URL}').url;
        c.send(200, { target: sim.remote.target });
      })
      .post('/admin/remote', async (c) => {
        const p = parse(RemoteBody, await c.json(), '{"action": "start"|"stop", "EvseID", "SessionID"?, "variant"?: "ok"|"wrong-cert"|"malformed", "url"?}');
        try {
          c.send(200, await sim.remote.call(p));
        } catch (e) {
          throw new HttpError(409, (e as Error).message);
        }
      })
      // CDRs: every stored CDR (one per SessionID), the counters (duplicates answered 022) and the sessions table.
      .get('/admin/cdrs', (c) => {
        const b = sim.cdrs;
        c.send(
          200,
          { counters: b.counters, acceptUnknownSessions: b.acceptUnknownSessions, cdrs: [...b.cdrs.values()], sessions: sim.sessionRows(1000) },
          { 'Cache-Control': 'no-store' },
        );
      })
      .post('/admin/cdrs', async (c) => {
        const p = parse(z.object({ acceptUnknownSessions: z.boolean() }), await c.json(), '{"acceptUnknownSessions": boolean}');
        sim.cdrs.acceptUnknownSessions = p.acceptUnknownSessions;
        c.send(200, { acceptUnknownSessions: sim.cdrs.acceptUnknownSessions });
      })
      .on('DELETE', '/admin/cdrs', (c) => {
        sim.cdrs.clear();
        c.send(200, { ok: true });
      })
  );
}

/** The request handler of the admin server. */
export function adminHandler(sim: AdminTarget): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const router = adminRouter(sim);
  return (req, res) => {
    const ctx: AdminContext = {
      req,
      res,
      json: async () => {
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'Content-Type must be application/json');
        return readJson(req, ADMIN_BODY_LIMIT);
      },
      send: (status, body, headers) => sendJson(res, status, body, headers),
    };
    const run = async () => {
      if (isLoopback(sim.host)) {
        const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
        if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostName) && !hostName.startsWith('127.')) throw new HttpError(403, 'unexpected Host header');
      }
      const r = router.resolve(req.method ?? 'GET', pathnameOf(req));
      if (r instanceof HttpError) throw r;
      await r.handler(ctx, r.params);
    };
    run().catch((err: unknown) => {
      const a = errorAnswer(err);
      sendJson(res, a.status, err instanceof HttpError ? a.body : { message: err instanceof Error ? err.message : 'error' }, a.headers);
    });
  };
}

// The simulator's eRoamingAuthorizeStart/Stop (OA eRoamingAuthorizeStart_V2.1, eRoamingAuthorizeStop_V2.1). Per
// UID (or EvcoID) the admin API chooses Authorized or NotAuthorized with a code, and an extra latency. AuthorizeStart
// creates a SessionID; AuthorizeStop answers for a session it created.
import { randomUUID } from 'node:crypto';
import { codeInfo } from '../oicp/codes';

export const SIM_NOT_AUTHORIZED_CODES = ['102', '106', '200', '210', '300', '310', '320'] as const;
export type SimNotAuthorizedCode = (typeof SIM_NOT_AUTHORIZED_CODES)[number];

export interface TokenRule {
  AuthorizationStatus: 'Authorized' | 'NotAuthorized';
  /** NotAuthorized: the StatusCode (102, 210, 310, 320, ...). */
  code?: SimNotAuthorizedCode;
  /** Added to the simulator's latency for this token. */
  latencyMs?: number;
}

export interface SimSession {
  SessionID: string;
  OperatorID: string;
  EvseID?: string;
  token: string;
  ProviderID: string;
  CPOPartnerSessionID?: string;
  startedAt: number;
  stoppedAt?: number;
}

/** The UID or EvcoID an Identification names (upper case), or undefined. */
export function tokenOf(identification: unknown): string | undefined {
  if (!identification || typeof identification !== 'object') return undefined;
  for (const v of Object.values(identification as Record<string, unknown>)) {
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const t = o.UID ?? o.EvcoID;
      if (typeof t === 'string') return t.toUpperCase();
    }
  }
  return undefined;
}

const PROVIDER_ID = 'DE-DCB';

function withoutNulls(v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== null && x !== undefined)
      .map(([k, x]) => [k, withoutNulls(x)]),
  );
}

export class AuthorizeBook {
  private readonly rules = new Map<string, TokenRule>();
  readonly sessions = new Map<string, SimSession>();
  /** Every AuthorizeStart/Stop that reached the simulator (before latency and faults), by operation. */
  readonly received = { authorizeStart: 0, authorizeStop: 0 };
  /** The last 1,000 bodies received, oldest first, so tests check what clients send. */
  readonly bodies: Array<{ operation: 'authorizeStart' | 'authorizeStop'; body: unknown }> = [];
  /** Latency of every authorization answer, on top of the simulator's. */
  latencyMs = 0;

  setRule(token: string, rule: TokenRule): void {
    this.rules.set(token.toUpperCase(), rule);
  }
  rule(token: string | undefined): TokenRule {
    return (token !== undefined ? this.rules.get(token) : undefined) ?? { AuthorizationStatus: 'Authorized' };
  }
  allRules(): Record<string, TokenRule> {
    return Object.fromEntries(this.rules);
  }
  clear(): void {
    this.rules.clear();
    this.sessions.clear();
    this.received.authorizeStart = this.received.authorizeStop = 0;
    this.bodies.length = 0;
    this.latencyMs = 0;
  }

  /** Latency this request gets beyond the simulator's own. */
  delayFor(body: unknown): number {
    const token = tokenOf((body as { Identification?: unknown } | null)?.Identification);
    return this.latencyMs + (this.rule(token).latencyMs ?? 0);
  }

  /** The answer body (HTTP 200) to an AuthorizeStart or AuthorizeStop for urlOperatorId; absent fields left out, as the OpenAPI types them. */
  answer(
    operation: 'authorizeStart' | 'authorizeStop',
    body: unknown,
    urlOperatorId: string,
    now = Date.now(),
  ): { httpStatus: number; body: unknown; code: string } {
    const a = this.decide(operation, body, urlOperatorId, now);
    return { ...a, body: withoutNulls(a.body) };
  }

  private decide(
    operation: 'authorizeStart' | 'authorizeStop',
    body: unknown,
    urlOperatorId: string,
    now = Date.now(),
  ): { httpStatus: number; body: unknown; code: string } {
    this.bodies.push({ operation, body });
    if (this.bodies.length > 1000) this.bodies.shift();
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    const token = tokenOf(b.Identification);
    if (token === undefined || typeof b.OperatorID !== 'string' || (operation === 'authorizeStop' && typeof b.SessionID !== 'string')) {
      return {
        httpStatus: 400,
        code: '',
        body: { message: 'Validation failed', validationErrors: [{ fieldReference: 'Identification', errorMessage: 'missing or invalid' }] },
      };
    }
    const r = this.rule(token);
    const notAuthorized = (code: string, SessionID?: unknown) => ({
      httpStatus: 200,
      code,
      body: {
        SessionID: typeof SessionID === 'string' ? SessionID : null,
        CPOPartnerSessionID: b.CPOPartnerSessionID ?? null,
        EMPPartnerSessionID: null,
        ProviderID: null,
        AuthorizationStatus: 'NotAuthorized',
        AuthorizationStopIdentifications: null,
        StatusCode: { Code: code, Description: codeInfo(code).description, AdditionalInfo: null },
      },
    });
    if (operation === 'authorizeStop') {
      const s = this.sessions.get(b.SessionID as string);
      // An unknown session: no valid contract for it. **Assumption** of the simulator: the spec gives no code.
      if (!s) return notAuthorized('210', b.SessionID);
      if (r.AuthorizationStatus === 'NotAuthorized' && token !== s.token) return notAuthorized(r.code ?? '102', s.SessionID);
      s.stoppedAt = now;
      return { httpStatus: 200, code: '000', body: this.authorized(s, b) };
    }
    if (r.AuthorizationStatus === 'NotAuthorized') return notAuthorized(r.code ?? '102');
    const s: SimSession = {
      SessionID: randomUUID(),
      OperatorID: urlOperatorId,
      EvseID: typeof b.EvseID === 'string' ? b.EvseID : undefined,
      token,
      ProviderID: PROVIDER_ID,
      CPOPartnerSessionID: typeof b.CPOPartnerSessionID === 'string' ? b.CPOPartnerSessionID : undefined,
      startedAt: now,
    };
    this.sessions.set(s.SessionID, s);
    return { httpStatus: 200, code: '000', body: this.authorized(s, b) };
  }

  private authorized(s: SimSession, b: Record<string, unknown>): unknown {
    return {
      SessionID: s.SessionID,
      CPOPartnerSessionID: b.CPOPartnerSessionID ?? s.CPOPartnerSessionID ?? null,
      EMPPartnerSessionID: null,
      ProviderID: s.ProviderID,
      AuthorizationStatus: 'Authorized',
      AuthorizationStopIdentifications: null,
      StatusCode: { Code: '000', Description: 'Success', AdditionalInfo: null },
    };
  }
}

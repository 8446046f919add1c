// Hubject's authorization answer (or its absence) as the answer the charger expects. Every choice the spec leaves
// open is listed in docs/sessions.md under "Assumptions".

import { describeValue as show } from '../oicp/describe';
import { fail, isObj, type Obj } from './errors';
import { normaliseIdentification, rfidUid, identificationKey, type Identification } from './identification';

export type Ocpp16Status = 'Accepted' | 'Blocked' | 'Expired' | 'Invalid' | 'ConcurrentTx';
export type Ocpp201Status =
  'Accepted' | 'Blocked' | 'ConcurrentTx' | 'Expired' | 'Invalid' | 'NoCredit' | 'NotAllowedTypeEVSE' | 'NotAtThisLocation' | 'NotAtThisTime' | 'Unknown';

/**
 * NotAuthorized codes (spec 03 code table) -> OCPP. The spec only says why; the OCPP status is our choice:
 * - 102 invalid UID, 106 no positive answer: Invalid.
 * - 200 EvcoID locked: Blocked (the contract exists and is locked).
 * - 210 no valid contract (between EMP and CPO): 1.6 Invalid; 2.0.1 NotAtThisLocation (the token may work elsewhere).
 * - 300 partner not found: 1.6 Invalid; 2.0.1 Unknown (nobody knows the token).
 * - 310 partner did not respond, 320 service not available: Invalid. Hubject already treats a silent EMP as
 *   NotAuthorized (spec 02), so the local fallback list does not apply: Hubject did answer.
 * - any other code with NotAuthorized: Invalid. No Hubject code means "expired", so Expired is never produced.
 */
export const NOT_AUTHORIZED_16: Readonly<Record<string, Ocpp16Status>> = {
  '102': 'Invalid',
  '106': 'Invalid',
  '200': 'Blocked',
  '210': 'Invalid',
  '300': 'Invalid',
  '310': 'Invalid',
  '320': 'Invalid',
};
export const NOT_AUTHORIZED_201: Readonly<Record<string, Ocpp201Status>> = {
  '102': 'Invalid',
  '106': 'Invalid',
  '200': 'Blocked',
  '210': 'NotAtThisLocation',
  '300': 'Unknown',
  '310': 'Invalid',
  '320': 'Invalid',
};

export interface AuthorizationAnswer {
  AuthorizationStatus: 'Authorized' | 'NotAuthorized';
  StatusCode: { Code: string; Description?: string; AdditionalInfo?: string };
  SessionID?: string;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  ProviderID?: string;
  AuthorizationStopIdentifications?: Identification[];
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Reads eRoamingAuthorizationStart/Stop leniently (Hubject sends null for absent fields); throws when it is not one. */
export function readAuthorizationAnswer(body: unknown): AuthorizationAnswer {
  if (!isObj(body)) return fail('answer', `Hubject's answer is ${show(body)}, not an eRoamingAuthorizationStart/Stop`);
  const status = body.AuthorizationStatus;
  if (status !== 'Authorized' && status !== 'NotAuthorized') {
    return fail('AuthorizationStatus', `Hubject's answer has AuthorizationStatus ${show(status)}, neither Authorized nor NotAuthorized`);
  }
  const sc = isObj(body.StatusCode) ? body.StatusCode : {};
  const code = typeof sc.Code === 'number' ? String(sc.Code).padStart(3, '0') : text(sc.Code);
  const out: AuthorizationAnswer = { AuthorizationStatus: status, StatusCode: { Code: code ?? (status === 'Authorized' ? '000' : '') } };
  if (text(sc.Description)) out.StatusCode.Description = sc.Description as string;
  if (text(sc.AdditionalInfo)) out.StatusCode.AdditionalInfo = sc.AdditionalInfo as string;
  for (const k of ['SessionID', 'CPOPartnerSessionID', 'EMPPartnerSessionID', 'ProviderID'] as const) {
    const v = text(body[k]);
    if (v !== undefined) out[k] = v;
  }
  if (status === 'Authorized' && out.SessionID === undefined) {
    return fail('SessionID', 'Hubject authorized without a SessionID: the session could not be stopped or billed');
  }
  if (Array.isArray(body.AuthorizationStopIdentifications)) {
    // Each option of each entry on its own; ones we cannot read (RFIDIdentification, a bad UID) are left out: they
    // could only widen who may stop without asking Hubject.
    const ids: Identification[] = [];
    for (const e of body.AuthorizationStopIdentifications) {
      if (!isObj(e)) continue;
      for (const [k, v] of Object.entries(e)) {
        try {
          ids.push(normaliseIdentification({ [k]: v }));
        } catch {
          /* left out on purpose */
        }
      }
    }
    out.AuthorizationStopIdentifications = ids;
  }
  return out;
}

/** What happened to the call. 'answer' is an HTTP 200 with a body; the rest are failures. */
export type AuthorizationOutcome =
  { kind: 'answer'; body: unknown } | { kind: 'timeout' } | { kind: 'unreachable'; error?: string } | { kind: 'http'; status: number; body?: unknown };

export interface DecisionOptions {
  /** OCPP family of the answer: 1 (idTagInfo) or 2 (idTokenInfo); 0 (plain input) gives both. */
  family: 0 | 1 | 2;
  /** OCPP 1.6 StartTransaction: the id the caller assigned. */
  transactionId?: number;
  /** UIDs accepted when Hubject cannot be asked (compileLocalList). */
  localList?: ReadonlySet<string>;
  /** The token presented, for the local list. */
  identification?: Identification;
}

export interface AuthorizationDecision {
  /** 'hubject': Hubject answered; 'fallback': it could not be asked (timeout, unreachable, 429, 5xx); 'refused': another HTTP error. */
  source: 'hubject' | 'fallback' | 'refused';
  authorized: boolean;
  status16: Ocpp16Status;
  status201: Ocpp201Status;
  /** Hubject's StatusCode.Code, or the failure ('timeout', 'unreachable', 'http 503'). */
  reason: string;
  answer?: AuthorizationAnswer;
  /** The charger's answer: {idTagInfo} (+ transactionId), {idTokenInfo}, or both for plain input. */
  ocpp: Obj;
}

/** The local list: upper-case UIDs; a bad entry is an error naming it (a configuration that cannot work is red at deploy). */
export function compileLocalList(list: unknown): ReadonlySet<string> {
  if (list === undefined || list === null || list === '') return new Set();
  const items = typeof list === 'string' ? list.split(/[\s,;]+/).filter((s) => s !== '') : list;
  if (!Array.isArray(items)) return fail('localList', `local list is ${show(list)}, not a list of UIDs`);
  return new Set(items.map((u, i) => rfidUid(u, `localList[${i}]`)));
}

function charger(d: Omit<AuthorizationDecision, 'ocpp'>, o: DecisionOptions): AuthorizationDecision {
  const ocpp: Obj = {};
  if (o.family !== 2) {
    ocpp.idTagInfo = { status: d.status16 };
    if (o.transactionId !== undefined) ocpp.transactionId = o.transactionId;
  }
  if (o.family !== 1) ocpp.idTokenInfo = { status: d.status201 };
  return { ...d, ocpp };
}

/**
 * The charger's answer for an authorization outcome. Hubject's answer decides when there is one. Without one (timeout,
 * unreachable, HTTP 429 or 5xx) the local list decides: Accepted for a listed RFID UID, Invalid otherwise. Other
 * HTTP errors (400, 401/403: our request or certificate) are Invalid, not the fallback: Hubject is there and said no.
 * A 200 whose body is no authorization answer counts as unreachable (we cannot know what Hubject meant).
 */
export function decideAuthorization(outcome: AuthorizationOutcome, o: DecisionOptions): AuthorizationDecision {
  if (outcome.kind === 'answer') {
    let answer: AuthorizationAnswer | undefined;
    try {
      answer = readAuthorizationAnswer(outcome.body);
    } catch (e) {
      return fallback(`bad answer: ${(e as Error).message}`, o);
    }
    if (answer.AuthorizationStatus === 'Authorized') {
      return charger({ source: 'hubject', authorized: true, status16: 'Accepted', status201: 'Accepted', reason: answer.StatusCode.Code, answer }, o);
    }
    const code = answer.StatusCode.Code;
    return charger(
      {
        source: 'hubject',
        authorized: false,
        status16: NOT_AUTHORIZED_16[code] ?? 'Invalid',
        status201: NOT_AUTHORIZED_201[code] ?? 'Invalid',
        reason: code,
        answer,
      },
      o,
    );
  }
  if (outcome.kind === 'timeout') return fallback('timeout', o);
  if (outcome.kind === 'unreachable') return fallback('unreachable', o);
  if (outcome.status === 429 || outcome.status === 408 || outcome.status >= 500) return fallback(`http ${outcome.status}`, o);
  return charger({ source: 'refused', authorized: false, status16: 'Invalid', status201: 'Invalid', reason: `http ${outcome.status}` }, o);
}

function fallback(reason: string, o: DecisionOptions): AuthorizationDecision {
  const id = o.identification;
  const listed = id !== undefined && o.localList !== undefined && identificationKey(id).startsWith('UID:') && o.localList.has(identificationKey(id).slice(4));
  const status = listed ? 'Accepted' : 'Invalid';
  return charger({ source: 'fallback', authorized: listed, status16: status, status201: status, reason }, o);
}

/**
 * May this token stop the session without asking Hubject? Yes for the token that started it (spec 02: a session
 * authorised offline MUST be stopped with the same medium) and for one in the start answer's
 * AuthorizationStopIdentifications. Otherwise the caller sends AuthorizeStop.
 */
export function mayStopLocally(session: { Identification: Identification; AuthorizationStopIdentifications?: Identification[] }, id: Identification): boolean {
  const key = identificationKey(id);
  if (identificationKey(session.Identification) === key) return true;
  return (session.AuthorizationStopIdentifications ?? []).some((s) => identificationKey(s) === key);
}

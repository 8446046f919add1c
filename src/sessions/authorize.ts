// eRoamingAuthorizeStart_V2.1 and eRoamingAuthorizeStop_V2.1 bodies from what the charger sent.

import { describeValue as show } from '../oicp/describe';
import { cleanIdPart, foreignEvseError, operatorList, parseEvseId, parseOperatorId, evseBelongsToOperator, type Operators } from '../oicp/ids';
import { compileEvseIdTemplate, type CompiledTemplate } from '../ocpp/template';
import { evseNumberOf, readChargerRequest, type ChargerRequest } from './envelope';
import { fail, isObj, type Obj } from './errors';
import { identificationFromIdTag, identificationFromIdToken, normaliseIdentification, type Identification } from './identification';

/** SessionIDType: a GUID. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9]{8}(-[A-Za-z0-9]{4}){3}-[A-Za-z0-9]{12}$/;
export const PARTNER_SESSION_ID_MAX = 250;
export const PRODUCT_ID_MAX = 50;

export interface AuthorizeOptions {
  /** The operator's OperatorID, exactly as its certificate spells it (sent as given, upper-cased). */
  OperatorID: string;
  /** Sub-operators whose EvseIDs may also appear (hub CPO). */
  subOperators?: readonly string[];
  /** EvseID template, e.g. 'DE*ABC*E{chargeBoxId}*{connectorId}'. */
  evseIdTemplate?: string | CompiledTemplate;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  PartnerProductID?: string;
  /** The token comes from a session Hubject started remotely (RemoteIdentification). */
  remote?: boolean;
}

/** What the authorization request was made from: the body plus the facts the session store and the answer need. */
export interface AuthorizeRequest<B> {
  body: B;
  /** The charger request it came from; undefined for plain input. */
  request: ChargerRequest | undefined;
  /** OCPP family of the charger's answer: 1, 2, or 0 for plain input. */
  family: 0 | 1 | 2;
}

export interface AuthorizeStartBody {
  OperatorID: string;
  EvseID?: string;
  Identification: Identification;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  PartnerProductID?: string;
}

export interface AuthorizeStopBody {
  SessionID: string;
  OperatorID: string;
  EvseID?: string;
  Identification: Identification;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
}

export function sessionId(value: unknown, field = 'SessionID'): string {
  if (typeof value !== 'string' || !SESSION_ID_PATTERN.test(value)) return fail(field, `${field} ${show(value)} is not a Hubject SessionID (a GUID)`);
  return value;
}

export function optionalText(value: unknown, field: string, max: number): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return fail(field, `${field} is ${show(value)}, not a string`);
  if (value.length > max) return fail(field, `${field} has ${value.length} characters; OICP allows at most ${max}`);
  return value;
}

function operatorOf(o: AuthorizeOptions): string {
  const r = parseOperatorId(o.OperatorID);
  if (!r.ok) return fail('OperatorID', r.error);
  // Sent exactly as configured (only upper-cased): Hubject compares it with the certificate as text.
  return r.value;
}

function operators(o: AuthorizeOptions, own: string): Operators {
  return o.subOperators && o.subOperators.length ? [own, ...o.subOperators] : own;
}

const templates = new Map<string, CompiledTemplate>();

/** EvseID: the message's own (msg.evseId), else the template over charger and connector; undefined if neither applies. */
export function evseIdOf(req: ChargerRequest, o: { evseIdTemplate?: string | CompiledTemplate }, ops?: Operators): string | undefined {
  let raw: string | undefined = req.explicitEvseId;
  if (raw === undefined && o.evseIdTemplate !== undefined && o.evseIdTemplate !== '') {
    const n = evseNumberOf(req);
    if (n !== undefined && req.chargeBoxId !== undefined) {
      let t = typeof o.evseIdTemplate === 'string' ? templates.get(o.evseIdTemplate) : o.evseIdTemplate;
      if (!t) {
        t = compileEvseIdTemplate(o.evseIdTemplate as string);
        templates.set(o.evseIdTemplate as string, t);
      }
      raw = t.render(cleanIdPart(req.chargeBoxId), n);
    }
  }
  if (raw === undefined) return undefined;
  return checkedEvseId(raw, ops);
}

export function checkedEvseId(raw: unknown, ops?: Operators): string {
  const r = parseEvseId(raw);
  if (!r.ok) return fail('EvseID', r.error);
  if (ops !== undefined && operatorList(ops).length && !evseBelongsToOperator(r.value, ops)) return fail('EvseID', foreignEvseError(r.value, ops));
  return r.value;
}

/** The token the charger presented, or undefined when the request carries none (a StopTransaction may not). */
export function identificationOf(req: ChargerRequest, remote = false): Identification | undefined {
  const d = req.data;
  if (req.family === 1) {
    if (d.idTag === undefined || d.idTag === null) return undefined;
    return identificationFromIdTag(d.idTag, `${req.command}.idTag`);
  }
  if (d.idToken === undefined || d.idToken === null) return undefined;
  return identificationFromIdToken(d.idToken, { remote }, `${req.command}.idToken`);
}

function isPlain(input: unknown): input is Obj {
  return isObj(input) && isObj(input.payload) && input.payload.Identification !== undefined;
}

function plainOf(input: Obj): Obj {
  return input.payload as Obj;
}

function withOptional<B extends object>(body: B, o: AuthorizeOptions, plain: Obj | undefined, product: boolean): B {
  const b = body as Obj;
  const cpo = optionalText(plain?.CPOPartnerSessionID ?? o.CPOPartnerSessionID, 'CPOPartnerSessionID', PARTNER_SESSION_ID_MAX);
  const emp = optionalText(plain?.EMPPartnerSessionID ?? o.EMPPartnerSessionID, 'EMPPartnerSessionID', PARTNER_SESSION_ID_MAX);
  if (cpo !== undefined) b.CPOPartnerSessionID = cpo;
  if (emp !== undefined) b.EMPPartnerSessionID = emp;
  if (product) {
    const p = optionalText(plain?.PartnerProductID ?? o.PartnerProductID, 'PartnerProductID', PRODUCT_ID_MAX);
    if (p !== undefined) b.PartnerProductID = p;
  }
  return body;
}

/**
 * eRoamingAuthorizeStart_V2.1 from an OCPP 1.6 Authorize/StartTransaction, an OCPP 2.0.1 Authorize/TransactionEvent
 * with an idToken, or a plain msg.payload {Identification, EvseID?}. Throws SessionInputError naming the field.
 */
export function buildAuthorizeStart(input: unknown, o: AuthorizeOptions): AuthorizeRequest<AuthorizeStartBody> {
  const OperatorID = operatorOf(o);
  const ops = operators(o, OperatorID);
  if (isPlain(input)) {
    const p = plainOf(input);
    const evse = p.EvseID !== undefined && p.EvseID !== null ? checkedEvseId(p.EvseID, ops) : undefined;
    const Identification = normaliseIdentification(p.Identification);
    const body: AuthorizeStartBody = evse !== undefined ? { OperatorID, EvseID: evse, Identification } : { OperatorID, Identification };
    return { body: withOptional(body, o, p, true), request: undefined, family: 0 };
  }
  const req = readChargerRequest(input);
  if (req.command === 'StopTransaction') return fail('command', 'a StopTransaction ends a session; it cannot start one (use AuthorizeStop)');
  if (req.command === 'TransactionEvent' && req.data.eventType === 'Ended') {
    return fail('TransactionEvent.eventType', "a TransactionEvent 'Ended' cannot start a session (use AuthorizeStop)");
  }
  const Identification = identificationOf(req, o.remote);
  if (!Identification) {
    return fail(
      req.family === 1 ? `${req.command}.idTag` : `${req.command}.idToken`,
      `${req.command} carries no ${req.family === 1 ? 'idTag' : 'idToken'}: nothing to authorise`,
    );
  }
  const evse = evseIdOf(req, o, ops);
  const body: AuthorizeStartBody = evse !== undefined ? { OperatorID, EvseID: evse, Identification } : { OperatorID, Identification };
  return { body: withOptional(body, o, undefined, true), request: req, family: req.family };
}

/** The session an AuthorizeStop belongs to, as the session store keeps it. */
export interface StopSession {
  SessionID: string;
  EvseID?: string;
  Identification: Identification;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
}

/**
 * eRoamingAuthorizeStop_V2.1 for a session. The Identification is the token presented to stop; a request without a
 * token (a StopTransaction without idTag) stops with the session's own.
 */
export function buildAuthorizeStop(input: unknown, session: StopSession, o: AuthorizeOptions): AuthorizeRequest<AuthorizeStopBody> {
  const OperatorID = operatorOf(o);
  const ops = operators(o, OperatorID);
  if (!isObj(session)) return fail('session', `session is ${show(session)}, not a session record`);
  const SessionID = sessionId(session.SessionID, 'session.SessionID');
  let Identification: Identification | undefined;
  let evse: string | undefined;
  let request: ChargerRequest | undefined;
  let family: 0 | 1 | 2 = 0;
  let plain: Obj | undefined;
  if (isPlain(input)) {
    plain = plainOf(input);
    Identification = normaliseIdentification(plain.Identification);
    if (plain.EvseID !== undefined && plain.EvseID !== null) evse = checkedEvseId(plain.EvseID, ops);
  } else if (input !== undefined && input !== null) {
    request = readChargerRequest(input);
    family = request.family;
    Identification = identificationOf(request, o.remote);
    evse = evseIdOf(request, o, ops);
  }
  if (!Identification) Identification = normaliseIdentification(session.Identification, 'session.Identification');
  if (evse === undefined && session.EvseID !== undefined) evse = checkedEvseId(session.EvseID, ops);
  const body: AuthorizeStopBody = evse !== undefined ? { SessionID, OperatorID, EvseID: evse, Identification } : { SessionID, OperatorID, Identification };
  const ids = {
    CPOPartnerSessionID: session.CPOPartnerSessionID ?? o.CPOPartnerSessionID,
    EMPPartnerSessionID: session.EMPPartnerSessionID ?? o.EMPPartnerSessionID,
  };
  return { body: withOptional(body, { ...o, ...ids }, plain, false), request, family };
}

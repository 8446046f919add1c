// eRoamingAuthorizeRemoteStart_V2.1 / eRoamingAuthorizeRemoteStop_V2.1 as Hubject sends them to the CPO
// (OA cpo-2.3-openapi.yaml). Lengths the OpenAPI writes as `maximum:` are enforced here.
import { z } from 'zod';
import { EVSE_ID_MAX_LENGTH, EVSE_ID_PATTERN } from '../oicp/ids';
import { EVCO_ID_PATTERN, UID_PATTERN } from '../sessions/identification';

export const SESSION_ID_PATTERN = /^[A-Za-z0-9]{8}(-[A-Za-z0-9]{4}){3}-[A-Za-z0-9]{12}$/;
export const PROVIDER_ID_PATTERN = /^([A-Za-z]{2}-?[A-Za-z0-9]{3}|[A-Za-z]{2}[*|-]?[A-Za-z0-9]{3})$/;

const SessionID = z.string().regex(SESSION_ID_PATTERN, 'not a Hubject SessionID (GUID)');
const ProviderID = z.string().regex(PROVIDER_ID_PATTERN, 'not a ProviderID');
const EvseID = z.string().max(EVSE_ID_MAX_LENGTH).regex(EVSE_ID_PATTERN, 'not an EvseID');
const PartnerSession = z.string().max(250);
const EvcoID = z.string().regex(EVCO_ID_PATTERN, 'not an EvcoID');
const withEvco = z.looseObject({ EvcoID });

// Hubject sends null for absent optional fields: read them as absent.
const opt = <T extends z.ZodType>(s: T) => s.nullish().transform((v) => v ?? undefined);

const IdentificationSchema = z
  .looseObject({
    RFIDMifareFamilyIdentification: opt(z.looseObject({ UID: z.string().regex(UID_PATTERN, 'not an RFID UID') })),
    RFIDIdentification: opt(z.looseObject({ UID: z.string().regex(UID_PATTERN, 'not an RFID UID') })),
    QRCodeIdentification: opt(withEvco),
    PlugAndChargeIdentification: opt(withEvco),
    RemoteIdentification: opt(withEvco),
  })
  .refine(
    (i) => i.RFIDMifareFamilyIdentification || i.RFIDIdentification || i.QRCodeIdentification || i.PlugAndChargeIdentification || i.RemoteIdentification,
    { message: 'names no identification option (RemoteIdentification, RFIDMifareFamilyIdentification, ...)' },
  );

export const RemoteStartSchema = z.looseObject({
  SessionID,
  CPOPartnerSessionID: opt(PartnerSession),
  EMPPartnerSessionID: opt(PartnerSession),
  ProviderID,
  EvseID,
  Identification: IdentificationSchema,
  PartnerProductID: opt(z.string().max(50)),
});
export const RemoteStopSchema = z.looseObject({
  SessionID,
  CPOPartnerSessionID: opt(PartnerSession),
  EMPPartnerSessionID: opt(PartnerSession),
  ProviderID,
  EvseID,
});

export type RemoteStart = z.infer<typeof RemoteStartSchema>;
export type RemoteStop = z.infer<typeof RemoteStopSchema>;
export type RemoteAction = 'start' | 'stop';
export type RemoteRequest = RemoteStart | RemoteStop;

export type Checked<T> = { ok: true; value: T } | { ok: false; field: string; problem: string };

/** The request checked against its schema; on failure the first field at fault, as a dotted path. */
export function checkRemoteRequest(action: 'start', body: unknown): Checked<RemoteStart>;
export function checkRemoteRequest(action: 'stop', body: unknown): Checked<RemoteStop>;
export function checkRemoteRequest(action: RemoteAction, body: unknown): Checked<RemoteRequest>;
export function checkRemoteRequest(action: RemoteAction, body: unknown): Checked<RemoteRequest> {
  const r = (action === 'start' ? RemoteStartSchema : RemoteStopSchema).safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : '(body)';
  const problem = issue.code === 'invalid_type' && issue.input === undefined ? 'is missing' : issue.message;
  return { ok: false, field, problem };
}

/** The token of an Identification as text: the EvcoID or the UID. */
export function tokenOf(id: RemoteStart['Identification']): { value: string; kind: 'EvcoID' | 'UID' } {
  const evco = id.RemoteIdentification ?? id.PlugAndChargeIdentification ?? id.QRCodeIdentification;
  if (evco) return { value: String(evco.EvcoID).toUpperCase(), kind: 'EvcoID' };
  const rfid = id.RFIDMifareFamilyIdentification ?? id.RFIDIdentification;
  return { value: String(rfid!.UID).toUpperCase(), kind: 'UID' };
}

// The eRoamingAcknowledgement the CPO answers remote start/stop with, and the CPO refusal codes (spec 03 code table).

export const REMOTE_CODES = {
  '000': 'Success.',
  '022': 'Data error.',
  '400': 'Session is invalid.',
  '501': 'Communication to EVSE failed.',
  '510': 'No EV connected to EVSE.',
  '601': 'EVSE already reserved.',
  '602': 'EVSE already in use/ wrong token.',
  '603': 'Unknown EVSE ID.',
  '700': 'EVSE out of service.',
} as const;
export type RemoteCode = keyof typeof REMOTE_CODES;
/** The codes a flow may give with a refusal. */
export const REFUSAL_CODES: readonly RemoteCode[] = ['501', '510', '601', '602', '700'];

export interface Acknowledgement {
  Result: boolean;
  StatusCode: { Code: string; Description?: string; AdditionalInfo?: string };
  SessionID?: string;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
}

export function acknowledgement(
  result: boolean,
  code: RemoteCode,
  additionalInfo?: string,
  ids: { SessionID?: string; CPOPartnerSessionID?: string; EMPPartnerSessionID?: string } = {},
): Acknowledgement {
  const a: Acknowledgement = { Result: result, StatusCode: { Code: code, Description: REMOTE_CODES[code] } };
  if (additionalInfo) a.StatusCode.AdditionalInfo = additionalInfo.slice(0, 200);
  if (ids.SessionID) a.SessionID = ids.SessionID;
  if (ids.CPOPartnerSessionID) a.CPOPartnerSessionID = ids.CPOPartnerSessionID;
  if (ids.EMPPartnerSessionID) a.EMPPartnerSessionID = ids.EMPPartnerSessionID;
  return a;
}

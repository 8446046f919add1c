// OCPP tokens as OICP Identification (spec 03, IdentificationType).
// - RFID: RFIDMifareFamilyIdentification.UID, upper-case hex of 8, 14 or 20 characters (4, 7 or 10 byte UIDs).
//   RFIDIdentification MUST NOT be used in eRoamingAuthorization, so it is never produced and refused as input.
// - eMAID / EvcoID: PlugAndChargeIdentification for a contract the charger presents itself (ISO 15118), and
//   RemoteIdentification for a session Hubject started remotely (spec 03: only RemoteIdentification there).

import { describeValue as show } from '../oicp/describe';
import { fail, isObj, type Obj } from './errors';

export const UID_PATTERN = /^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$/;
// EvcoIDType, ISO (15 characters with 'C') or DIN (12), as the OpenAPI writes it.
export const EVCO_ID_PATTERN =
  /^(([A-Za-z]{2}-?[A-Za-z0-9]{3}-?C[A-Za-z0-9]{8}-?[\d|A-Za-z])|([A-Za-z]{2}[*|-]?[A-Za-z0-9]{3}[*|-]?[A-Za-z0-9]{6}[*|-]?[\d|X]))$/;
const HASHED_PIN_VALUE = /^[0-9A-Za-z\\.+/=\\$]{10,100}$/;

export type Identification =
  | { RFIDMifareFamilyIdentification: { UID: string } }
  | { PlugAndChargeIdentification: { EvcoID: string } }
  | { RemoteIdentification: { EvcoID: string } }
  | { QRCodeIdentification: { EvcoID: string; PIN?: string; HashedPIN?: Obj } };

const ALLOWED = 'upper- or lower-case hex of 8, 14 or 20 characters (a 4, 7 or 10 byte card UID)';

/** An RFID UID as Hubject takes it: lower case is upper-cased; anything else is an error naming the value. */
export function rfidUid(value: unknown, field = 'idTag'): string {
  if (typeof value !== 'string' || value === '') return fail(field, `${field} is ${show(value)}; an RFID UID must be ${ALLOWED}`);
  const uid = value.toUpperCase();
  if (!UID_PATTERN.test(uid)) {
    const hint = EVCO_ID_PATTERN.test(value.toUpperCase())
      ? ' It looks like an EvcoID: give it as Identification {PlugAndChargeIdentification: {EvcoID}}.'
      : '';
    return fail(field, `${field} ${show(value)} is not an RFID UID OICP accepts: it must be ${ALLOWED} (got ${value.length} characters).${hint}`);
  }
  return uid;
}

/** An EvcoID (eMAID), upper-cased as Hubject does; an error naming the value otherwise. */
export function evcoId(value: unknown, field = 'EvcoID'): string {
  // Hubject upper-cases EvcoIDs itself (spec 03), so lower case is normalised, not refused.
  if (typeof value !== 'string' || !EVCO_ID_PATTERN.test(value.toUpperCase())) {
    return fail(field, `${field} ${show(value)} is not an EvcoID (ISO 15118 eMAID like DE-DCB-C12345678-X, or DIN like DE*DCB*123456*X)`);
  }
  return value.toUpperCase();
}

/** OCPP 1.6 idTag: always an RFID card UID. */
export function identificationFromIdTag(idTag: unknown, field = 'idTag'): Identification {
  return { RFIDMifareFamilyIdentification: { UID: rfidUid(idTag, field) } };
}

/**
 * OCPP 2.0.1 IdTokenType {idToken, type}. ISO14443/ISO15693 are card UIDs; eMAID is a contract id. With `remote` (a
 * session Hubject started), an eMAID or Central token carries the EvcoID as RemoteIdentification. Other types
 * (KeyCode, Local, MacAddress, NoAuthorization) are local means that Hubject cannot authorise.
 */
export function identificationFromIdToken(token: unknown, options: { remote?: boolean } = {}, field = 'idToken'): Identification {
  if (!isObj(token)) return fail(field, `${field} is ${show(token)}, not an OCPP 2.0.1 IdTokenType {idToken, type}`);
  const type = token.type;
  const value = token.idToken;
  switch (type) {
    case 'ISO14443':
    case 'ISO15693':
      return { RFIDMifareFamilyIdentification: { UID: rfidUid(value, `${field}.idToken`) } };
    case 'eMAID':
    case 'Central': {
      if (type === 'Central' && !options.remote) {
        return fail(field, `${field} of type 'Central' comes from a remote start; only a session Hubject started remotely can use it`);
      }
      const id = evcoId(value, `${field}.idToken`);
      return options.remote ? { RemoteIdentification: { EvcoID: id } } : { PlugAndChargeIdentification: { EvcoID: id } };
    }
    default:
      return fail(field, `${field} of type ${show(type)} cannot be authorised through Hubject: use ISO14443 or ISO15693 (RFID card) or eMAID (contract)`);
  }
}

/** Validates an Identification given as OICP: exactly one of the options, normalised; RFIDIdentification refused. */
export function normaliseIdentification(value: unknown, field = 'Identification'): Identification {
  if (!isObj(value)) return fail(field, `${field} is ${show(value)}, not an OICP Identification object`);
  const keys = Object.keys(value).filter((k) => value[k] !== undefined && value[k] !== null);
  if (keys.length !== 1) {
    return fail(
      field,
      `${field} must hold exactly one option (RFIDMifareFamilyIdentification, PlugAndChargeIdentification, RemoteIdentification or QRCodeIdentification), not ${keys.length}`,
    );
  }
  const key = keys[0];
  const inner = value[key];
  const where = `${field}.${key}`;
  if (key === 'RFIDIdentification') {
    return fail(field, `${field} uses RFIDIdentification, which OICP forbids in authorization (spec 03); use RFIDMifareFamilyIdentification {UID}`);
  }
  if (!isObj(inner)) return fail(where, `${where} is ${show(inner)}, not an object`);
  switch (key) {
    case 'RFIDMifareFamilyIdentification':
      return { RFIDMifareFamilyIdentification: { UID: rfidUid(inner.UID, `${where}.UID`) } };
    case 'PlugAndChargeIdentification':
      return { PlugAndChargeIdentification: { EvcoID: evcoId(inner.EvcoID, `${where}.EvcoID`) } };
    case 'RemoteIdentification':
      return { RemoteIdentification: { EvcoID: evcoId(inner.EvcoID, `${where}.EvcoID`) } };
    case 'QRCodeIdentification': {
      const out: { EvcoID: string; PIN?: string; HashedPIN?: Obj } = { EvcoID: evcoId(inner.EvcoID, `${where}.EvcoID`) };
      const hasPin = inner.PIN !== undefined && inner.PIN !== null;
      const hashed = inner.HashedPIN;
      const hasHash = hashed !== undefined && hashed !== null;
      if (hasPin === hasHash) return fail(where, `${where} needs exactly one of PIN and HashedPIN (spec 02)`);
      if (hasPin) {
        if (typeof inner.PIN !== 'string' || inner.PIN === '') return fail(`${where}.PIN`, `${where}.PIN is ${show(inner.PIN)}, not a PIN`);
        out.PIN = inner.PIN;
      } else {
        if (!isObj(hashed) || typeof hashed.Value !== 'string' || !HASHED_PIN_VALUE.test(hashed.Value) || hashed.Function !== 'Bcrypt') {
          return fail(`${where}.HashedPIN`, `${where}.HashedPIN must be {Value (10 to 100 characters), Function: 'Bcrypt'}`);
        }
        out.HashedPIN = hashed;
      }
      return { QRCodeIdentification: out };
    }
    default:
      return fail(field, `${field} option ${show(key)} is not an OICP identification type`);
  }
}

/** The medium's key: same card or same contract, whatever the option around it. */
export function identificationKey(id: Identification): string {
  if ('RFIDMifareFamilyIdentification' in id) return `UID:${id.RFIDMifareFamilyIdentification.UID}`;
  const evco =
    'PlugAndChargeIdentification' in id
      ? id.PlugAndChargeIdentification.EvcoID
      : 'RemoteIdentification' in id
        ? id.RemoteIdentification.EvcoID
        : id.QRCodeIdentification.EvcoID;
  // Hubject upper-cases EvcoIDs; '*' and '-' are optional separators of one id.
  return `EVCO:${evco.toUpperCase().replace(/[*-]/g, '')}`;
}

/** True when two identifications name the same card or contract. */
export function sameIdentification(a: Identification, b: Identification): boolean {
  return identificationKey(a) === identificationKey(b);
}

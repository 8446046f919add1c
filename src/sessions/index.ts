// Public API of the roaming sessions core (issue 22): no Node-RED import; only the session store does I/O (journal).
//
//   identification: OCPP idTag / idToken -> OICP Identification
//   buildAuthorizeStart / buildAuthorizeStop -> eRoamingAuthorizeStart/Stop_V2.1 bodies
//   decideAuthorization -> the charger's answer to Hubject's answer, or the fallback without one
//   buildChargeDetailRecord / checkChargeDetailRecord -> eRoamingChargeDetailRecord (V2.2)
//   TransactionIdAllocator -> OCPP 1.6 transactionIds
//   reusableSession -> the Authorize's session a following transaction takes (no second AuthorizeStart)
//   SessionStore -> the operator's sessions and last transactionId on the journal engine

export { SessionInputError } from './errors';
export * from './identification';
export { evseNumberOf, ocppInt, readChargerRequest, SESSION_COMMANDS } from './envelope';
export type { ChargerRequest, SessionCommand } from './envelope';
export * from './authorize';
export * from './answers';
export * from './cdr';
export * from './energy';
export { chargerTime, checkZone, formatWithOffset, parseTimestamp } from './time';
export type { ChargerZone } from './time';
export { TransactionIdAllocator, MAX_TRANSACTION_ID } from './transaction-ids';
export { DEFAULT_REUSE_WINDOW_MS, authorizedAt, isReusable, linkReusedSession, reusableSession } from './reuse';
export type { ReuseQuery, TransactionLink } from './reuse';
export { SessionStore, SESSION_STORE_FORMAT, type SessionRecord, type SessionStoreOptions } from './store';

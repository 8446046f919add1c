// Public API of the roaming sessions core (issue 22): no Node-RED import; only the session store does I/O (journal).
//
//   identification: OCPP idTag / idToken -> OICP Identification
//   buildAuthorizeStart / buildAuthorizeStop -> eRoamingAuthorizeStart/Stop_V2.1 bodies
//   decideAuthorization -> the charger's answer to Hubject's answer, or the fallback without one
//   buildChargeDetailRecord / checkChargeDetailRecord -> eRoamingChargeDetailRecord (V2.2)
//   TransactionIdAllocator -> OCPP 1.6 transactionIds
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
export { SessionStore, SESSION_STORE_FORMAT, type SessionRecord, type SessionStoreOptions } from './store';

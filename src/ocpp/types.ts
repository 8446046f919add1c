// Shared types of the OCPP -> OICP status core. No Node-RED imports here.

import type { EvseStatus } from '../oicp/schemas';

/** One status fact read from an OCPP message: a connector (1.x) or a connector of an EVSE (2.x). */
export interface StatusFact {
  /** OCPP version as reported by the source ('1.6', '1.6j', '2.0.1', '2.1', ...) or inferred from the data shape. */
  version: string;
  /** 1 for OCPP 1.x (a connector is an EVSE), 2 for OCPP 2.x (connectors are grouped under an EVSE). */
  family: 1 | 2;
  /** Raw station id (chargeBoxIdentity / cbId / msg.chargeBoxId / msg.topic), if known. */
  chargeBoxId: string | undefined;
  /** 1.x connectorId, or the 2.x connectorId inside the EVSE. */
  connectorId: number | undefined;
  /** 2.x evseId. Undefined for 1.x. */
  evseId: number | undefined;
  /** OCPP status as received (1.x `status`, 2.x `connectorStatus` or AvailabilityState `actualValue`). */
  status: string;
  errorCode: string | undefined;
  timestamp: string | undefined;
  info: string | undefined;
  vendorId: string | undefined;
  vendorErrorCode: string | undefined;
  /** EvseID named by the message itself (msg.evseId or payload.EvseID), not yet validated. */
  explicitEvseId: string | undefined;
}

/** What the parser recognised in a message. Never thrown: bad input is `{kind: 'invalid'}`. */
export type ParsedInput =
  | { kind: 'status'; facts: StatusFact[] }
  | { kind: 'connection'; chargeBoxId: string; online: boolean; version: string | undefined }
  | { kind: 'other'; command: string }
  | { kind: 'invalid'; error: string };

/** Why a record was emitted. */
export type Cause = 'status' | 'connector0' | 'offline' | 'online';

/** The source facts that travel with each output as `msg.ocppStatus`. Absent values are null. */
export interface OcppStatusInfo {
  version: string | null;
  chargeBoxId: string | null;
  connectorId: number | null;
  evseId: number | null;
  /** The OCPP status behind this record; 'OFFLINE' when the station's connection dropped. */
  status: string | null;
  errorCode: string | null;
  timestamp: string | null;
  cause: Cause;
  info?: string;
  vendorId?: string;
  vendorErrorCode?: string;
}

/** One output: `msg.payload = payload`, `msg.topic = payload.EvseID`, `msg.ocppStatus = ocppStatus`. */
export interface OutputRecord {
  payload: { EvseID: string; EvseStatus: EvseStatus };
  ocppStatus: OcppStatusInfo;
}

export type MapResult =
  /** records may be empty: the message was fine but no EVSE changed (onlyChanges). */
  | { kind: 'records'; records: OutputRecord[]; warnings: string[] | undefined; label: string }
  /** Understood and deliberately not turned into records (connector 0 on 'ignore', offline on 'ignore', unknown station). */
  | { kind: 'ignored'; reason: string }
  /** Other OCPP traffic (BootNotification, Heartbeat, ...). */
  | { kind: 'other'; command: string }
  | { kind: 'error'; error: string };

export interface LookupEntry {
  chargeBoxId: string;
  /** 1.x connectorId or 2.x evseId. */
  connector: string | number;
  EvseID: string;
}

export interface MapperOptions {
  /** e.g. `DE*ABC*E{chargeBoxId}*{connectorId}`; empty: only lookup and explicit EvseIDs. */
  evseIdTemplate?: string;
  lookup?: LookupEntry[];
  /** OCPP status -> OICP status, merged over DEFAULT_MAPPING. */
  mapping?: Record<string, string>;
  /** 'error' (default) or 'Unknown'. */
  unknownStatus?: 'error' | 'Unknown';
  /** 'ignore' (default) or 'all'. */
  connector0?: 'ignore' | 'all';
  /** 'ignore' (default), 'OutOfService' or 'Unknown'. */
  offline?: 'ignore' | 'OutOfService' | 'Unknown';
  /** Default true: emit only when an EVSE's OICP status changes. */
  onlyChanges?: boolean;
  /** When set, every EvseID must belong to this OperatorID (else Hubject answers 018). */
  /** One OperatorID, or a hub operator's own followed by its sub-operators'. */
  operatorId?: string | readonly string[];
  /** Safety cap on tracked connectors (and so EVSEs); default 100000. */
  maxConnectors?: number;
}

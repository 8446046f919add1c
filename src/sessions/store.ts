// The session store: one per operator (owned by the Hubject config node), on the journal engine, keyed by SessionID.
// The CDR and remote start read it. The transactionId allocator's last id lives in the journal's meta, written
// (fsync) before the charger gets the id, so an id is never handed out twice, not even after kill -9.

import { Journal, type JournalLoadReport, type JournalOptions } from '../journal';
import { isObj } from './errors';
import type { Identification } from './identification';
import { TransactionIdAllocator } from './transaction-ids';

export const SESSION_STORE_FORMAT = 'oicp-sessions';

export interface SessionRecord {
  SessionID: string;
  ProviderID?: string;
  EvseID?: string;
  /** OCPP charge box id and connector (1.6 connectorId, 2.0.1 evse id), when the request named them. */
  chargeBoxId?: string;
  connectorId?: number;
  /** OCPP 1.6 transactionId assigned by this package, or the 2.0.1 transactionId, once known. */
  transactionId?: number | string;
  Identification: Identification;
  CPOPartnerSessionID?: string;
  EMPPartnerSessionID?: string;
  PartnerProductID?: string;
  AuthorizationStopIdentifications?: Identification[];
  /** Meter start in Wh (OCPP 1.6 StartTransaction.meterStart). */
  meterStart?: number;
  /** Session start (the authorization), ISO text as the charger sent it or the time of the answer. */
  sessionStart: string;
  chargingStart?: string;
  /** When the session was stopped (AuthorizeStop answered), ISO. */
  stoppedAt?: string;
  // ---- an Authorize's session that the following transaction takes (reuse.ts) ----
  /** When Hubject's AuthorizeStart answer came, ms since the epoch (this host's clock): the reuse window starts here. */
  authorizedAt?: number;
  /** Hubject's StatusCode of that answer, for the reused answer. */
  authorizeStatusCode?: { Code: string; Description?: string; AdditionalInfo?: string };
  /** The transaction took this session from an earlier Authorize (no second AuthorizeStart). */
  reused?: boolean;
  // ---- remote start (issue 23): Hubject's SessionID waits for the charger's transaction ----
  /** pending: sent to the flow; accepted: the flow said yes; refused: no (never linked); linked: the transaction came. */
  remote?: 'pending' | 'accepted' | 'refused' | 'linked';
  /** When Hubject's request arrived, ms since the epoch (the 1.6 time window starts here). */
  remoteStartAt?: number;
  /** OCPP 2.0.1 RequestStartTransaction.remoteStartId. */
  remoteStartId?: number;
}

/** A station id as an EvseID template writes it: upper case, '*' for anything else. */
const cleanId = (id: string): string => id.toUpperCase().replace(/[^A-Z0-9]/g, '*');

function decode(raw: unknown): SessionRecord | undefined {
  return isObj(raw) && typeof raw.SessionID === 'string' && isObj(raw.Identification) && typeof raw.sessionStart === 'string'
    ? (raw as unknown as SessionRecord)
    : undefined;
}

export interface SessionStoreOptions {
  /** Directory of the store (<userDir>/oicp/sessions/<operator>); without one the store lives in memory only. */
  dir?: string;
  io?: JournalOptions<SessionRecord>['io'];
  compactMinLines?: number;
}

export class SessionStore {
  readonly journal: Journal<SessionRecord> | undefined;
  private readonly memory = new Map<string, SessionRecord>();
  private readonly byTransaction = new Map<string, string>();
  private allocator = new TransactionIdAllocator(0);
  report: JournalLoadReport | undefined;

  constructor(o: SessionStoreOptions = {}) {
    if (o.dir)
      this.journal = new Journal<SessionRecord>({
        snapshot: `${o.dir.replace(/\/+$/, '')}/sessions.jsonl`,
        format: SESSION_STORE_FORMAT,
        decode,
        io: o.io,
        compactMinLines: o.compactMinLines ?? 1000,
      });
  }

  /** Reads the files; never throws on damage (the report says what was lost). */
  load(): JournalLoadReport | undefined {
    if (!this.journal) return undefined;
    this.report = this.journal.load();
    const last = this.journal.meta.lastTransactionId;
    this.allocator = new TransactionIdAllocator(typeof last === 'number' ? last : 0);
    for (const [id, s] of this.journal.entries()) {
      this.memory.set(id, s);
      this.index(s);
      // A record that outlived the counter (damaged meta) still moves the counter past its id.
      this.allocator.observe(s.transactionId);
    }
    return this.report;
  }

  private index(s: SessionRecord): void {
    if (s.transactionId !== undefined) this.byTransaction.set(String(s.transactionId), s.SessionID);
  }

  get size(): number {
    return this.memory.size;
  }
  get lastTransactionId(): number {
    return this.allocator.last;
  }
  get(sessionId: string): SessionRecord | undefined {
    return this.memory.get(sessionId);
  }
  has(sessionId: string): boolean {
    return this.memory.has(sessionId);
  }
  values(): IterableIterator<SessionRecord> {
    return this.memory.values();
  }
  /** The session of an OCPP transactionId (a 1.6 StopTransaction names only that). */
  byTransactionId(id: number | string): SessionRecord | undefined {
    const s = this.byTransaction.get(String(id));
    return s === undefined ? undefined : this.memory.get(s);
  }
  /** The open (not stopped) session of a charger's connector, newest first. */
  openOnConnector(chargeBoxId: string, connectorId: number): SessionRecord | undefined {
    let found: SessionRecord | undefined;
    for (const s of this.memory.values()) if (!s.stoppedAt && s.chargeBoxId === chargeBoxId && s.connectorId === connectorId) found = s;
    return found;
  }

  // ---- remote start (issue 23) ----
  /** The remote start waiting on a connector (1.6): not refused, not linked, requested within windowMs before `at`. */
  remoteStartOn(chargeBoxId: string, connectorId: number, at: number, windowMs: number): SessionRecord | undefined {
    let found: SessionRecord | undefined;
    for (const s of this.memory.values()) {
      if ((s.remote !== 'pending' && s.remote !== 'accepted') || s.stoppedAt || s.remoteStartAt === undefined) continue;
      if (s.connectorId !== connectorId || s.chargeBoxId === undefined || cleanId(s.chargeBoxId) !== cleanId(chargeBoxId)) continue;
      if (at - s.remoteStartAt > windowMs || s.remoteStartAt - at > windowMs) continue;
      if (!found || s.remoteStartAt > found.remoteStartAt!) found = s;
    }
    return found;
  }
  /** The remote start that sent this 2.0.1 remoteStartId, while it waits for its transaction. */
  byRemoteStartId(id: number): SessionRecord | undefined {
    for (const s of this.memory.values()) if (s.remoteStartId === id && (s.remote === 'pending' || s.remote === 'accepted') && !s.stoppedAt) return s;
    return undefined;
  }
  /** The next 2.0.1 remoteStartId: above every one the store holds. */
  nextRemoteStartId(): number {
    let max = 0;
    for (const s of this.memory.values()) if (typeof s.remoteStartId === 'number' && s.remoteStartId > max) max = s.remoteStartId;
    return max + 1;
  }

  /** Stores (or replaces) a session and resolves once it is durable (fsync). */
  async put(s: SessionRecord): Promise<void> {
    this.memory.set(s.SessionID, s);
    this.index(s);
    if (!this.journal) return;
    this.journal.set(s.SessionID, s);
    await this.journal.flush();
  }

  /**
   * Hands out the next OCPP 1.6 transactionId, links it to the session (when given) and resolves once both the
   * counter and the link are durable: only then may the charger get the id.
   */
  async assignTransactionId(sessionId?: string, extra: Partial<SessionRecord> = {}): Promise<number> {
    const id = this.allocator.next();
    if (this.journal) this.journal.setMeta({ ...this.journal.meta, lastTransactionId: id });
    const s = sessionId !== undefined ? this.memory.get(sessionId) : undefined;
    if (s) await this.put({ ...s, ...extra, transactionId: id });
    else if (this.journal) await this.journal.flush();
    return id;
  }

  async flush(): Promise<void> {
    await this.journal?.flush();
  }
  async close(): Promise<void> {
    await this.journal?.close();
  }
}

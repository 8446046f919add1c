// One operator's lanes and stores, built from the config node's settings without Node-RED: the status lane and its
// gate at once; the EVSE data store and lane, the session store and the CDR lane with its marks when first asked.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clientCertificateProblem } from '../oicp/certificate';
import type { CallResult, Environment, HubjectClient } from '../oicp/client';
import type { EvseStatusRecord } from '../oicp/schemas';
import { acquireQueue, outboxPath } from '../push/registry';
import type { LanePolicy, PushQueue } from '../push/queue';
import { statusPolicy } from '../push/status-lane';
import { laneStats } from '../ops/stats';
import { outboxSizeProbe } from '../ops/outbox-size';
import { acquireGate } from '../status/registry';
import type { GateMode, StatusGate } from '../status/gate';
import { dataPolicy, type DataItem } from '../evse-data/lane';
import { serialiseDataRequest, type DataRequest } from '../evse-data';
import { acquireOperatorEvseData, type OperatorEvseData, type OperatorLog } from '../evse-data/operator';
import { SessionStore } from '../sessions/store';
import { CdrMarks, cdrPolicy, CDR_RATE_PER_MINUTE, type CdrItem } from '../sessions/cdr-lane';
import { CERT_WARN_DAYS, DAY_MS, certificateValidTo } from '../node-red/certificate';

export interface OperatorLanesOptions {
  client: HubjectClient;
  operatorId: string;
  operatorName: string | undefined;
  environment: Environment;
  baseUrl: string;
  userDir: string | undefined;
  /** A known local problem (the client certificate): lanes queue but do not send. */
  blocked: string | undefined;
  /** Set when the data lane cannot work (the operator name): no data store, no data lane. */
  dataConfigError: string | undefined;
  timeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  statusRate: number;
  dataRate: number;
  /** The config's cdrRateLimit as saved; Hubject's limit when it is not a positive integer. */
  cdrRate: unknown;
  maxRecords: number | undefined;
  /** The data lane's bundle size when maxRecords is unset. */
  dataMaxRecords: number;
  insertMissing: boolean | undefined;
  gateMode: GateMode;
  holdMaxHours: number;
  minRatio: number;
  /** The ids of this config's data nodes: their per-node stores of earlier versions are merged into the operator's. */
  dataNodeIds: () => string[];
  log: OperatorLog;
  /** The stores' load warnings, said with the node's prefix. */
  warn: (text: string) => void;
}

type LaneOperation = 'status' | 'data' | 'chargeDetailRecord';

/** The CDR rate: the configured one when it is a positive integer, else Hubject's limit. */
export function cdrRateOf(value: unknown): number {
  const rate = Number(value);
  return Number.isInteger(rate) && rate > 0 ? rate : CDR_RATE_PER_MINUTE;
}

/** Where a data node of an earlier version kept its own EVSE data store. */
export function legacyEvseDataDir(oicpDir: string, nodeId: string): string {
  return path.join(oicpDir, `evse-data-${String(nodeId).replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

/** What the daily certificate check found: a new problem (now blocked), or days left when that is few. */
export interface CertificateCheck {
  problem?: string;
  expires?: { days: number; date: string };
}

export class OperatorLanes {
  readonly status: PushQueue<EvseStatusRecord>;
  readonly gate: StatusGate;
  private blockedBy: string | undefined;
  private data: PushQueue<DataItem> | null = null;
  private store: OperatorEvseData | null = null;
  private sessionStore: SessionStore | null = null;
  private cdr: PushQueue<CdrItem> | null = null;
  private marks: CdrMarks | null = null;
  private closed = false;

  constructor(private readonly o: OperatorLanesOptions) {
    this.blockedBy = o.blocked;
    this.status = this.open(statusPolicy, o.statusRate, undefined);
    // The operator's queue settings; a push node still carrying its own applies them only when these are unset.
    this.status.configure({ maxRecords: o.maxRecords, insertMissing: o.insertMissing });
    this.gate = acquireGate(o.operatorId, o.baseUrl, o.userDir, { mode: o.gateMode, holdMaxHours: o.holdMaxHours });
    if (!this.blockedBy) this.status.start((body, signal) => o.client.call('status', o.operatorId, body, signal));
    // After the queue starts: statuses released at once (data acknowledged before a restart) go out.
    this.gate.attach(this.status);
  }

  get blocked(): string | undefined {
    return this.blockedBy;
  }

  /** One directory per operator under userDir/oicp/<folder>, named after its status outbox. */
  private dir(folder: string): string | undefined {
    const { userDir, operatorId, baseUrl } = this.o;
    return userDir ? path.join(userDir, 'oicp', folder, path.basename(outboxPath(userDir, operatorId, baseUrl), '.json')) : undefined;
  }

  /** A lane with its policy, rate and outbox; the ops view observes it. */
  private open<T>(policy: LanePolicy<T>, ratePerMinute: number, maxRecords: number | undefined): PushQueue<T> {
    const { operatorId, baseUrl, userDir, environment } = this.o;
    const l = acquireQueue<T>(operatorId, baseUrl, userDir, {
      policy,
      operatorName: this.o.operatorName,
      requestTimeoutMs: this.o.timeoutMs,
      ratePerMinute,
      maxRecords,
      backoffBaseMs: this.o.backoffBaseMs,
      backoffMaxMs: this.o.backoffMaxMs,
    });
    const observer = laneStats({ operator: operatorId, operation: policy.operation, environment, url: baseUrl });
    observer.source = l.source(userDir ? outboxSizeProbe(outboxPath(userDir, operatorId, baseUrl, policy.operation)) : undefined);
    l.observe(observer);
    return l;
  }

  lane(operation: LaneOperation): PushQueue<unknown> | null {
    if (operation === 'status') return this.status as PushQueue<unknown>;
    if (operation === 'chargeDetailRecord') return this.cdrLane() as PushQueue<unknown> | null;
    return this.dataLane() as PushQueue<unknown> | null;
  }

  /** The operator's EVSE data store, shared by its data nodes. */
  evseData(): OperatorEvseData | null {
    if (this.store || this.closed || this.o.dataConfigError) return this.store;
    const oicpDir = this.o.userDir ? path.join(this.o.userDir, 'oicp') : undefined;
    const migrate = oicpDir ? this.o.dataNodeIds().map((id) => legacyEvseDataDir(oicpDir, id)) : [];
    this.store = acquireOperatorEvseData({
      dir: this.dir('evse-data'),
      migrate: migrate.filter((d) => fs.existsSync(d)),
      operatorId: this.o.operatorId,
      gate: this.gate,
      minRatio: this.o.minRatio,
      log: this.o.log,
    });
    return this.store;
  }

  /** The data lane: its own queue, outbox and rate, made when the first data node asks (most flows push status only). */
  private dataLane(): PushQueue<DataItem> | null {
    if (this.data || this.closed || this.o.dataConfigError) return this.data;
    const dq = this.open(dataPolicy, this.o.dataRate, this.o.maxRecords ?? this.o.dataMaxRecords);
    this.data = dq;
    // Answers are acknowledged into the store: the lane sends once the store is read, never into an unread one.
    const data = this.evseData()!;
    data.attachQueue(dq);
    const { client, operatorId } = this.o;
    void data.ready.then(() => {
      if (!this.blockedBy && !this.closed)
        dq.start((body: DataRequest, signal: AbortSignal) => client.call('data', operatorId, () => serialiseDataRequest(body), signal));
    });
    return dq;
  }

  /** The operator's session store: sessions and the last OCPP transactionId. */
  sessions(): SessionStore | null {
    if (this.sessionStore || this.closed) return this.sessionStore;
    const store = new SessionStore({ dir: this.dir('sessions') });
    for (const w of store.load()?.warnings ?? []) this.o.warn(w);
    this.sessionStore = store;
    return store;
  }

  cdrMarks(): CdrMarks | null {
    this.cdrLane();
    return this.marks;
  }

  /** The CDR lane: one CDR per request, never merged, its own outbox and dead letters; the marks keep it exactly once. */
  private cdrLane(): PushQueue<CdrItem> | null {
    if (this.cdr || this.closed) return this.cdr;
    const marks = new CdrMarks({ dir: this.dir('sessions') });
    for (const w of marks.load()?.warnings ?? []) this.o.warn(w);
    const rate = cdrRateOf(this.o.cdrRate);
    const cq = this.open(cdrPolicy, rate, 1);
    // A refused CDR fails as it is: never re-sent as another ActionType.
    cq.configure({ insertMissing: false });
    const known = cq.pendingKeys(['update', 'insert', 'delete', 'fullLoad']);
    for (const l of cq.deadLetters?.list() ?? []) known.add(l.key);
    marks.forgetMissing(known);
    this.marks = marks;
    this.cdr = cq;
    const { client, operatorId } = this.o;
    if (!this.blockedBy) cq.start(marks.transport((body, signal) => client.call('chargeDetailRecord', operatorId, body, signal), rate));
    return cq;
  }

  /** An authorization call, or a config answer while sending is blocked. */
  async authorize(operation: 'authorizeStart' | 'authorizeStop', body: object, ms: number): Promise<CallResult & { timedOut?: boolean }> {
    if (this.blockedBy) return { class: 'config', reason: this.blockedBy, durationMs: 0 };
    const signal = AbortSignal.timeout(ms);
    const r = await this.o.client.call(operation, this.o.operatorId, body, signal);
    return signal.aborted && r.httpStatus === undefined ? { ...r, timedOut: true } : r;
  }

  /** The daily check: a certificate expired while running holds changes locally, as at deploy. */
  checkCertificate(cert: string | Buffer | undefined, now = Date.now()): CertificateCheck {
    const problem = clientCertificateProblem(cert);
    if (problem && !this.blockedBy) {
      this.blockedBy = problem;
      this.status.stop();
      this.data?.stop();
      this.cdr?.stop();
      return { problem };
    }
    const until = certificateValidTo(cert);
    const days = until ? Math.floor((until.getTime() - now) / DAY_MS) : undefined;
    if (!problem && days !== undefined && days < CERT_WARN_DAYS) return { expires: { days, date: until!.toISOString().slice(0, 10) } };
    return {};
  }

  /** Stops the lanes and the gate; the stores write what is acknowledged. destroy, not close: a hung request must not hold the close. */
  close(): Promise<unknown> {
    this.closed = true;
    this.gate.stop();
    this.status.stop();
    this.data?.stop();
    this.cdr?.stop();
    return Promise.all([this.o.client.destroy(), this.store?.close(), this.sessionStore?.close(), this.marks?.close()]);
  }
}

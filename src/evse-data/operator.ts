// One picture of what Hubject holds for an operator's EVSE data: the store of acknowledged records, shared by every
// data node on the operator's Hubject config node, and the planning around the data lane that needs it (pending
// inserts, the guard for a refused fullLoad, the status gate). Free of Node-RED.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { evseKey } from '../oicp/ids';
import { EvseDataStore, countAtHubject, type DataRequest } from './index';
import type { DataItem } from './lane';
import type { StatusGate } from '../status/gate';
import type { BatchResultEvent, PushQueue, RecordFailure } from '../push/queue';

/** A rejected record as the output and the error name it. */
export interface RejectedOut {
  index?: number;
  /** The input's line in its CSV file, where the input came from the CSV node. */
  row?: number;
  EvseID?: string;
  field?: string;
  reason: string;
}

export interface OperatorLog {
  log(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

export interface OperatorEvseDataOptions {
  /** The operator's store directory; without one the store lives in memory only. */
  dir?: string;
  /** Per-node stores of earlier versions (<userDir>/oicp/evse-data-<nodeId>) to merge on start, then rename aside. */
  migrate?: string[];
  /** Whose store it is, for the state-health view (sidebar, metrics, node status). */
  operatorId?: string;
  gate?: StatusGate | null;
  log: OperatorLog;
  /** The fullLoad guard's ratio when no data node set one. */
  minRatio: number;
  now?: () => number;
}

const GATE_SOURCE = 'evse-data';

/**
 * The operator's EVSE data: restored (and migrated) once, before any data node's input runs and before the lane
 * sends; acknowledged by the lane's answers once, whichever node queued the records. Events: 'change'.
 */
export class OperatorEvseData extends EventEmitter {
  readonly store: EvseDataStore;
  /** Resolves when the store is restored (or found unreadable): inputs and the lane wait for it. */
  readonly ready: Promise<void>;
  /** `<file>: <error>` when the store could not be read; the node is yellow and the stored fullLoad waits for msg.force. */
  unreadable: string | undefined;
  /** Why the last refused fullLoad was guarded whole; cleared by the next acknowledged fullLoad. */
  refusedFullLoad: string | undefined;
  private restored = false;
  private readonly gate: StatusGate | null;
  private readonly log: OperatorLog;
  private readonly defaultRatio: number;
  private readonly ratios = new Map<string, number>();
  private unregisterGate: (() => void) | undefined;
  private queue: PushQueue<DataItem> | null = null;
  private readonly onResult = (ev: BatchResultEvent<DataItem>) => this.result(ev);
  private readonly onRejected = (ev: { failure: RecordFailure }) => this.rejected(ev.failure);
  /** Config nodes sharing this store (two config nodes of one operator and environment open its directory once). */
  refs = 1;

  constructor(private readonly opts: OperatorEvseDataOptions) {
    super();
    this.gate = opts.gate ?? null;
    this.log = opts.log;
    this.defaultRatio = opts.minRatio;
    // Damage and write errors reach the log, the node status and the sidebar through the state-health registry.
    this.store = new EvseDataStore({ dir: opts.dir, operatorId: opts.operatorId });
    this.ready = this.restore().then(() => {
      this.restored = true;
      // Registering again releases the held statuses (also those restored from disk) whose data is in the store.
      if (this.ratios.size) this.registerGate();
      this.emit('change');
    });
  }

  // Statuses that arrive while the store is read are held (nothing is acknowledged yet); then those with data go out.
  private registerGate(): void {
    if (!this.gate) return;
    const src = {
      isAcknowledged: (evseId: string) => this.restored && this.store.isAcknowledged(evseId),
      // Statuses go in the spelling Hubject acknowledged the data under.
      acknowledgedId: (evseId: string) => this.store.acknowledgedId(evseId),
    };
    this.unregisterGate = this.gate.registerDataSource(GATE_SOURCE, src);
  }

  get isRestored(): boolean {
    return this.restored;
  }

  private async restore(): Promise<void> {
    try {
      const report = await this.store.restore();
      for (const w of report.warnings) this.log.warn(`EVSE data store: ${w}`);
    } catch (err) {
      this.unreadable = `${this.opts.dir ?? 'memory'}: ${(err as Error).message}`;
      this.log.error(`EVSE data store cannot be read, sending goes on without it: ${this.unreadable}`);
    }
    for (const dir of this.opts.migrate ?? []) await this.migrate(dir);
  }

  /** Merges a per-node store into the operator's; records the operator's store already has are kept. */
  private async migrate(dir: string): Promise<void> {
    const old = new EvseDataStore({ dir });
    try {
      await old.restore();
    } catch (err) {
      this.log.error(`EVSE data store ${dir} of an earlier version cannot be read; it is left where it is: ${(err as Error).message}`);
      return;
    }
    const { ids, texts } = old.records();
    const withRecord = new Set(ids.map(evseKey));
    const add = { ids: [] as string[], texts: [] as string[] };
    ids.forEach((id, i) => {
      if (!this.store.isAcknowledged(id)) {
        add.ids.push(id);
        add.texts.push(texts[i]!);
      }
    });
    const known = old.evseIds().filter((id) => !withRecord.has(evseKey(id)) && !this.store.isAcknowledged(id));
    if (add.ids.length) this.store.acknowledgeTexts('insert', add.ids, add.texts);
    if (known.length) this.store.markKnown(known);
    await old.close();
    await this.store.flush();
    const aside = `${dir}.migrated-${new Date(this.opts.now?.() ?? Date.now()).toISOString().replace(/[:.]/g, '-')}`;
    await fsp.rename(dir, aside).catch((err: Error) => this.log.warn(`EVSE data store ${dir} merged but not renamed: ${err.message}`));
    this.log.log(
      `EVSE data store of one data node (${path.basename(dir)}) merged into the operator's store ${this.opts.dir}: ${add.ids.length} records, ${known.length} known; the old one is now ${path.basename(aside)}`,
    );
  }

  /** A data node uses this operator; its minRatio counts for the guard of a refused fullLoad (the strictest wins). */
  attach(nodeId: string, minRatio: number): void {
    this.ratios.set(nodeId, minRatio);
    if (this.ratios.size === 1) this.registerGate();
  }

  /** With no data node left, the gate (on auto) stops holding statuses for this operator. */
  detach(nodeId: string): void {
    this.ratios.delete(nodeId);
    if (!this.ratios.size) {
      this.unregisterGate?.();
      this.unregisterGate = undefined;
    }
  }

  get minRatio(): number {
    return this.ratios.size ? Math.max(...this.ratios.values()) : this.defaultRatio;
  }

  /** Listens to the operator's data lane: acknowledgements go to the store and the gate, once. */
  attachQueue(q: PushQueue<DataItem>): void {
    if (this.queue === q) return;
    this.queue = q;
    q.on('result', this.onResult);
    q.on('rejected', this.onRejected);
    q.fullLoadRest = (rest, refused) => this.refusedFullLoadMayGo(rest, refused);
  }

  /** A refused fullLoad goes again without its named records only if that smaller one passes the guard. */
  refusedFullLoadMayGo(rest: number, refused: number): boolean {
    const atHubject = countAtHubject(this.store);
    const ratio = this.minRatio;
    if (ratio > 0 && rest < ratio * atHubject) {
      this.refusedFullLoad = `Hubject refused ${refused} records of the fullLoad; the other ${rest} are guarded (fewer than ${ratio} x the ${atHubject} EVSEs Hubject holds)`;
      this.emit('change');
      return false;
    }
    return true;
  }

  private result(ev: BatchResultEvent<DataItem>): void {
    if (ev.result.class !== 'success') return;
    const items = ev.records;
    const ids = items.map((i) => i.EvseID);
    this.store.acknowledgeTexts(
      ev.action,
      ids,
      items.map((i) => i.text),
    );
    if (ev.action === 'fullLoad' && this.refusedFullLoad) {
      this.refusedFullLoad = undefined;
      this.emit('change');
    }
    if (ev.action !== 'delete') this.gate?.dataAcknowledged(ids);
  }

  // A 022 to an insert (f.exists: Hubject holds the data) releases a held status instead of failing it.
  private rejected(f: RecordFailure): void {
    this.gate?.dataRejected([{ EvseID: f.id, reason: f.reason, exists: f.exists }]);
  }

  /** EVSEs whose data reached Hubject some other way: acknowledged without a record; their held statuses go. */
  markKnown(evseIds: readonly string[]): { marked: string[]; invalid: string[] } {
    const r = this.store.markKnown(evseIds);
    if (r.marked.length) this.gate?.dataAcknowledged(r.marked);
    return r;
  }

  /**
   * auto: records of the insert whose EVSE a pending insert or fullLoad carries (queued, in flight, or restored from
   * the outbox) go as update, after it: Hubject will hold them.
   */
  afterPendingInserts(requests: DataRequest[]): DataRequest[] {
    if (!this.queue || !requests.some((r) => r.ActionType === 'insert')) return requests;
    const pending = this.queue.pendingKeys(['insert', 'fullLoad']);
    if (!pending.size) return requests;
    return afterPendingInserts(requests, (id) => pending.has(evseKey(id)));
  }

  async close(): Promise<void> {
    if (--this.refs > 0) return;
    const dir = this.opts.dir;
    if (dir && open.get(dir) === this) open.delete(dir);
    if (this.queue) {
      this.queue.off('result', this.onResult);
      this.queue.off('rejected', this.onRejected);
      this.queue.fullLoadRest = undefined;
    }
    this.unregisterGate?.();
    await this.ready.catch(() => undefined);
    await this.store.close();
  }
}

const open = new Map<string, OperatorEvseData>();

/** The operator's EVSE data for this directory: one instance per directory, however many config nodes name it. */
export function acquireOperatorEvseData(opts: OperatorEvseDataOptions): OperatorEvseData {
  const existing = opts.dir ? open.get(opts.dir) : undefined;
  if (existing) {
    existing.refs++;
    return existing;
  }
  const made = new OperatorEvseData(opts);
  if (opts.dir) open.set(opts.dir, made);
  return made;
}

/** Moves the insert's records for which `pending` is true into the update (made if needed), which goes after the insert. */
export function afterPendingInserts(requests: DataRequest[], pending: (evseId: string) => boolean): DataRequest[] {
  const ins = requests.find((r) => r.ActionType === 'insert');
  if (!ins) return requests;
  const keep: number[] = [];
  const move: number[] = [];
  ins.EvseIDs.forEach((x, i) => (pending(x) ? move : keep).push(i));
  if (!move.length) return requests;
  const pick = (r: DataRequest, idx: number[]) => ({
    ...r,
    EvseIDs: idx.map((i) => r.EvseIDs[i]!),
    texts: idx.map((i) => r.texts[i]!),
    positions: idx.map((i) => r.positions[i]!),
  });
  const upd = requests.find((r) => r.ActionType === 'update');
  const moved = pick(ins, move);
  const update: DataRequest = upd
    ? { ...upd, EvseIDs: [...upd.EvseIDs, ...moved.EvseIDs], texts: [...upd.texts, ...moved.texts], positions: [...upd.positions, ...moved.positions] }
    : { ...moved, ActionType: 'update' };
  return [...(keep.length ? [pick(ins, keep)] : []), update];
}

/**
 * Validation rejections of a message, reported with the first acknowledgement of one of its records (the output
 * message names them once, beside the answer).
 */
export class RejectedNotes<T> {
  private readonly byEvse = new Map<string, { list: T[]; told: boolean }>();

  note(evseIds: readonly string[], list: T[]): void {
    if (!list.length || !evseIds.length) return;
    const holder = { list, told: false };
    for (const id of evseIds) this.byEvse.set(evseKey(id), holder);
  }

  /** The rejections not yet reported for messages that carried these EVSEs. */
  take(evseIds: readonly string[]): T[] {
    const out: T[] = [];
    for (const id of evseIds) {
      const holder = this.byEvse.get(evseKey(id));
      if (!holder) continue;
      this.byEvse.delete(evseKey(id));
      if (!holder.told) {
        holder.told = true;
        out.push(...holder.list);
      }
    }
    return out;
  }

  forget(evseId: string): void {
    this.byEvse.delete(evseKey(evseId));
  }
}

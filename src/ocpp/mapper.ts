// Stateful OCPP -> OICP status mapping. Plain TypeScript, no Node-RED.
//
// State: one slot per connector seen (station + connector, or station + EVSE + connector in 2.x), one entry per OICP EVSE
// and one per station with known EVSEs. Nothing else is kept, so the state is bounded by the number of connectors,
// and a safety cap (maxConnectors) stops a flood of made-up ids from growing it further.

import { evseKey, foreignEvseError, operatorMatcher, parseEvseId, parseOperatorId, cleanIdPart } from '../oicp/ids';
import { EVSE_STATUSES, isEvseStatus, type EvseStatus } from '../oicp/schemas';
import { parseOcppMessage, show } from './parse';
import { checkEvseIdTemplate, compileEvseIdTemplate, type CompiledTemplate } from './template';
import type { Cause, LookupEntry, MapperOptions, MapResult, OcppStatusInfo, OutputRecord, ParsedInput, StatusFact } from './types';

/** Hubject's OCPP-to-OICP table (push-evse-status guide). 1.x and 2.x status names alike. */
export const DEFAULT_MAPPING: Readonly<Record<string, EvseStatus>> = Object.freeze({
  Available: 'Available',
  Preparing: 'Occupied',
  Charging: 'Occupied',
  SuspendedEVSE: 'Occupied',
  SuspendedEV: 'Occupied',
  Finishing: 'Occupied',
  Occupied: 'Occupied',
  Reserved: 'Reserved',
  Unavailable: 'OutOfService',
  Faulted: 'OutOfService',
});

/** Multi-connector rule: the lowest rank wins (any Occupied, else any Reserved, else any Available, else OutOfService). */
const RANK: Readonly<Record<EvseStatus, number>> = {
  Occupied: 0,
  Reserved: 1,
  Available: 2,
  OutOfService: 3,
  Unknown: 4,
  EvseNotFound: 5,
};

export const DEFAULT_MAX_CONNECTORS = 100000;

class Station {
  offline = false;
  /** Connector 0 reported Unavailable or Faulted (connector0 = 'all'). */
  conn0 = false;
  readonly evses = new Set<Evse>();
  constructor(readonly id: string) {}
}

class Evse {
  station: Station | undefined = undefined;
  readonly slots: Slot[] = [];
  lastSent: EvseStatus | undefined = undefined;
  /** Facts of the last status that reached this EVSE through one of its connectors. */
  facts: OcppStatusInfo | undefined = undefined;
  /** Per-call bookkeeping (coalesces several facts for one EVSE into one output). */
  mark = 0;
  pending: OcppStatusInfo | undefined = undefined;
  constructor(
    readonly key: string,
    public evseId: string,
    readonly label: string,
  ) {}
}

class Slot {
  status: EvseStatus | undefined = undefined;
  constructor(readonly evse: Evse) {}
}

function info(f: StatusFact, cause: Cause): OcppStatusInfo {
  const o: OcppStatusInfo = {
    version: f.version,
    chargeBoxId: f.chargeBoxId ?? null,
    connectorId: f.connectorId ?? null,
    evseId: f.evseId ?? null,
    status: f.status,
    errorCode: f.errorCode ?? null,
    timestamp: f.timestamp ?? null,
    cause,
  };
  if (f.info !== undefined) o.info = f.info;
  if (f.vendorId !== undefined) o.vendorId = f.vendorId;
  if (f.vendorErrorCode !== undefined) o.vendorErrorCode = f.vendorErrorCode;
  return o;
}

function where(f: StatusFact): string {
  if (f.explicitEvseId !== undefined) return `EVSE ${f.explicitEvseId}`;
  const cb = f.chargeBoxId === undefined ? '' : f.chargeBoxId + ' ';
  if (f.family === 2) return `${cb}EVSE ${f.evseId} connector ${f.connectorId}`;
  return `${cb}connector ${f.connectorId}`;
}

function lookupKey(chargeBoxId: string, evseNumber: number): string {
  return chargeBoxId.toUpperCase() + '\u0000' + evseNumber;
}

interface Plan {
  fact: StatusFact;
  /** Connector-0 action, or the slot and its new OICP status. */
  conn0: 'set' | 'clear' | undefined;
  slot: Slot | undefined;
  status: EvseStatus | undefined;
  evseId: string | undefined;
}

/**
 * Turns parsed OCPP input into OICP EvseStatusRecords, keeping the last status per connector and EVSE.
 *
 * ```ts
 * const m = new StatusMapper({ evseIdTemplate: 'DE*ABC*E{chargeBoxId}*{connectorId}' });
 * const r = m.process(msg); // {kind: 'records', records: [{payload: {EvseID, EvseStatus}, ocppStatus}], ...}
 * ```
 */
export class StatusMapper {
  private readonly mapping: Map<string, EvseStatus>;
  private readonly template: CompiledTemplate | undefined;
  private readonly lookup = new Map<string, string>();
  private readonly unknownAsUnknown: boolean;
  private readonly connector0All: boolean;
  private readonly offlineStatus: EvseStatus | undefined;
  private readonly onlyChanges: boolean;
  /** Own OperatorID first, then sub-operators'; undefined: EvseIDs of any operator pass. */
  private readonly operatorId: string[] | undefined;
  private readonly belongs: ((evseId: string) => boolean) | undefined;
  private readonly maxConnectors: number;

  private readonly slots = new Map<string, Slot>();
  private readonly evses = new Map<string, Evse>();
  private readonly stations = new Map<string, Station>();
  private seq = 0;

  /** Validates the options; throws an Error that names the bad option. */
  constructor(options: MapperOptions = {}) {
    const o = options ?? {};
    const ops = o.operatorId;
    const given = typeof ops === 'string' ? (ops === '' ? [] : [ops]) : Array.isArray(ops) ? ops : [];
    if (ops !== undefined && ops !== null && typeof ops !== 'string' && !Array.isArray(ops)) {
      throw new Error(`operatorId must be an OperatorID or a list of them (own first, then sub-operators), not ${show(ops)}`);
    }
    if (given.length) {
      this.operatorId = given.map((v: unknown) => {
        const op = parseOperatorId(v);
        if (!op.ok) throw new Error(op.error);
        return op.value;
      });
      this.belongs = operatorMatcher(this.operatorId);
    }

    this.mapping = new Map(Object.entries(DEFAULT_MAPPING));
    const mapping = o.mapping;
    if (mapping !== undefined && mapping !== null) {
      if (typeof mapping !== 'object' || Array.isArray(mapping)) throw new Error('mapping must be an object {ocppStatus: oicpStatus}');
      for (const k of Object.keys(mapping)) {
        const v = (mapping as Record<string, unknown>)[k];
        if (k.trim() === '') continue;
        if (!isEvseStatus(v)) {
          throw new Error(`mapping for OCPP status '${k}': ${show(v)} is not an OICP EvseStatus (${EVSE_STATUSES.join(', ')})`);
        }
        this.mapping.set(k.trim(), v);
      }
    }

    const unknown = o.unknownStatus ?? 'error';
    if (unknown !== 'error' && unknown !== 'Unknown') throw new Error(`unknownStatus must be 'error' or 'Unknown', not ${show(unknown)}`);
    this.unknownAsUnknown = unknown === 'Unknown';

    const c0 = o.connector0 ?? 'ignore';
    if (c0 !== 'ignore' && c0 !== 'all') throw new Error(`connector0 must be 'ignore' or 'all', not ${show(c0)}`);
    this.connector0All = c0 === 'all';

    const off = o.offline ?? 'ignore';
    if (off !== 'ignore' && off !== 'OutOfService' && off !== 'Unknown') {
      throw new Error(`offline must be 'ignore', 'OutOfService' or 'Unknown', not ${show(off)}`);
    }
    this.offlineStatus = off === 'ignore' ? undefined : off;

    this.onlyChanges = o.onlyChanges !== false;
    const max = o.maxConnectors ?? DEFAULT_MAX_CONNECTORS;
    if (!Number.isInteger(max) || max < 1) throw new Error(`maxConnectors must be a positive integer, not ${show(max)}`);
    this.maxConnectors = max;

    const tpl = typeof o.evseIdTemplate === 'string' ? o.evseIdTemplate.trim() : '';
    if (o.evseIdTemplate !== undefined && o.evseIdTemplate !== null && typeof o.evseIdTemplate !== 'string') {
      throw new Error(`evseIdTemplate must be a string, not ${show(o.evseIdTemplate)}`);
    }
    if (tpl !== '') {
      checkEvseIdTemplate(tpl, this.operatorId);
      this.template = compileEvseIdTemplate(tpl);
    }

    const lookup = o.lookup;
    if (lookup !== undefined && lookup !== null) {
      if (!Array.isArray(lookup)) throw new Error('lookup must be an array of {chargeBoxId, connector, EvseID}');
      lookup.forEach((row: LookupEntry, i: number) => this.addLookup(row, i + 1));
    }
  }

  private addLookup(row: LookupEntry, n: number): void {
    if (row === null || typeof row !== 'object') throw new Error(`lookup row ${n} is ${show(row)}, not {chargeBoxId, connector, EvseID}`);
    const cb = typeof row.chargeBoxId === 'string' ? row.chargeBoxId.trim() : typeof row.chargeBoxId === 'number' ? String(row.chargeBoxId) : '';
    if (cb === '') throw new Error(`lookup row ${n}: chargeBoxId is missing`);
    const c = row.connector;
    const num = typeof c === 'number' ? c : typeof c === 'string' && /^\s*[0-9]{1,10}\s*$/.test(c) ? Number(c) : NaN;
    if (!Number.isInteger(num) || num < 0 || num > 2147483647) {
      throw new Error(`lookup row ${n} (${cb}): connector ${show(c)} is not a connector or EVSE number`);
    }
    const id = parseEvseId(row.EvseID);
    if (!id.ok) throw new Error(`lookup row ${n} (${cb}/${num}): ${id.error}`);
    if (this.belongs && !this.belongs(id.value)) {
      throw new Error(`lookup row ${n} (${cb}/${num}): ${foreignEvseError(id.value, this.operatorId!)}`);
    }
    const key = lookupKey(cb, num);
    if (this.lookup.has(key)) throw new Error(`lookup row ${n} repeats chargeBoxId '${cb}' with connector ${num}`);
    this.lookup.set(key, id.value);
  }

  /** Number of OICP EVSEs known. */
  get evseCount(): number {
    return this.evses.size;
  }

  /** Number of connector slots known (the bounded state). */
  get connectorCount(): number {
    return this.slots.size;
  }

  /** Last OICP status sent for an EvseID (any spelling), or undefined. */
  lastSent(evseId: string): EvseStatus | undefined {
    return this.evses.get(evseKey(evseId.trim().toUpperCase()))?.lastSent;
  }

  /** Forgets all state. */
  clear(): void {
    this.slots.clear();
    this.evses.clear();
    this.stations.clear();
  }

  /** parseOcppMessage + handle. */
  process(msg: unknown): MapResult {
    return this.handle(parseOcppMessage(msg));
  }

  handle(input: ParsedInput): MapResult {
    switch (input.kind) {
      case 'status':
        return this.statuses(input.facts);
      case 'connection':
        return this.connection(input.chargeBoxId, input.online);
      case 'other':
        return input;
      case 'invalid':
        return { kind: 'error', error: input.error };
      default:
        return { kind: 'error', error: 'unrecognised input' };
    }
  }

  private station(id: string): Station {
    let st = this.stations.get(id);
    if (st === undefined) {
      st = new Station(id);
      this.stations.set(id, st);
    }
    return st;
  }

  /** Resolves the EvseID for a template/lookup slot. Returns the EvseID or an error text. */
  private resolveEvseId(f: StatusFact, cb: string, num: number): { id: string } | { error: string } {
    const fromLookup = this.lookup.get(lookupKey(cb, num));
    if (fromLookup !== undefined) return { id: fromLookup };
    if (this.template === undefined) {
      return { error: `no EvseID for ${where(f)}: no lookup entry, no EvseID template and none in the message` };
    }
    const raw = this.template.render(cleanIdPart(cb), num);
    const parsed = parseEvseId(raw);
    if (!parsed.ok) return { error: `${parsed.error} (template for ${where(f)})` };
    if (this.belongs && !this.belongs(parsed.value)) return { error: foreignEvseError(parsed.value, this.operatorId!) };
    return { id: parsed.value };
  }

  /** First pass for one fact: validates and finds (or creates) its slot. No status is changed here. */
  private plan(f: StatusFact): Plan | string {
    const explicit = f.explicitEvseId;
    let status = this.mapping.get(f.status);
    if (explicit === undefined) {
      const cb = f.chargeBoxId;
      // Station-wide status: 1.x connectorId 0 (or 2.x evseId 0).
      if ((f.family === 1 && f.connectorId === 0) || (f.family === 2 && f.evseId === 0)) {
        if (!this.connector0All) return { fact: f, conn0: undefined, slot: undefined, status: undefined, evseId: undefined };
        if (cb === undefined) return `status for connector 0 without a station id (set msg.chargeBoxId or msg.topic)`;
        if (!this.stations.has(cb) && this.stations.size >= this.maxConnectors) {
          return `too many stations tracked (${this.maxConnectors}); ${cb} not added`;
        }
        if (status === undefined && !this.unknownAsUnknown) return this.unknownError(f);
        const s = f.status;
        const conn0 = s === 'Unavailable' || s === 'Faulted' ? 'set' : s === 'Available' ? 'clear' : undefined;
        return { fact: f, conn0, slot: undefined, status: undefined, evseId: undefined };
      }
    }
    if (status === undefined) {
      if (!this.unknownAsUnknown) return this.unknownError(f);
      status = 'Unknown';
    }

    let key: string;
    let evseId: string | undefined;
    const cb = f.chargeBoxId;
    if (explicit !== undefined) {
      const parsed = parseEvseId(explicit);
      if (!parsed.ok) return parsed.error;
      if (this.belongs && !this.belongs(parsed.value)) return foreignEvseError(parsed.value, this.operatorId!);
      evseId = parsed.value;
      key = 'X\u0000' + evseKey(evseId) + '\u0000' + (cb ?? '') + '\u0000' + (f.evseId ?? '') + '\u0000' + (f.connectorId ?? '');
    } else {
      if (cb === undefined) return `status for ${where(f)} without a station id (set msg.chargeBoxId or msg.topic)`;
      key = f.family === 1 ? cb + '\u0000' + f.connectorId : cb + '\u0000' + f.evseId + '\u0000' + f.connectorId;
    }

    let slot = this.slots.get(key);
    if (slot === undefined) {
      if (this.slots.size >= this.maxConnectors) {
        return `too many connectors tracked (${this.maxConnectors}); ${where(f)} not added`;
      }
      let label: string;
      if (evseId === undefined) {
        const num = (f.family === 1 ? f.connectorId : f.evseId) as number;
        const r = this.resolveEvseId(f, cb as string, num);
        if ('error' in r) return r.error;
        evseId = r.id;
        label = `${cb}/${num}`;
      } else {
        label = evseId;
      }
      const k = evseKey(evseId);
      let evse = this.evses.get(k);
      if (evse === undefined) {
        evse = new Evse(k, evseId, label);
        this.evses.set(k, evse);
      }
      if (cb !== undefined) {
        const st = this.station(cb);
        if (evse.station !== st) {
          evse.station?.evses.delete(evse);
          evse.station = st;
          st.evses.add(evse);
        }
      }
      slot = new Slot(evse);
      evse.slots.push(slot);
      this.slots.set(key, slot);
    }
    return { fact: f, conn0: undefined, slot, status, evseId };
  }

  private unknownError(f: StatusFact): string {
    return `unknown OCPP status ${show(f.status)} from ${where(f)} (set "unknown status" to Unknown to send OICP Unknown)`;
  }

  private touch(evse: Evse, facts: OcppStatusInfo, list: Evse[]): void {
    evse.pending = facts;
    if (evse.mark !== this.seq) {
      evse.mark = this.seq;
      list.push(evse);
    }
  }

  /** Touches every known EVSE of a station with facts made by `make`. */
  private fanOut(st: Station, list: Evse[], make: (e: Evse) => OcppStatusInfo): void {
    for (const e of st.evses) {
      if (e.facts !== undefined) this.touch(e, make(e), list);
    }
  }

  private aggregate(e: Evse): EvseStatus | undefined {
    const slots = e.slots;
    if (slots.length === 1) return slots[0].status;
    let best: EvseStatus | undefined;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i].status;
      if (s !== undefined && (best === undefined || RANK[s] < RANK[best])) best = s;
    }
    return best;
  }

  private effective(e: Evse): EvseStatus | undefined {
    const own = this.aggregate(e);
    if (own === undefined) return undefined;
    const st = e.station;
    if (st !== undefined) {
      if (st.offline && this.offlineStatus !== undefined) return this.offlineStatus;
      if (st.conn0) return 'OutOfService';
    }
    return own;
  }

  private emit(list: Evse[]): OutputRecord[] {
    const records: OutputRecord[] = [];
    for (let i = 0; i < list.length; i++) {
      const e = list[i];
      const eff = this.effective(e);
      if (eff === undefined) continue;
      if (this.onlyChanges && eff === e.lastSent) continue;
      e.lastSent = eff;
      records.push({ payload: { EvseID: e.evseId, EvseStatus: eff }, ocppStatus: e.pending as OcppStatusInfo });
    }
    return records;
  }

  private statuses(facts: StatusFact[]): MapResult {
    const plans: Plan[] = [];
    for (let i = 0; i < facts.length; i++) {
      const p = this.plan(facts[i]);
      if (typeof p === 'string') return { kind: 'error', error: p };
      plans.push(p);
    }
    this.seq++;
    const list: Evse[] = [];
    let warnings: string[] | undefined;
    let label = '';
    let ignored = 0;
    let lastEvse: Evse | undefined;
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i];
      const f = p.fact;
      if (f.family === 1 && f.errorCode !== undefined && f.errorCode !== 'NoError' && f.status !== 'Faulted') {
        (warnings ??= []).push(`${where(f)}: errorCode ${f.errorCode} with status ${f.status}`);
      }
      const slot = p.slot;
      if (slot === undefined) {
        // Connector 0.
        if (p.conn0 === undefined) {
          ignored++;
          label = `${f.chargeBoxId ?? ''}/0 ${f.status}`;
          continue;
        }
        const st = this.station(f.chargeBoxId as string);
        if (p.conn0 === 'set') {
          st.conn0 = true;
          const trigger = info(f, 'connector0');
          this.fanOut(st, list, (e) => ({
            ...trigger,
            connectorId: (e.facts as OcppStatusInfo).connectorId,
            evseId: (e.facts as OcppStatusInfo).evseId,
          }));
        } else {
          st.conn0 = false;
          this.fanOut(st, list, (e) => ({ ...(e.facts as OcppStatusInfo), cause: 'connector0' }));
        }
        label = `${st.id}/0 ${f.status}`;
        continue;
      }
      const evse = slot.evse;
      const st = evse.station;
      if (st !== undefined && st.offline && f.chargeBoxId === st.id) {
        // A status from the station proves it is connected again.
        st.offline = false;
        this.fanOut(st, list, (e) => ({ ...(e.facts as OcppStatusInfo), cause: 'online' }));
      }
      if (p.evseId !== undefined) evse.evseId = p.evseId;
      slot.status = p.status;
      const facts = info(f, 'status');
      evse.facts = facts;
      this.touch(evse, facts, list);
      lastEvse = evse;
    }
    if (ignored === plans.length) {
      return { kind: 'ignored', reason: `connector 0 status ignored (${label}); set "connector 0" to all to use it` };
    }
    const records = this.emit(list);
    if (lastEvse !== undefined) label = `${lastEvse.label} ${this.effective(lastEvse)}`;
    return { kind: 'records', records, warnings, label };
  }

  private connection(cb: string, online: boolean): MapResult {
    if (this.offlineStatus === undefined) {
      return { kind: 'ignored', reason: `${cb} ${online ? 'ONLINE' : 'OFFLINE'} ignored (offline = ignore)` };
    }
    const st = this.stations.get(cb);
    if (st === undefined) return { kind: 'ignored', reason: `${cb} ${online ? 'ONLINE' : 'OFFLINE'}: no known EVSEs` };
    this.seq++;
    const list: Evse[] = [];
    st.offline = !online;
    if (online) {
      this.fanOut(st, list, (e) => ({ ...(e.facts as OcppStatusInfo), cause: 'online' }));
    } else {
      this.fanOut(st, list, (e) => {
        const f = e.facts as OcppStatusInfo;
        return {
          version: f.version,
          chargeBoxId: cb,
          connectorId: f.connectorId,
          evseId: f.evseId,
          status: 'OFFLINE',
          errorCode: null,
          timestamp: null,
          cause: 'offline',
        };
      });
    }
    return { kind: 'records', records: this.emit(list), warnings: undefined, label: `${cb} ${online ? 'online' : 'offline'}` };
  }
}

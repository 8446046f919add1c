// One validator for EvseStatusRecords, whatever node receives them (push, full load): the same rules, the same texts.
import { describeValue } from './describe';
import { foreignEvseError, operatorList, operatorMatcher, parseEvseId, type Operators } from './ids';
import { EVSE_STATUSES, isEvseStatus, type EvseStatus, type EvseStatusRecord } from './schemas';

export type RecordResult = { ok: true; value: EvseStatusRecord } | { ok: false; error: string };

export interface StatusRecordRules {
  /** EvseIDs must lie in these operators' namespaces (own OperatorID first, then sub-operators); none: no check. */
  operators?: Operators;
  /**
   * Status for a record that names none, and a bare EvseID string taken as a record: deletes, where OICP still wants
   * a status per record. Without it, a missing EvseStatus is an error.
   */
  statusWhenMissing?: EvseStatus;
}

/** Where a record sits in its message, 1-based: 'record 2 of 3: ', or nothing for a message that is one record. */
export function recordPosition(index: number, count: number, inList: boolean): string {
  return inList ? `record ${index + 1} of ${count}: ` : '';
}

const STATUS_LIST = EVSE_STATUSES.join(', ');

function own(o: Record<string, unknown>, k: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined;
}

/** Checks records against one set of rules; built once per message (the operator keys are computed once). */
export class EvseStatusRecordValidator {
  private readonly belongs: ((evseId: string) => boolean) | undefined;
  private readonly operators: Operators | undefined;
  private readonly statusWhenMissing: EvseStatus | undefined;

  constructor(rules: StatusRecordRules = {}) {
    this.operators = operatorList(rules.operators).length ? rules.operators : undefined;
    this.belongs = this.operators === undefined ? undefined : operatorMatcher(this.operators);
    this.statusWhenMissing = rules.statusWhenMissing;
  }

  /**
   * Validates record `index` of `count` (inList: the message is an array). An already canonical record (exactly
   * {EvseID, EvseStatus}, the EvseID upper-case) is returned as it is, so a 100,000-record fullLoad is not copied.
   */
  check(r: unknown, index: number, count: number, inList: boolean): RecordResult {
    const rec = this.statusWhenMissing !== undefined && typeof r === 'string' ? { EvseID: r } : r;
    if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) {
      return this.fail(index, count, inList, `an EvseStatusRecord must be an object {EvseID, EvseStatus}, got ${describeValue(rec)}`);
    }
    const o = rec as Record<string, unknown>;
    const id = parseEvseId(own(o, 'EvseID'));
    if (!id.ok) return this.fail(index, count, inList, id.error);
    if (this.belongs && !this.belongs(id.value)) return this.fail(index, count, inList, foreignEvseError(id.value, this.operators!));
    const given = own(o, 'EvseStatus');
    const status = given === undefined ? this.statusWhenMissing : given;
    if (status === undefined) {
      return this.fail(index, count, inList, `EvseStatus is missing for '${id.value}': give one of ${STATUS_LIST}`);
    }
    if (!isEvseStatus(status)) {
      return this.fail(index, count, inList, `EvseStatus ${describeValue(status)} of '${id.value}' is not one of ${STATUS_LIST}`);
    }
    const canonical = o.EvseID === id.value && o.EvseStatus === status && Object.keys(o).length === 2;
    return { ok: true, value: canonical ? (o as EvseStatusRecord) : { EvseID: id.value, EvseStatus: status } };
  }

  private fail(index: number, count: number, inList: boolean, error: string): RecordResult {
    return { ok: false, error: recordPosition(index, count, inList) + error };
  }
}

// OCPP 1.6 transactionId assignment. The package is the central system, so it hands out the ids. Pure: the caller
// persists `last` (before answering the charger) and passes it back after a restart.

/** OCPP 1.6 transactionId is a JSON integer; chargers commonly store it as a signed 32-bit value. */
export const MAX_TRANSACTION_ID = 2147483647;

export class TransactionIdAllocator {
  private lastId: number;

  /** `lastPersisted`: the last id handed out (0 or absent for a new store). */
  constructor(lastPersisted: unknown = 0) {
    if (lastPersisted === undefined || lastPersisted === null) lastPersisted = 0;
    if (typeof lastPersisted !== 'number' || !Number.isInteger(lastPersisted) || lastPersisted < 0 || lastPersisted > MAX_TRANSACTION_ID) {
      throw new Error(`last persisted transactionId ${String(lastPersisted)} is not an integer from 0 to ${MAX_TRANSACTION_ID}`);
    }
    this.lastId = lastPersisted;
  }

  /** The last id handed out; persist it with the session before the charger gets the id. */
  get last(): number {
    return this.lastId;
  }

  /** The next id: one more than any id handed out before. Never wraps: a reused id would bill the wrong session. */
  next(): number {
    if (this.lastId >= MAX_TRANSACTION_ID) {
      throw new Error(`transactionId space exhausted: ${MAX_TRANSACTION_ID} ids handed out; reset the session store deliberately`);
    }
    this.lastId += 1;
    return this.lastId;
  }

  /**
   * Raises the counter past an id seen elsewhere (e.g. restored from a session record that outlived the counter's
   * file), so it is never handed out again. Lower ids change nothing.
   */
  observe(id: unknown): void {
    if (typeof id === 'number' && Number.isInteger(id) && id > this.lastId && id <= MAX_TRANSACTION_ID) this.lastId = id;
  }
}

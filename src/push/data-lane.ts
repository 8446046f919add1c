import type { ActionType, EvseStatusRecord } from '../oicp/schemas';
import type { DataRequest } from '../oicp/evse-data';
import type { BodyBuilder } from './queue';

/**
 * What the data lane queues per EVSE: the EvseID (all the queue reads) and the normalised record's JSON text, so a
 * 20,000-record fullLoad stays strings from the plan through the outbox to the body and then into the store.
 */
export interface DataItem {
  EvseID: string;
  text: string;
}

/** The queue's records type is the status record; a data item has the EvseID it reads, nothing else of it. */
export function asQueued(items: DataItem[]): EvseStatusRecord[] {
  return items as unknown as EvseStatusRecord[];
}

export function asItems(records: readonly EvseStatusRecord[]): DataItem[] {
  return records as unknown as DataItem[];
}

/** The data lane's BodyBuilder: a DataRequest, which the data call site serialises in pieces (client.call with serialiseDataRequest). */
export const dataBody: BodyBuilder = (action: ActionType, records: EvseStatusRecord[], operatorId: string, operatorName?: string): DataRequest => {
  const items = asItems(records);
  return {
    ActionType: action,
    OperatorID: operatorId,
    OperatorName: (operatorName ?? '').trim(),
    EvseIDs: items.map((i) => i.EvseID),
    texts: items.map((i) => i.text),
    positions: items.map(() => 0),
  };
};

/** The request's items, to queue. */
export function itemsOf(req: Pick<DataRequest, 'EvseIDs' | 'texts'>): DataItem[] {
  return req.EvseIDs.map((EvseID, i) => ({ EvseID, text: req.texts[i]! }));
}

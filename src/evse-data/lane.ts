import type { ActionType } from '../oicp/schemas';
import { evseKey } from '../oicp/ids';
import type { DataRequest } from './index';
import type { LanePolicy } from '../push/queue';

/**
 * What the data lane queues per EVSE: the EvseID (all the queue reads) and the normalised record's JSON text, so a
 * 20,000-record fullLoad stays strings from the plan through the outbox to the body and then into the store.
 */
export interface DataItem {
  EvseID: string;
  text: string;
}

/** The data lane's BodyBuilder: a DataRequest, which the data call site serialises in pieces (client.call with serialiseDataRequest). */
export const dataBody = (action: ActionType, items: DataItem[], operatorId: string, operatorName?: string): DataRequest => {
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

/** eRoamingPushEvseData: the latest data per EVSE wins, bundled; 022 is recovered both ways. */
export const dataPolicy: LanePolicy<DataItem> = {
  operation: 'data',
  key: (i) => evseKey(i.EvseID),
  id: (i) => i.EvseID,
  idName: 'EvseID',
  body: dataBody,
  rejection: { updateAsInsert: 'always' },
  ratePerMinute: 2000,
};

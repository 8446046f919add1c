import { evseKey } from '../oicp/ids';
import type { EvseStatusRecord, PushEvseStatusRequest } from '../oicp/schemas';
import type { BodyBuilder, LanePolicy } from './queue';

export const statusBody: BodyBuilder<EvseStatusRecord> = (action, records, operatorId, operatorName) =>
  ({
    ActionType: action,
    OperatorEvseStatus: {
      OperatorID: operatorId,
      ...(operatorName ? { OperatorName: operatorName } : {}),
      EvseStatusRecord: records,
    },
  }) satisfies PushEvseStatusRequest;

const statusKey = (r: EvseStatusRecord) => evseKey(r.EvseID);

/** eRoamingPushEvseStatus: the latest status per EVSE wins, bundled; an update Hubject lacks goes as insert per insertMissing. */
export const statusPolicy: LanePolicy<EvseStatusRecord> = {
  operation: 'status',
  key: statusKey,
  id: (r) => r.EvseID,
  idName: 'EvseID',
  body: statusBody,
  rejection: { updateAsInsert: 'insertMissing' },
  ratePerMinute: 2000,
};

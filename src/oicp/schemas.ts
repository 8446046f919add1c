import { z } from 'zod';
import { EVSE_ID_PATTERN, OPERATOR_ID_PATTERN, EVSE_ID_MAX_LENGTH, OPERATOR_NAME_MAX_LENGTH } from './ids';

export const EVSE_STATUSES = ['Available', 'Reserved', 'Occupied', 'OutOfService', 'EvseNotFound', 'Unknown'] as const;
export const ACTION_TYPES = ['fullLoad', 'update', 'insert', 'delete'] as const;

export const EvseStatusSchema = z.enum(EVSE_STATUSES);
export const ActionTypeSchema = z.enum(ACTION_TYPES);
export type EvseStatus = z.infer<typeof EvseStatusSchema>;
export type ActionType = z.infer<typeof ActionTypeSchema>;

export const EvseIDSchema = z.string().max(EVSE_ID_MAX_LENGTH).regex(EVSE_ID_PATTERN);
export const OperatorIDSchema = z.string().regex(OPERATOR_ID_PATTERN);

export const EvseStatusRecordSchema = z.object({
  EvseID: EvseIDSchema,
  EvseStatus: EvseStatusSchema,
});
export type EvseStatusRecord = z.infer<typeof EvseStatusRecordSchema>;

export const OperatorEvseStatusSchema = z.object({
  OperatorID: OperatorIDSchema,
  OperatorName: z.string().max(OPERATOR_NAME_MAX_LENGTH).optional(),
  EvseStatusRecord: z.array(EvseStatusRecordSchema),
});
export type OperatorEvseStatus = z.infer<typeof OperatorEvseStatusSchema>;

export const PushEvseStatusRequestSchema = z.object({
  ActionType: ActionTypeSchema,
  OperatorEvseStatus: OperatorEvseStatusSchema,
});
export type PushEvseStatusRequest = z.infer<typeof PushEvseStatusRequestSchema>;

// Real Hubject replies carry null for absent optional fields, so everything optional is nullish.
export const StatusCodeSchema = z.object({
  Code: z.string().regex(/^[0-9]{3}$/),
  Description: z.string().nullish(),
  AdditionalInfo: z.string().nullish(),
});
export type StatusCode = z.infer<typeof StatusCodeSchema>;

export const AcknowledgementSchema = z.looseObject({
  Result: z.boolean(),
  StatusCode: StatusCodeSchema,
  SessionID: z.string().nullish(),
  CPOPartnerSessionID: z.string().nullish(),
  EMPPartnerSessionID: z.string().nullish(),
});
export type Acknowledgement = z.infer<typeof AcknowledgementSchema>;

/** Error bodies (401, 404) that carry only a StatusCode. */
export const StatusOnlySchema = z.looseObject({ StatusCode: StatusCodeSchema });

/** HTTP 400 body. */
export const FaultBodySchema = z.looseObject({
  message: z.string().nullish(),
  extendedInfo: z.unknown().optional(),
  validationErrors: z.array(z.looseObject({ fieldReference: z.string().nullish(), errorMessage: z.string().nullish() })).nullish(),
});
export type FaultBody = z.infer<typeof FaultBodySchema>;

export function isEvseStatus(v: unknown): v is EvseStatus {
  return typeof v === 'string' && (EVSE_STATUSES as readonly string[]).includes(v);
}
export function isActionType(v: unknown): v is ActionType {
  return typeof v === 'string' && (ACTION_TYPES as readonly string[]).includes(v);
}

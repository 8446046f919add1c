// eRoamingPullEvseStatus (all, ById, ByOperatorId) from what the model holds: the EMP side, so tests can read back
// what Hubject would hand out.
import { z } from 'zod';
import { EvseIDSchema, EvseStatusSchema, OperatorIDSchema, type EvseStatus } from '../oicp/schemas';
import { faultBody, opKeyOf, validationErrors, type HubjectModel, type ZodIssueLike } from './model';

/** The pull paths: the OpenAPI's one path with three body shapes, and the -by-id and -by-operator-id paths Hubject also serves. */
export const PULL_PATH = /^\/api\/oicp\/evsepull\/v21\/providers\/([^/]+)\/(status-records|status-records-by-id|status-records-by-operator-id)\/?$/;

// EMP pull bodies (emp-2.3-openapi.yaml). src/oicp/schemas.ts only covers the CPO side.
const ProviderIDSchema = z.string().regex(/^([A-Za-z]{2}-?[A-Za-z0-9]{3}|[A-Za-z]{2}[*|-]?[A-Za-z0-9]{3})$/);
const PullByIdSchema = z.object({ ProviderID: ProviderIDSchema, EvseID: z.array(EvseIDSchema).max(100) });
const PullByOperatorIdSchema = z.object({ ProviderID: ProviderIDSchema, OperatorID: z.array(OperatorIDSchema) });
// The OpenAPI names the filter EVSEStatus while its example says EvseStatus: accept both.
const PullSchema = z.object({
  ProviderID: ProviderIDSchema,
  EvseStatus: EvseStatusSchema.optional(),
  EVSEStatus: EvseStatusSchema.optional(),
  SearchCenter: z.unknown().optional(),
});

export interface PullAnswer {
  status: number;
  body: unknown;
  /** all, byId or byOperatorId */
  variant: string;
  records?: number;
  code?: string;
}

/** The answer to a pull body sent to one of the pull paths (`op` is the path's last part). */
export function answerPull(model: HubjectModel, json: unknown, op: string): PullAnswer {
  const obj = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const variant =
    op === 'status-records-by-id'
      ? 'byId'
      : op === 'status-records-by-operator-id'
        ? 'byOperatorId'
        : 'EvseID' in obj
          ? 'byId'
          : 'OperatorID' in obj
            ? 'byOperatorId'
            : 'all';
  const success = { Code: '000', Description: 'Success' };
  const invalid = (issues: ReadonlyArray<ZodIssueLike>): PullAnswer => ({ status: 400, body: faultBody(validationErrors(issues)), variant });

  if (variant === 'byId') {
    const p = PullByIdSchema.safeParse(json);
    if (!p.success) return invalid(p.error.issues as ReadonlyArray<ZodIssueLike>);
    const records = p.data.EvseID.map((id) => {
      const found = model.findEvse(id);
      // Hubject answers unknown EVSEs with the status EvseNotFound.
      return found ? { EvseID: found.EvseID, EvseStatus: found.EvseStatus } : { EvseID: id, EvseStatus: 'EvseNotFound' as EvseStatus };
    });
    return { status: 200, body: { EVSEStatusRecords: { EvseStatusRecord: records }, StatusCode: success }, variant, records: records.length, code: '000' };
  }

  let keys: Set<string> | undefined;
  let filter: EvseStatus | undefined;
  if (variant === 'byOperatorId') {
    const p = PullByOperatorIdSchema.safeParse(json);
    if (!p.success) return invalid(p.error.issues as ReadonlyArray<ZodIssueLike>);
    keys = new Set(p.data.OperatorID.map(opKeyOf));
  } else {
    const p = PullSchema.safeParse(json);
    if (!p.success) return invalid(p.error.issues as ReadonlyArray<ZodIssueLike>);
    // SearchCenter is ignored: the simulator holds no EVSE locations.
    filter = p.data.EVSEStatus ?? p.data.EvseStatus;
  }
  const blocks: Array<{ OperatorID: string; OperatorName?: string; EvseStatusRecord: Array<{ EvseID: string; EvseStatus: EvseStatus }> }> = [];
  let count = 0;
  for (const [k, st] of model.state) {
    if (keys && !keys.has(k)) continue;
    const recs = [...st.evses.values()].filter((e) => !filter || e.EvseStatus === filter).map((e) => ({ EvseID: e.EvseID, EvseStatus: e.EvseStatus }));
    if (recs.length === 0) continue;
    count += recs.length;
    blocks.push({ OperatorID: st.OperatorID, ...(st.OperatorName !== undefined ? { OperatorName: st.OperatorName } : {}), EvseStatusRecord: recs });
  }
  return { status: 200, body: { EvseStatuses: { OperatorEvseStatus: blocks }, StatusCode: success }, variant, records: count, code: '000' };
}

// The flow's answer (remote-response's msg.payload) as an Acknowledgement: an explicit {Result, Code}, or the
// charger's OCPP answer: Accepted -> true/000, Rejected -> false with the flow's code (default 501).
import { REFUSAL_CODES, REMOTE_CODES, type RemoteCode } from './acknowledgement';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FlowAnswer {
  result: boolean;
  code: RemoteCode;
  additionalInfo?: string;
}

/** Thrown for an answer that says neither yes nor no; the text names what was given. */
export class AnswerError extends Error {}

function codeOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v).padStart(3, '0');
  if (typeof v === 'string' && v.trim()) return v.trim();
  if (isObj(v)) return codeOf(v.Code);
  return undefined;
}

/**
 * Reads the flow's answer. `code` is the flow's chosen refusal code (msg.payload.Code or msg.code). The OCPP answer
 * may be the payload itself ({status}) or node-red-contrib-ocpp's {data: {status}}.
 */
export function readFlowAnswer(payload: unknown, fallbackCode?: unknown): FlowAnswer {
  const p = isObj(payload) ? payload : typeof payload === 'boolean' ? { Result: payload } : undefined;
  if (!p) throw new AnswerError(`the answer must be an object ({Result, Code} or the charger's {status}), got ${JSON.stringify(payload)}`);
  const given = codeOf(p.Code ?? p.StatusCode ?? fallbackCode);
  const info = typeof p.AdditionalInfo === 'string' ? p.AdditionalInfo : undefined;
  let result: boolean;
  if (typeof p.Result === 'boolean') result = p.Result;
  else {
    const data = isObj(p.data) ? p.data : p;
    const status = data.status;
    if (status === 'Accepted') result = true;
    else if (status === 'Rejected') result = false;
    else throw new AnswerError(`the answer has no Result (true/false) and no OCPP status Accepted/Rejected: ${JSON.stringify(payload).slice(0, 200)}`);
  }
  if (result) return { result, code: '000', additionalInfo: info };
  if (given !== undefined && !(REFUSAL_CODES as readonly string[]).includes(given)) {
    throw new AnswerError(`code ${given} is not a refusal code for remote start/stop; use one of ${REFUSAL_CODES.join(', ')}`);
  }
  return { result, code: (given ?? '501') as RemoteCode, additionalInfo: info };
}

export const isRemoteCode = (c: string): c is RemoteCode => c in REMOTE_CODES;

// The OCPP request a remote start/stop becomes, in the shape node-red-contrib-ocpp's "CS request JSON" takes as
// msg.payload ({command, data, cbId}) and @anl-ioc/node-red-contrib-ocpp2 likewise.
import { tokenOf, type RemoteStart } from './schemas';

export type OcppVersion = '1.6' | '2.0.1';

export interface OcppRequest {
  command: 'RemoteStartTransaction' | 'RemoteStopTransaction' | 'RequestStartTransaction' | 'RequestStopTransaction';
  data: Record<string, unknown>;
  /** The charge box the request goes to (node-red-contrib-ocpp reads payload.cbId). */
  cbId?: string;
}

/** OCPP 1.6 idTag is CiString20: a longer EvcoID is cut (the link goes by connector and time, not by the tag). */
export const ID_TAG_MAX = 20;

export function remoteStartRequest(
  version: OcppVersion,
  req: RemoteStart,
  where: { chargeBoxId?: string; connectorId?: number },
  remoteStartId: number,
): OcppRequest {
  const token = tokenOf(req.Identification);
  if (version === '1.6') {
    const data: Record<string, unknown> = { idTag: token.value.slice(0, ID_TAG_MAX) };
    if (where.connectorId !== undefined) data.connectorId = where.connectorId;
    return { command: 'RemoteStartTransaction', data, cbId: where.chargeBoxId };
  }
  // 2.0.1: an EvcoID is an eMAID token; a card UID an ISO14443 one. remoteStartId links the TransactionEvent back.
  const data: Record<string, unknown> = {
    idToken: { idToken: token.value, type: token.kind === 'EvcoID' ? 'eMAID' : 'ISO14443' },
    remoteStartId,
  };
  if (where.connectorId !== undefined) data.evseId = where.connectorId;
  return { command: 'RequestStartTransaction', data, cbId: where.chargeBoxId };
}

export function remoteStopRequest(version: OcppVersion, transactionId: number | string | undefined, chargeBoxId?: string): OcppRequest | undefined {
  if (transactionId === undefined) return undefined;
  if (version === '1.6') {
    const id = Number(transactionId);
    if (!Number.isInteger(id)) return undefined;
    return { command: 'RemoteStopTransaction', data: { transactionId: id }, cbId: chargeBoxId };
  }
  return { command: 'RequestStopTransaction', data: { transactionId: String(transactionId) }, cbId: chargeBoxId };
}

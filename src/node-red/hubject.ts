import type { NodeAPI, Node } from 'node-red';
import type { Environment } from '../oicp/client';
import type { PushQueue } from '../push/queue';
import type { CallResult } from '../oicp/client';

export const HUBJECT_CONFIG_TYPE = 'oicp-hubject-config';

/**
 * What each operation's lane carries. Empty here: the kit names no domain. Each lane's item type is added where
 * the domains meet the contract (src/hubject-domains.ts, a declaration merge), so imports run adapters → kit.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LaneItems {}

/** The domains' parts of the contract (the status gate, the operator's EVSE data, sessions); filled in as LaneItems is. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface HubjectDomains {}

/**
 * What the Hubject config node offers the nodes that use it. One per operator and environment; the other nodes
 * read it and never the config node's other properties.
 */
export interface HubjectConfig extends HubjectDomains {
  readonly environment: Environment;
  /** QA, PRODUCTION or CUSTOM, shown in statuses. */
  readonly envLabel: string;
  readonly baseUrl: string;
  /** The configured OperatorID, canonical; undefined when it is invalid (configError says why). */
  readonly operatorId: string | undefined;
  /** The OperatorIDs whose EVSEs this operator may push: its own first, then its sub-operators. Empty when invalid. */
  readonly operatorIds: readonly string[];
  readonly operatorName: string | undefined;
  /** Why nothing can be sent with this configuration (shown red on every node using it); undefined when fine. */
  readonly configError: string | undefined;
  /** Said once at deploy by the config node; users may show them. */
  readonly warnings: readonly string[];
  /** A standing caveat shown beside a push node's counters (e.g. TLS verification off). */
  readonly caution: string | undefined;
  /** Why changes are held locally right now (e.g. the client certificate expired); may change while running. */
  blocked(): string | undefined;
  /**
   * The operator's lane of an operation: status is made at deploy; data when the first data node asks (most flows push
   * status only). Each lane's requests are strictly sequential among themselves, independent of the other lanes.
   * Null when configError is set (and, for data, when dataConfigError is).
   */
  lane<O extends keyof LaneItems>(operation: O): PushQueue<LaneItems[O]> | null;
  /** The operator's largest bundle and insert-on-update setting, when the config node sets them. */
  readonly maxRecords: number | undefined;
  readonly insertMissing: boolean | undefined;
  /** A data fullLoad body larger than this is not sent (maxBodyMB, an assumption until Hubject states a limit). */
  readonly maxBodyBytes: number;
  /** Why a data node cannot work with this config (OperatorName missing or too long); undefined when fine. */
  readonly dataConfigError: string | undefined;
  /**
   * One AuthorizeStart/Stop at once, on the operation's own connection, never queued and never retried. Resolves
   * with the classified answer; `timedOut` when the signal's timeout ended it.
   */
  authorize(operation: 'authorizeStart' | 'authorizeStop', body: object, timeoutMs: number): Promise<CallResult & { timedOut?: boolean }>;
  /** Called when blocked() or caution may have changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export type HubjectConfigNode = Node & { hubject: HubjectConfig };

function isHubjectConfigNode(n: Node | null | undefined): n is HubjectConfigNode {
  return !!n && n.type === HUBJECT_CONFIG_TYPE && typeof (n as Partial<HubjectConfigNode>).hubject === 'object';
}

/** The contract of the config node a node's property names, or why there is none. */
export function linkedHubject(RED: Pick<NodeAPI, 'nodes'>, id: string | undefined): { hubject?: HubjectConfig; problem?: 'none' | 'missing' } {
  if (!id) return { problem: 'none' };
  const n = RED.nodes.getNode(id) as Node | null;
  if (!isHubjectConfigNode(n)) return { problem: 'missing' };
  return { hubject: n.hubject };
}

/**
 * Why a node cannot use the config node its property names: none named (the node's own errors.noConfig), missing,
 * or a config that cannot work. Undefined when the link is fine.
 */
export function linkProblem(
  link: { hubject?: HubjectConfig; problem?: 'none' | 'missing' },
  t: (key: string, values?: Record<string, string | number>) => string,
): string | undefined {
  if (link.problem === 'none') return t('errors.noConfig');
  if (link.problem === 'missing') return t('kit.errors.configMissing');
  if (link.hubject?.configError) return t('kit.errors.config', { error: link.hubject.configError });
  return undefined;
}

// What the config node oicp-cpo-endpoint offers the remote-in/response nodes (and the sidebar).
import type { RemoteEndpoint } from './endpoint';

export const CPO_ENDPOINT_TYPE = 'oicp-cpo-endpoint';

/** What remote-in and the sidebar read of this node. */
export interface CpoEndpoint {
  readonly endpoint: RemoteEndpoint | undefined;
  /** The URL to register in Hubject's portal (Hubject appends /api/oicp/charging/v21/...). */
  readonly url: string;
  /** Why the endpoint does not serve (red at deploy); undefined when it listens. */
  problem(): string | undefined;
  readonly listening: boolean;
  onChange(listener: () => void): () => void;
}

export interface CpoEndpointNode {
  type: string;
  cpoEndpoint: CpoEndpoint;
}

/** The endpoint a node's property names, or undefined. */
export function cpoEndpointOf(n: { type: string } | null | undefined): CpoEndpoint | undefined {
  return n && n.type === CPO_ENDPOINT_TYPE ? (n as CpoEndpointNode).cpoEndpoint : undefined;
}

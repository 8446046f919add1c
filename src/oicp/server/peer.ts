import type { TLSSocket } from 'node:tls';
import { readCertOperatorId } from '../certificate';
import { OPERATOR_ID_PATTERN } from '../ids';

/** Who is calling, from the TLS client certificate. */
export interface ClientIdentity {
  /** The certificate was sent and chains to a trusted CA. */
  authorized: boolean;
  /** A certificate was sent (trusted or not). */
  presented: boolean;
  /** The subject's CN as written. */
  subject?: string;
  /** The CN when it reads as an OperatorID (Hubject issues client certificates with CN=<OperatorID>). */
  operatorId?: string;
  /** SHA-256 fingerprint, for logs. */
  fingerprint?: string;
}

const cache = new WeakMap<TLSSocket, ClientIdentity>();

/** The client certificate's identity; read once per connection. */
export function clientIdentity(socket: TLSSocket): ClientIdentity {
  const known = cache.get(socket);
  if (known) return known;
  const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  const presented = !!(peer && peer.raw);
  const id: ClientIdentity = { authorized: presented && socket.authorized === true, presented };
  if (presented) {
    id.subject = readCertOperatorId(peer!.raw);
    id.fingerprint = peer!.fingerprint256;
    if (id.subject && OPERATOR_ID_PATTERN.test(id.subject)) id.operatorId = id.subject;
  }
  cache.set(socket, id);
  return id;
}

// OICP 2.3 CodeType table and how each outcome is handled.

/** success; transient: retry with backoff; data: do not retry, report the record; config: do not retry fast, tell the user what to fix. */
export type FaultClass = 'success' | 'transient' | 'data' | 'config';

export interface CodeInfo {
  description: string;
  class: FaultClass;
  hint?: string;
}

export const STATUS_CODES: Readonly<Record<string, CodeInfo>> = {
  '000': { description: 'Success', class: 'success' },
  '001': { description: 'Hubject system error', class: 'transient' },
  '002': { description: 'Hubject database error', class: 'transient' },
  '009': { description: 'Data transaction error', class: 'transient' },
  '017': { description: 'Unauthorized access', class: 'config', hint: 'check OperatorID and client certificate' },
  '018': { description: 'Inconsistent EvseID', class: 'data', hint: 'the EvseID does not belong to the operator or appears twice' },
  '019': { description: 'Inconsistent EvcoID', class: 'data' },
  '021': { description: 'System error', class: 'transient' },
  '022': { description: 'Data error', class: 'data' },
  '101': { description: 'QR Code Authentication failed - Invalid Credentials', class: 'data' },
  '102': { description: 'RFID Authentication failed - invalid UID', class: 'data' },
  '103': { description: 'RFID Authentication failed - card not readable', class: 'data' },
  '105': { description: 'PLC Authentication failed - invalid EvcoID', class: 'data' },
  '106': { description: 'No positive authentication response', class: 'data' },
  '110': { description: 'QR Code App Authentication failed - time out error', class: 'data' },
  '120': { description: 'PLC (ISO/IEC 15118) Authentication failed - invalid underlying EvcoID', class: 'data' },
  '121': { description: 'PLC (ISO/IEC 15118) Authentication failed - invalid certificate', class: 'data' },
  '122': { description: 'PLC (ISO/IEC 15118) Authentication failed - time out error', class: 'data' },
  '200': { description: 'EvcoID locked', class: 'data' },
  // Hubject answers 210 when the operator has no contract or offer for the service: nothing in the records is wrong.
  '210': {
    description: 'No valid contract',
    class: 'config',
    hint: 'no valid contract or offer for this service at Hubject: ask Hubject to activate it; changes are kept',
  },
  '300': { description: 'Partner not found', class: 'config', hint: 'check OperatorID and the environment URL' },
  '310': { description: 'Partner did not respond', class: 'transient' },
  '320': { description: 'Service not available', class: 'transient' },
  '400': { description: 'Session is invalid', class: 'data' },
  // 401, 404 and 500 are on Hubject's status-code page but not in the spec's CodeType table.
  '401': { description: 'Call not authorized', class: 'config', hint: 'check OperatorID, client certificate and the contract with Hubject' },
  '404': { description: 'Data not found', class: 'data' },
  '500': { description: 'Processing error', class: 'transient' },
  '501': { description: 'Communication to EVSE failed', class: 'data' },
  '510': { description: 'No EV connected to EVSE', class: 'data' },
  '601': { description: 'EVSE already reserved', class: 'data' },
  '602': { description: 'EVSE already in use/ wrong token', class: 'data' },
  '603': { description: 'Unknown EVSE ID', class: 'data' },
  '604': { description: 'EVSE ID is not Hubject compatible', class: 'data' },
  '700': { description: 'EVSE out of service', class: 'data' },
};

/**
 * The table's entry, or for a code missing from it a description with class 'transient'. Callers that classify an
 * answer use classifyAnswer, where an unknown code keeps the class of the HTTP status (never 'data' by default).
 */
export function codeInfo(code: string): CodeInfo {
  return STATUS_CODES[code] ?? { description: `Unknown status code ${code}`, class: 'transient' };
}

/**
 * The class of an answer from its HTTP status and the OICP code in its body. 408, 429 and 5xx are transient whatever
 * the body says; a code missing from the table keeps the class of the HTTP status; otherwise the code is more specific
 * than the HTTP status (401 + 017, 404 + 300).
 */
export function classifyAnswer(httpStatus: number, code: string | undefined): FaultClass {
  const http = classifyHttpStatus(httpStatus).class;
  if (httpStatus === 408 || httpStatus === 429 || httpStatus >= 500) return 'transient';
  const info = code === undefined ? undefined : STATUS_CODES[code];
  if (!info) return http;
  if (info.class === 'success') return http === 'success' ? 'success' : http;
  return info.class;
}

export interface HttpClassification {
  class: FaultClass;
  reason: string;
}

export function classifyHttpStatus(status: number): HttpClassification {
  if (status >= 200 && status < 300) return { class: 'success', reason: `HTTP ${status}` };
  switch (status) {
    case 400:
      return { class: 'data', reason: 'HTTP 400 request rejected by schema validation' };
    case 401:
      return { class: 'config', reason: 'HTTP 401 unauthorized: check OperatorID and client certificate' };
    case 403:
      return { class: 'config', reason: 'HTTP 403 forbidden: check the client certificate and the Hubject contract' };
    case 404:
      return { class: 'config', reason: 'HTTP 404 not found: check the environment URL and OperatorID' };
    case 408:
      return { class: 'transient', reason: 'HTTP 408 request timeout' };
    case 413:
      // Sending the same body again cannot help: it is a setting (maxBodyMB) or the way records are bundled.
      return { class: 'config', reason: bodyTooLargeReason() };
    case 429:
      return { class: 'transient', reason: 'HTTP 429 too many requests' };
  }
  if (status >= 500) return { class: 'transient', reason: `HTTP ${status} server error` };
  if (status >= 300 && status < 400) return { class: 'config', reason: `HTTP ${status} redirect: check the environment URL` };
  return { class: 'data', reason: `HTTP ${status}` };
}

/** MB with one decimal, for messages about body sizes. */
export function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

/** The reason of an HTTP 413, with the body's size when known. */
export function bodyTooLargeReason(bytes?: number): string {
  const size = bytes ? ` (${megabytes(bytes)} MB)` : '';
  return `HTTP 413 the request body${size} is too large for Hubject: send fewer records per request (maxRecords), or a data fullLoad as insert/update in bundles`;
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(parseFloat(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

const TLS_MESSAGES: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "server certificate not trusted: add Hubject's root and intermediate CA to the tls-config CA",
  UNABLE_TO_GET_ISSUER_CERT: "server certificate not trusted: add Hubject's root and intermediate CA to the tls-config CA",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "server certificate not trusted (unknown CA): add Hubject's root and intermediate CA to the tls-config CA",
  SELF_SIGNED_CERT_IN_CHAIN: 'server certificate not trusted (unknown CA in chain): check the tls-config CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'server certificate is self-signed and not trusted: check the tls-config CA',
  CERT_HAS_EXPIRED: 'server certificate has expired',
  CERT_NOT_YET_VALID: 'server certificate is not yet valid: check the system clock',
  ERR_TLS_CERT_ALTNAME_INVALID: 'server host name does not match its certificate: check the URL or the tls-config server name',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'server refused the client certificate (unknown CA): use the certificate Hubject signed for this environment',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'server refused the client certificate: use the certificate Hubject signed for this environment',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'server refused the client certificate because it has expired: renew it with Hubject',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'server requires a client certificate: set certificate and key in the tls-config',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'TLS handshake refused: check the client certificate',
  ERR_OSSL_BAD_DECRYPT: 'cannot decrypt the private key: check the tls-config passphrase',
  ERR_OSSL_EVP_BAD_DECRYPT: 'cannot decrypt the private key: check the tls-config passphrase',
  ERR_SSL_EE_KEY_TOO_SMALL: 'client key too small',
  ERR_OSSL_X509_KEY_VALUES_MISMATCH: 'client certificate and private key do not match',
};

const TRANSIENT_NET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'ECONNABORTED',
  'UND_ERR_ABORTED',
]);

interface ErrLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  reason?: unknown;
}

function errorChain(err: unknown): ErrLike[] {
  const out: ErrLike[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    out.push(e as ErrLike);
    e = (e as ErrLike).cause;
  }
  return out;
}

/** Classifies a thrown network or TLS error with a message a user can act on. Never includes key material. */
export function classifyError(err: unknown): HttpClassification & { code: string } {
  const chain = errorChain(err);
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (code && TLS_MESSAGES[code]) return { class: 'config', code, reason: `TLS: ${TLS_MESSAGES[code]} (${code})` };
    if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.startsWith('ERR_OSSL') || /CERT/.test(code)) {
      return { class: 'config', code, reason: `TLS error ${code}: check the tls-config certificates` };
    }
  }
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (TRANSIENT_NET.has(code)) {
      if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
        // A server that refuses the client certificate often just closes the connection after the handshake.
        return {
          class: 'transient',
          code,
          reason: `connection closed by the server (${code}); if this persists, check that the client certificate is the one Hubject signed`,
        };
      }
      const what = code.includes('TIMEOUT') || code === 'ETIMEDOUT' ? 'timeout' : code === 'ECONNREFUSED' ? 'connection refused' : 'connection error';
      return { class: 'transient', code, reason: `${what} (${code})` };
    }
    if (e && typeof e === 'object' && (e as { name?: string }).name === 'TimeoutError') {
      return { class: 'transient', code: 'TIMEOUT', reason: 'timeout' };
    }
  }
  const first = chain[0];
  const msg = first && typeof first.message === 'string' ? first.message : String(err);
  return { class: 'transient', code: 'ERROR', reason: `network error: ${msg.slice(0, 200)}` };
}

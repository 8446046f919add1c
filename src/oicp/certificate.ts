import { X509Certificate } from 'node:crypto';
import { OPERATOR_ID_PATTERN } from './ids';

function unescapeDnValue(v: string): string {
  let s = v.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1);
  return s.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_m, g: string) => (g.length === 2 ? String.fromCharCode(parseInt(g, 16)) : g));
}

/** The CN of a certificate's subject (first CN if several), as written; undefined if unreadable. */
export function readCertOperatorId(certPem: string | Buffer): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return undefined;
  }
  for (const line of cert.subject.split('\n')) {
    // Multi-valued RDNs print as "CN=a + O=b" on one line.
    for (const part of line.split(/(?<!\\) \+ /)) {
      const m = /^CN=(.*)$/.exec(part);
      if (m) return unescapeDnValue(m[1]!);
    }
  }
  return undefined;
}

/** The certificate's CN upper-cased, when it reads as an OperatorID (Hubject compares it with the configured one). */
export function certOperatorId(cert: string | Buffer | undefined): string | undefined {
  const cn = cert ? readCertOperatorId(cert) : undefined;
  return cn && OPERATOR_ID_PATTERN.test(cn) ? cn.toUpperCase() : undefined;
}

/** Why a client certificate cannot work right now, found locally before Hubject refuses it. */
export function clientCertificateProblem(cert: string | Buffer | undefined, now = Date.now()): string | undefined {
  if (!cert) return undefined;
  let x: X509Certificate;
  try {
    x = new X509Certificate(cert);
  } catch {
    return 'client certificate in the tls-config cannot be read as PEM';
  }
  if (Date.parse(x.validTo) < now)
    return `client certificate expired on ${new Date(x.validTo).toISOString().slice(0, 10)}: renew it with Hubject and update the tls-config`;
  if (Date.parse(x.validFrom) > now) return `client certificate is not valid before ${new Date(x.validFrom).toISOString()}: check the system clock`;
  return undefined;
}

import { X509Certificate } from 'node:crypto';

export const DAY_MS = 86_400_000;
/** A client certificate this close to its end is announced daily in the log. */
export const CERT_WARN_DAYS = 30;

/** When a PEM client certificate stops being valid, or undefined when it cannot be read. */
export function certificateValidTo(cert: string | Buffer | undefined): Date | undefined {
  if (!cert) return undefined;
  try {
    const t = Date.parse(new X509Certificate(cert).validTo);
    return Number.isFinite(t) ? new Date(t) : undefined;
  } catch {
    return undefined;
  }
}

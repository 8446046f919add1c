// The faults a test or the admin page injects into the simulator, and which request each applies to.
import { z } from 'zod';
import { evseKey } from '../oicp/ids';
import { fieldReference, opKeyOf } from './model';

const CommonFaultFields = {
  /** Applies to the next N push requests (that match). */
  count: z.number().int().positive().optional(),
  /** Applies for this long after injection. */
  durationMs: z.number().int().positive().optional(),
  /** Only push requests containing this EvseID (compared by identity: case and optional '*' ignored). */
  evseId: z.string().min(1).optional(),
  /** Only push requests for this OperatorID (by identity). */
  operatorId: z.string().min(1).optional(),
};

export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000), ...CommonFaultFields }),
  z.object({
    kind: z.literal('http'),
    status: z.number().int().min(200).max(599),
    /** Retry-After header in seconds. */
    retryAfter: z.number().min(0).optional(),
    /** Response body; a plausible default per status otherwise. */
    body: z.unknown().optional(),
    /** Without body: answer with an OICP body {StatusCode: {Code: code}} (e.g. 500 with code 500). */
    code: z
      .string()
      .regex(/^[0-9]{3}$/)
      .optional(),
    /** Without body, for 400: a FaultBody naming the record at this index of the request (its EvseStatus, or for data its Address.Country). */
    index: z.number().int().min(0).optional(),
    ...CommonFaultFields,
  }),
  /** Destroys the connection without an answer. */
  z.object({ kind: z.literal('reset'), ...CommonFaultFields }),
  /** Never answers; the client must time out. */
  z.object({ kind: z.literal('hang'), ...CommonFaultFields }),
  /**
   * Refuses the client certificate in the TLS handshake of new connections as if it came from an unknown CA (alert 48;
   * under TLS 1.3 the client sees it only after its handshake). Open connections are dropped; count counts connections.
   */
  z.object({ kind: z.literal('refuse-certificate'), ...CommonFaultFields }),
  /** HTTP 200 with Result:false (or `result`, which may be null) and this StatusCode. */
  z.object({
    kind: z.literal('result'),
    code: z.string().regex(/^[0-9]{3}$/),
    result: z.boolean().nullable().optional(),
    description: z.string().optional(),
    additionalInfo: z.string().optional(),
    ...CommonFaultFields,
  }),
]);
export type Fault = z.infer<typeof FaultSchema>;

export interface ActiveFault {
  id: number;
  fault: Fault;
  injectedAt: number;
  /** Uses left when `count` was given. */
  remaining?: number;
  /** End of the window when `durationMs` was given (ms since epoch). */
  until?: number;
  hits: number;
}

/** The active faults: injected, used up by count, expired by duration. */
export class FaultBook {
  private list: ActiveFault[] = [];
  private nextId = 1;
  /** Faults applied so far (for the statistics). */
  applied = 0;

  /** Adds a fault; returns its id. Throws on an invalid fault. */
  inject(f: Fault, now = Date.now()): { id: number; fault: Fault } {
    const parsed = FaultSchema.safeParse(f);
    if (!parsed.success) throw new Error(invalidFault(parsed.error.issues));
    const fault = parsed.data;
    const id = this.nextId++;
    this.list.push({ id, fault, injectedAt: now, remaining: fault.count, until: fault.durationMs !== undefined ? now + fault.durationMs : undefined, hits: 0 });
    return { id, fault };
  }

  clear(): void {
    this.list = [];
  }

  /** Active faults (expired and used-up ones are dropped), as copies. */
  active(now = Date.now()): ActiveFault[] {
    this.prune(now);
    return this.list.map((f) => ({ ...f }));
  }

  /** On a new connection: whether a refuse-certificate fault takes it (one use of its count). */
  takeCertificateRefusal(now = Date.now()): boolean {
    this.prune(now);
    const a = this.list.find((f) => f.fault.kind === 'refuse-certificate');
    if (!a) return false;
    this.use(a);
    return true;
  }

  /** Consumes the faults that apply to this request: every matching latency fault plus the first other one. */
  take(opKey: string, evseIds: string[], now = Date.now()): { latencyMs: number; fault?: Fault } {
    this.prune(now);
    const keys = new Set(evseIds.map(evseKey));
    let latencyMs = 0;
    let chosen: Fault | undefined;
    for (const a of this.list) {
      const f = a.fault;
      if (f.evseId !== undefined && !keys.has(evseKey(f.evseId))) continue;
      if (f.operatorId !== undefined && opKeyOf(f.operatorId) !== opKey) continue;
      if (f.kind === 'refuse-certificate') continue;
      if (f.kind === 'latency') latencyMs += f.ms;
      else if (!chosen) chosen = f;
      else continue;
      this.use(a);
    }
    this.prune(now);
    return { latencyMs, fault: chosen };
  }

  private use(a: ActiveFault): void {
    a.hits++;
    if (a.remaining !== undefined) a.remaining--;
    this.applied++;
  }

  private prune(now: number): void {
    this.list = this.list.filter((f) => (f.remaining === undefined || f.remaining > 0) && (f.until === undefined || now < f.until));
  }
}

/** The message for a fault that does not validate. */
export function invalidFault(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return `invalid fault: ${issues.map((i) => `${fieldReference(i.path) || 'fault'}: ${i.message}`).join('; ')}`;
}

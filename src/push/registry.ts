import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { FileOutbox, MemoryOutbox, type OutboxStore } from './outbox';
import { PushQueue, type Operation, type QueueOptions } from './queue';
import { DeadLetters, FileKeyedStore, type DeadLetter } from './dead-letters';

// Queues outlive config node instances, so a redeploy hands pending changes to the new instance in memory.
// Keyed by operation, whose policy fixes the item type: the cast on the way out is safe.
const queues = new Map<string, { stop(): void }>();

/** One queue (lane) per operator, environment and operation; the status lane keeps its original key and file name. */
export function queueKey(operatorId: string, baseUrl: string, operation: Operation = 'status'): string {
  const key = `${operatorId}|${baseUrl.replace(/\/+$/, '')}`;
  return operation === 'status' ? key : `${key}|${operation}`;
}

export function outboxPath(userDir: string, operatorId: string, baseUrl: string, operation: Operation = 'status'): string {
  const safe = operatorId
    .replace(/\*/g, '_')
    .replace(/\+/g, 'p')
    .replace(/[^A-Za-z0-9_]/g, '');
  const h = createHash('sha256').update(baseUrl.replace(/\/+$/, '')).digest('hex').slice(0, 10);
  const suffix = operation === 'status' ? '' : `-${operation}`;
  return path.join(userDir, 'oicp', 'outbox', `${safe}-${h}${suffix}.json`);
}

export function acquireQueue<T>(
  operatorId: string,
  baseUrl: string,
  userDir: string | undefined,
  opts: Omit<QueueOptions<T>, 'operatorId' | 'outbox'>,
): PushQueue<T> {
  const operation = opts.policy.operation;
  const key = queueKey(operatorId, baseUrl, operation);
  let q = queues.get(key) as PushQueue<T> | undefined;
  if (!q) {
    const outbox: OutboxStore<T> = userDir
      ? new FileOutbox<T>(outboxPath(userDir, operatorId, baseUrl, operation), operatorId, undefined, operation, opts.policy.id)
      : new MemoryOutbox<T>();
    // Refused records with no input message waiting, beside the outbox (oicp/dead-letters).
    const file = userDir ? path.join(userDir, 'oicp', 'dead-letters', path.basename(outboxPath(userDir, operatorId, baseUrl, operation))) : undefined;
    const deadLetters = new DeadLetters<T>(
      operation,
      file ? new FileKeyedStore<DeadLetter<T>>(file, (err) => q?.emit('warn', `dead-letter list: ${err.message}`), { operatorId, operation }) : undefined,
    );
    q = new PushQueue<T>({ ...opts, operatorId, outbox, deadLetters });
    queues.set(key, q);
  } else {
    q.configure(opts);
  }
  return q;
}

// Other process-lived registries beside the lanes (the status gates) that a simulated restart clears too.
const alsoForget = new Set<() => void>();

/** A registry that outlives config nodes as the lanes do registers its reset here (the lanes know no domain). */
export function forgetWith(reset: () => void): void {
  alsoForget.add(reset);
}

/** For tests that simulate a process restart inside one runtime. */
export function forgetQueues(): void {
  for (const q of queues.values()) q.stop();
  queues.clear();
  for (const reset of alsoForget) reset();
}

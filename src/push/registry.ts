import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { FileOutbox, MemoryOutbox, type OutboxStore } from './outbox';
import { PushQueue, type QueueOptions } from './queue';

// Queues outlive config node instances, so a redeploy hands pending changes to the new instance in memory.
const queues = new Map<string, PushQueue>();

export function queueKey(operatorId: string, baseUrl: string): string {
  return `${operatorId}|${baseUrl.replace(/\/+$/, '')}`;
}

export function outboxPath(userDir: string, operatorId: string, baseUrl: string): string {
  const safe = operatorId.replace(/\*/g, '_').replace(/\+/g, 'p').replace(/[^A-Za-z0-9_]/g, '');
  const h = createHash('sha256').update(baseUrl.replace(/\/+$/, '')).digest('hex').slice(0, 10);
  return path.join(userDir, 'oicp', 'outbox', `${safe}-${h}.json`);
}

export function acquireQueue(operatorId: string, baseUrl: string, userDir: string | undefined, opts: Omit<QueueOptions, 'operatorId' | 'outbox'>): PushQueue {
  const key = queueKey(operatorId, baseUrl);
  let q = queues.get(key);
  if (!q) {
    const outbox: OutboxStore = userDir ? new FileOutbox(outboxPath(userDir, operatorId, baseUrl), operatorId) : new MemoryOutbox();
    q = new PushQueue({ ...opts, operatorId, outbox });
    queues.set(key, q);
  } else {
    q.configure(opts);
  }
  return q;
}

/** For tests that simulate a process restart inside one runtime. */
export function forgetQueues(): void {
  for (const q of queues.values()) q.stop();
  queues.clear();
}

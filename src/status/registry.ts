// The status gates of this process, one per operator and environment. Gates outlive config node instances as the
// lanes do: held statuses and their input messages survive a redeploy.
import * as path from 'node:path';
import { forgetWith, outboxPath, queueKey } from '../push/registry';
import { StatusGate, type GateOptions } from './gate';
import { FileGateStore, MemoryGateStore } from './gate-store';

const gates = new Map<string, StatusGate>();
forgetWith(() => {
  for (const g of gates.values()) g.stop();
  gates.clear();
});

/** Where an operator's held statuses wait (beside the outbox, in oicp/gate). */
export function gatePath(userDir: string, operatorId: string, baseUrl: string): string {
  return path.join(userDir, 'oicp', 'gate', path.basename(outboxPath(userDir, operatorId, baseUrl)));
}

export function acquireGate(operatorId: string, baseUrl: string, userDir: string | undefined, opts: Pick<GateOptions, 'mode' | 'holdMaxHours'>): StatusGate {
  const key = queueKey(operatorId, baseUrl);
  let g = gates.get(key);
  if (!g) {
    const store = userDir ? new FileGateStore(gatePath(userDir, operatorId, baseUrl), operatorId) : new MemoryGateStore();
    g = new StatusGate(operatorId, { ...opts, store });
    gates.set(key, g);
  } else {
    g.configure(opts);
  }
  return g;
}

import type { QueueStatus } from './queue';

export interface NodeStatus {
  fill: 'green' | 'yellow' | 'red' | 'grey' | 'blue';
  shape: 'dot' | 'ring';
  text: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** What a push node shows for its operator's queue, e.g. "000 · 1,204 sent · 0 queued". */
export function queueStatusText(s: QueueStatus): NodeStatus {
  const tail = `${fmt(s.sent)} sent · ${fmt(s.queued)} queued`;
  if (s.state === 'config-error') {
    return { fill: 'red', shape: 'ring', text: `${s.lastReason ?? 'configuration error'} · ${fmt(s.queued)} queued` };
  }
  if (s.state === 'retrying') {
    const secs = Math.max(1, Math.round((s.retryInMs ?? 0) / 1000));
    return { fill: 'yellow', shape: 'ring', text: `retrying in ${secs} s (${s.lastCode ?? 'error'}) · ${fmt(s.queued)} queued` };
  }
  if (s.state === 'stopped') return { fill: 'grey', shape: 'ring', text: `stopped · ${fmt(s.queued)} queued` };
  if (s.lastClass === 'data') return { fill: 'yellow', shape: 'dot', text: `${s.lastCode ?? ''} rejected · ${tail}`.trim() };
  if (!s.lastCode)
    return { fill: 'grey', shape: s.state === 'sending' ? 'ring' : 'dot', text: s.state === 'sending' ? `sending · ${fmt(s.queued)} queued` : 'ready' };
  return { fill: 'green', shape: s.state === 'sending' ? 'ring' : 'dot', text: `${s.lastCode} · ${tail}` };
}

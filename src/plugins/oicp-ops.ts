/**
 * The "oicp-ops" Node-RED plugin: admin endpoints for the OICP sidebar and Prometheus, and live state over comms.
 *   GET  /oicp/metrics            Prometheus text          oicp.read
 *   GET  /oicp/state              JSON for the sidebar     oicp.read
 *   POST /oicp/retry              skip backoff (all lanes, or body/query `lane`)   oicp.write
 *   POST /oicp/fullload/:nodeId   fullLoad through the node's guards               oicp.write
 *   POST /oicp/dead-letters/send  queue a lane's dead letters again (body `lane`, optional `keys`)   oicp.write
 * Comms topic "oicp/state": the same JSON, at most once a second, only when it changed, and only for 90 s after the
 * last GET /oicp/state (the sidebar asks every 30 s).
 */
import type { NodeAPI } from 'node-red';
import { createMetrics } from '../ops/metrics';
import { allLaneStats, findFullLoad, findLaneStats, opsState } from '../ops/stats';

// Express' request and response as @types/node-red hands them to admin routes (express itself is no dependency).
type Middleware = ReturnType<NodeAPI['auth']['needsPermission']>;
type Req = Parameters<Middleware>[0];
type Res = Parameters<Middleware>[1];
/** The body of POST /oicp/retry (JSON or form); Express types it any. */
interface RetryBody {
  lane?: unknown;
}
/** The body of POST /oicp/dead-letters/send. */
interface DeadLetterBody {
  lane?: unknown;
  keys?: unknown[];
}

const PUBLISH_INTERVAL_MS = 1000;
const INTEREST_MS = 90_000;

export = function (RED: NodeAPI) {
  const metrics = createMetrics();
  const read = RED.auth.needsPermission('oicp.read');
  const write = RED.auth.needsPermission('oicp.write');
  const fail = (res: Res, err: unknown) => res.status(500).json({ error: (err as Error)?.message ?? String(err) });

  RED.httpAdmin.get('/oicp/metrics', read, (_req: Req, res: Res) => {
    metrics.text().then(
      (text) => {
        res.set('Content-Type', metrics.contentType);
        res.send(text);
      },
      (err) => fail(res, err),
    );
  });

  // Live updates run only while an editor has asked for the state lately (the sidebar asks every 30 s): without
  // one, nothing is computed each second.
  let interestUntil = 0;
  RED.httpAdmin.get('/oicp/state', read, (_req: Req, res: Res) => {
    interestUntil = Date.now() + INTEREST_MS;
    try {
      res.json(opsState(Date.now()));
    } catch (err) {
      fail(res, err);
    }
  });

  RED.httpAdmin.post('/oicp/retry', write, (req: Req, res: Res) => {
    const key = (req.body as RetryBody | undefined)?.lane ?? req.query?.lane;
    const lanes = key ? [findLaneStats(String(key))].filter(Boolean) : allLaneStats();
    if (key && !lanes.length) return res.status(404).json({ error: `no OICP lane '${key}': see GET /oicp/state for the keys` });
    let retried = 0;
    for (const l of lanes) if (l!.source?.retryNow?.()) retried++;
    RED.log.info(`OICP: retry now requested (${retried} of ${lanes.length} waiting)`);
    res.json({ retried, lanes: lanes.length });
  });

  RED.httpAdmin.post('/oicp/dead-letters/send', write, (req: Req, res: Res) => {
    const body = req.body as DeadLetterBody | undefined;
    const key = body?.lane ?? req.query?.lane;
    const l = key ? findLaneStats(String(key)) : undefined;
    if (!l) return res.status(404).json({ error: `no OICP lane '${key ?? ''}': see GET /oicp/state for the keys` });
    const keys = Array.isArray(body?.keys) ? body.keys.map(String) : undefined;
    const sent = l.source?.sendDeadLettersAgain?.(keys) ?? 0;
    RED.log.info(`OICP: ${sent} dead letter(s) of ${l.labels.operator} ${l.labels.operation} queued again`);
    res.json({ sent });
  });

  RED.httpAdmin.post('/oicp/fullload/:nodeId', write, (req: Req, res: Res) => {
    const nodeId = String(req.params.nodeId);
    const src = findFullLoad(nodeId);
    if (!src) return res.status(404).json({ error: `no full load node '${nodeId}' is running` });
    src.fullLoadNow().then(
      (result) => res.json({ result }),
      (err) => res.status(409).json({ error: (err as Error)?.message ?? String(err) }),
    );
  });

  // Live updates: compared as text without the timestamp, so an idle system publishes nothing.
  let last = '';
  const timer = setInterval(() => {
    if (Date.now() > interestUntil) {
      last = '';
      return;
    }
    try {
      const state = opsState(Date.now());
      if (!state.lanes.length && !state.fullLoads.length && !state.roaming.length && !state.remoteEndpoints && !last) return;
      const text = JSON.stringify({ ...state, at: 0 });
      if (text === last) return;
      last = text;
      RED.comms.publish('oicp/state', state, false);
    } catch (err) {
      RED.log.warn(`OICP state not published: ${(err as Error).message}`);
    }
  }, PUBLISH_INTERVAL_MS);
  timer.unref?.();

  RED.plugins.registerPlugin('oicp-ops', { type: 'oicp-ops' });
};

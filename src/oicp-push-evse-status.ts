import { SLICE_RECORDS, parsePushInputSliced, pushEnvelope, validateRecords } from './push/input';
import { queueStatusText } from './push/status';
import { isActionType, type ActionType, type EvseStatusRecord } from './oicp/schemas';
import type { BatchResultEvent, Owner, PushQueue, QueueStatus, RecordFailure } from './push/queue';

/* eslint-disable @typescript-eslint/no-explicit-any */
type RED = any;

interface PushDef {
  id: string;
  name?: string;
  hubject?: string;
  action?: string;
  maxRecords?: string | number;
  insertMissing?: boolean;
}

const MAX_LISTED_IDS = 1000;

// Consecutive transient failures before their reason is logged: a single blip stays quiet.
const RETRY_WARN_AFTER = 3;

// Which push node speaks for records restored from the outbox (they have no input message).
const attached = new Map<PushQueue, Set<string>>();

export = function (RED: RED) {
  function PushEvseStatusNode(this: any, def: PushDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const action: ActionType = isActionType(def.action) ? def.action : 'update';
    const hubject = def.hubject ? RED.nodes.getNode(def.hubject) : null;
    const queue: PushQueue | null = hubject?.queue ?? null;
    const setupError: string | undefined = !hubject
      ? 'no Hubject config selected'
      : hubject.configError
        ? `Hubject config: ${hubject.configError}`
        : !queue ? 'Hubject config has no queue' : undefined;

    let flashTimer: NodeJS.Timeout | null = null;
    let lastStatus: QueueStatus | null = null;
    let lastWarned = '';
    let failing = 0;
    let retryWarned = '';

    const blocked: string | undefined = hubject?.blocked;
    const caution: string | undefined = hubject?.caution;
    const show = (s: QueueStatus) => {
      lastStatus = s;
      if (flashTimer) return;
      if (blocked) node.status({ fill: 'red', shape: 'ring', text: `${blocked.slice(0, 70)} · ${s.queued} queued` });
      else {
        const st = queueStatusText(s);
        if (caution && (st.fill === 'green' || st.fill === 'grey')) node.status({ ...st, fill: 'yellow', text: `${st.text} · ${caution}` });
        else node.status(st);
      }
    };
    const flash = (text: string) => {
      node.status({ fill: 'red', shape: 'dot', text: text.length > 80 ? text.slice(0, 77) + '...' : text });
      if (flashTimer) clearTimeout(flashTimer);
      flashTimer = setTimeout(() => {
        flashTimer = null;
        if (lastStatus) show(lastStatus);
        else if (setupError) node.status({ fill: 'red', shape: 'ring', text: setupError.slice(0, 80) });
        else node.status({});
      }, 4000);
    };

    if (setupError) {
      node.status({ fill: 'red', shape: 'ring', text: setupError.slice(0, 80) });
    } else {
      const q = queue!;
      const maxRecords = Math.floor(Number(def.maxRecords) || 500);
      q.configure({ maxRecords: Math.max(1, maxRecords), insertMissing: def.insertMissing !== false });
      if (!attached.has(q)) attached.set(q, new Set());
      attached.get(q)!.add(node.id);
      const speaksFor = (ids: string[]) => ids.includes(node.id) || (ids.length === 0 && attached.get(q)?.values().next().value === node.id);

      const onStatus = (s: QueueStatus) => show(s);
      const onResult = (ev: BatchResultEvent) => {
        if (ev.result.class !== 'transient') {
          failing = 0;
          retryWarned = '';
        }
        // Rejections reach the input messages through done(err); the output carries acknowledgements.
        if (ev.result.class !== 'success') return;
        if (!speaksFor(ev.nodeIds)) return;
        const r = ev.result;
        node.send({
          topic: ev.action,
          payload: r.ack ?? null,
          oicp: {
            action: ev.action,
            records: ev.records.length,
            // A 100,000-record fullLoad would make every debug node downstream serialise the whole list.
            EvseIDs: ev.records.length <= MAX_LISTED_IDS ? ev.records.map((x) => x.EvseID) : undefined,
            httpStatus: r.httpStatus,
            statusCode: r.statusCode?.Code,
            description: r.statusCode?.Description ?? undefined,
            additionalInfo: r.statusCode?.AdditionalInfo ?? undefined,
            processId: r.processId,
            attempts: ev.attempts,
            durationMs: r.durationMs,
          },
        });
      };
      const onConfigError = (ev: { result: { reason: string } }) => {
        // Said once per distinct reason: the queue keeps retrying slowly, the log must not flood.
        if (ev.result.reason !== lastWarned && attached.get(q)?.values().next().value === node.id) {
          lastWarned = ev.result.reason;
          node.warn(`Hubject: ${ev.result.reason}`);
        }
      };
      // The status only names the code ("retrying in 8 s (UND_ERR_SOCKET)"); once a transient fault persists, its
      // readable reason goes to the log, once per distinct reason until a request succeeds again.
      const onRetry = (ev: { result: { reason: string } }) => {
        failing++;
        if (failing >= RETRY_WARN_AFTER && ev.result.reason !== retryWarned && attached.get(q)?.values().next().value === node.id) {
          retryWarned = ev.result.reason;
          node.warn(`Hubject: ${ev.result.reason}; retrying with backoff`);
        }
      };
      const onWarn = (text: string) => {
        if (attached.get(q)?.values().next().value === node.id) node.warn(text);
      };
      q.on('status', onStatus);
      q.on('result', onResult);
      q.on('config-error', onConfigError);
      q.on('retry', onRetry);
      q.on('warn', onWarn);
      show(q.status());
      for (const w of hubject.warnings ?? []) node.status({ fill: 'yellow', shape: 'ring', text: w.slice(0, 80) });

      node.on('close', (done: () => void) => {
        q.off('status', onStatus);
        q.off('result', onResult);
        q.off('config-error', onConfigError);
        q.off('retry', onRetry);
        q.off('warn', onWarn);
        q.detach(node.id);
        attached.get(q)?.delete(node.id);
        if (flashTimer) clearTimeout(flashTimer);
        flashTimer = null;
        done();
      });
    }

    const fail = (err: unknown, done: (err?: Error) => void) => {
      const e = err instanceof Error ? err : new Error(String(err));
      flash(e.message);
      done(e);
    };
    const ownerFor = (done: (err?: Error) => void): Owner => ({
      nodeId: node.id,
      pending: 0,
      failures: [] as RecordFailure[],
      settle: (err?: Error) => {
        if (err) flash(err.message);
        done(err);
      },
    });
    // Large inputs (a 100,000-EVSE fullLoad) are validated and queued in slices; this node's later messages wait
    // behind them so their order is kept.
    let chain: Promise<void> | null = null;
    let chained = 0;

    node.on('input', (msg: any, send: unknown, done: (err?: Error) => void) => {
      try {
        if (setupError || !queue) throw new Error(setupError ?? 'not configured');
        // A full load node that emits an empty list has already passed its own guards (allowEmpty or force).
        const allowEmpty = msg.force === true || msg.fullLoad?.count === 0;
        const env = pushEnvelope(msg.payload, msg.action, action, hubject.operatorId, allowEmpty);
        if (!chain && env.list.length <= SLICE_RECORDS) {
          const records: EvseStatusRecord[] = [];
          validateRecords(env, hubject.operatorId, 0, env.list.length, records);
          queue.enqueue(env.action, records, ownerFor(done));
          if (blocked) show(queue.status());
          return;
        }
        chained++;
        const run = async () => {
          try {
            const input = await parsePushInputSliced(msg.payload, msg.action, action, hubject.operatorId, allowEmpty);
            await queue.enqueueSliced(input.action, input.records, ownerFor(done), SLICE_RECORDS);
            if (blocked) show(queue.status());
          } catch (err) {
            fail(err, done);
          } finally {
            if (--chained === 0) chain = null;
          }
        };
        chain = (chain ?? Promise.resolve()).then(run);
      } catch (err) {
        fail(err, done);
      }
    });
  }

  RED.nodes.registerType('oicp-push-evse-status', PushEvseStatusNode);
};

import * as os from 'os';
import * as path from 'path';
import {
  FullLoadAggregator,
  FileJournal,
  ContextBackend,
  Scheduler,
  parseSchedule,
  fullLoadMessage,
  DAY_MS,
  type FullLoadTrigger,
  type PersistenceBackend,
  type Schedule,
} from './fullload';
import { EVSE_STATUSES } from './oicp/schemas';
import { countStatuses, registerFullLoad, type FullLoadSnapshot } from './ops/stats';

/* eslint-disable @typescript-eslint/no-explicit-any */
type RED = any;
type Done = (err?: Error) => void;
type Send = (msg: any) => void;

interface FullLoadDef {
  id: string;
  name?: string;
  hubject?: string;
  time?: string;
  onStart?: boolean;
  onStartDelay?: string | number;
  staleDays?: string | number;
  allowEmpty?: boolean;
  minRatio?: string | number;
  passThrough?: boolean;
  storage?: string;
  contextStore?: string;
}

const FLASH_MS = 3000;
const STATUS_THROTTLE_MS = 500;
const CLOSE_BUDGET_MS = 900;
// How long a stopping node waits for its restore to finish, so records that arrived meanwhile are kept.
const RESTORE_WAIT_ON_CLOSE_MS = 600;

function num(v: unknown, fallback: number, min: number, max = Infinity): number {
  const n = typeof v === 'number' ? v : parseFloat(String(v ?? ''));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function hhmm(d: Date, now: number): string {
  const t = String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  if (d.getTime() - now < DAY_MS) return t;
  return `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${t}`;
}

/** Directory of a node's journal: <userDir>/oicp/fullload-<nodeId>. */
function journalDir(userDir: string | undefined, nodeId: string): string {
  const base = userDir || path.join(os.homedir(), '.node-red');
  return path.join(base, 'oicp', `fullload-${String(nodeId).replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

export = function (RED: RED) {
  function FullLoadNode(this: any, def: FullLoadDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const cfg = {
      time: String(def.time ?? '03:00').trim(),
      onStart: def.onStart === true,
      onStartDelay: num(def.onStartDelay, 30, 0, 86_400),
      staleDays: num(def.staleDays, 7, 0),
      allowEmpty: def.allowEmpty === true,
      minRatio: num(def.minRatio, 0.5, 0, 1),
      passThrough: def.passThrough === true,
      storage: def.storage === 'context' ? 'context' : 'file',
      contextStore: typeof def.contextStore === 'string' ? def.contextStore.trim() : '',
    };

    let setupError: string | undefined;
    const hubject = def.hubject ? RED.nodes.getNode(def.hubject) : null;
    if (def.hubject && !hubject) setupError = 'the linked Hubject config node was not found';
    // Without a valid OperatorID the operator check cannot run: refuse rather than collect foreign EVSEs.
    else if (hubject && typeof hubject.operatorId !== 'string') setupError = `Hubject config: ${hubject.configError ?? 'no valid OperatorID'}`;

    let schedule: Schedule | undefined;
    let scheduleProblem: string | undefined;
    if (cfg.time) {
      try {
        schedule = parseSchedule(cfg.time);
      } catch (err) {
        scheduleProblem = (err as Error).message;
        node.error(`no daily fullLoad: ${scheduleProblem}`);
      }
    }

    const onBackendError = (err: Error) => node.error(`saving the fullLoad state failed: ${err.message}`);
    let backend: PersistenceBackend;
    if (cfg.storage === 'context') {
      const ctx = node.context();
      const storeName = cfg.contextStore || undefined;
      const known = RED.settings?.contextStorage;
      if (storeName && known && typeof known === 'object' && !(storeName in known)) {
        node.warn(`context store '${storeName}' is not configured in settings.js; Node-RED uses its default store instead`);
      }
      backend = new ContextBackend({
        context: {
          get: (key) => new Promise((resolve, reject) => ctx.get(key, storeName, (err: any, v: unknown) => (err ? reject(err) : resolve(v)))),
          set: (key, value) => new Promise((resolve, reject) => ctx.set(key, value, storeName, (err: any) => (err ? reject(err) : resolve()))),
        },
        onError: onBackendError,
      });
    } else {
      backend = new FileJournal({ dir: journalDir(RED.settings?.userDir, node.id), onError: onBackendError });
    }

    const agg = new FullLoadAggregator({
      backend,
      staleDays: cfg.staleDays,
      allowEmpty: cfg.allowEmpty,
      minRatio: cfg.minRatio,
      operatorId: () => (hubject && typeof hubject.operatorId === 'string' ? hubject.operatorId : undefined),
    });

    let ready = false;
    let closing = false;
    let scheduler: Scheduler | undefined;
    let startTimer: ReturnType<typeof setTimeout> | undefined;
    let statusTimer: ReturnType<typeof setTimeout> | undefined;
    let flashTimer: ReturnType<typeof setTimeout> | undefined;
    const waiting: Array<{ msg: any; send: Send; done: Done }> = [];

    // ---- status ----
    const showStatus = () => {
      if (closing || flashTimer) return;
      if (!ready) return node.status({ fill: 'blue', shape: 'ring', text: 'restoring state...' });
      if (setupError) return node.status({ fill: 'red', shape: 'ring', text: setupError });
      const now = Date.now();
      const count = `${agg.size.toLocaleString('en-US')} EVSEs`;
      const next = scheduler?.next ? `next ${hhmm(scheduler.next, now)}` : scheduleProblem ? 'invalid time' : 'no schedule';
      if (agg.restoreError) return node.status({ fill: 'red', shape: 'ring', text: `state not restored · ${count}` });
      if (agg.heldBack) return node.status({ fill: 'yellow', shape: 'ring', text: `held back: ${agg.heldBack} · ${count} · ${next}` });
      node.status({ fill: 'green', shape: 'dot', text: `${count} · ${next}` });
    };
    // Status goes to every open editor: at high message rates, at most one update per 500 ms.
    const refreshStatus = () => {
      if (statusTimer || closing) return;
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        showStatus();
      }, STATUS_THROTTLE_MS);
    };
    const flash = (text: string) => {
      if (closing) return;
      node.status({ fill: 'red', shape: 'dot', text: text.length > 80 ? text.slice(0, 77) + '...' : text });
      if (flashTimer) clearTimeout(flashTimer);
      flashTimer = setTimeout(() => {
        flashTimer = undefined;
        showStatus();
      }, FLASH_MS);
    };
    const fail = (err: unknown, done: Done) => {
      const e = err instanceof Error ? err : new Error(String(err));
      flash(e.message);
      done(e);
    };

    // ---- fullLoad: the core builds them one at a time ----
    let lastRun: FullLoadSnapshot['last'];
    const runFullLoad = (trigger: FullLoadTrigger, force: boolean, msg: any, send: Send, done?: Done) => {
      agg
        .fullLoad(trigger, force)
        .then((outcome) => {
          if (closing || 'stopped' in outcome) return done?.();
          lastRun = 'sent' in outcome
            ? { at: Date.now(), count: outcome.sent.fullLoad.count, result: 'sent' }
            : { at: Date.now(), result: 'held back', reason: outcome.heldBack.reason };
          for (const w of outcome.warnings) node.warn(w);
          if ('sent' in outcome) send(fullLoadMessage(outcome.sent, msg));
          showStatus();
          done?.();
        })
        .catch((err) => {
          lastRun = { at: Date.now(), result: 'failed', reason: (err as Error).message };
          if (done) fail(err, done);
          else {
            flash((err as Error).message);
            node.error(`fullLoad failed: ${(err as Error).message}`);
          }
        });
    };

    // ---- input ----
    const handle = (msg: any, send: Send, done: Done) => {
      try {
        if (closing) return done();
        if (setupError) throw new Error(setupError);
        const r = agg.handle(msg);
        for (const w of r.warnings) node.warn(w);
        switch (r.kind) {
          case 'error':
            throw new Error(r.error);
          case 'trigger':
            return runFullLoad('manual', r.force, msg, send, done);
          case 'feedback':
            if (r.learned) refreshStatus();
            return done();
          case 'stored':
          case 'deleted':
            refreshStatus();
            if (cfg.passThrough) send(msg);
            return done();
        }
      } catch (err) {
        fail(err, done);
      }
    };

    node.on('input', (msg: any, send: Send, done: Done) => {
      if (!ready) waiting.push({ msg, send, done });
      else handle(msg, send, done);
    });

    /** A message that arrived during the restore of a node that is now stopping: records and deletes are kept. */
    const applyWhileStopping = (msg: any, done: Done) => {
      try {
        if (setupError) throw new Error(setupError);
        const r = agg.handle(msg);
        for (const w of r.warnings) node.warn(w);
        if (r.kind === 'error') throw new Error(r.error);
        if (r.kind === 'trigger') throw new Error('the node was stopped before this fullLoad could run');
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    };

    // ---- operations sidebar and metrics: counts read when asked; the walk over the store (about 1 ms per 10,000
    // EVSEs) runs again only when the EVSE count changed or after 30 s ----
    let counted: { at: number; size: number; value: ReturnType<typeof countStatuses> } | undefined;
    const unregister = registerFullLoad(node.id, {
      name: node.name || undefined,
      operator: hubject?.operatorId,
      environment: hubject?.environment,
      snapshot: (now) => {
        if (!counted || counted.size !== agg.size || now - counted.at > 30_000) {
          counted = { at: now, size: agg.size, value: countStatuses(agg.store.view(), EVSE_STATUSES, cfg.staleDays * DAY_MS, now) };
        }
        return { ...counted.value, nextAt: scheduler?.next?.getTime(), last: lastRun };
      },
      fullLoadNow: () => new Promise<string>((resolve, reject) => {
        if (!ready || closing || setupError) return reject(new Error(setupError ?? 'the node is not ready'));
        runFullLoad('manual', false, undefined, (m) => node.send(m), (err) => (err ? reject(err) : resolve(lastRun?.result === 'held back' ? `held back: ${lastRun.reason}` : lastRun?.result ?? 'done')));
      }),
    });

    // ---- start ----
    showStatus();
    const restoring = agg.restore().then((restored) => {
      if (restored.error) node.error(restored.error);
      if (closing) return;
      ready = true;
      for (const w of restored.warnings) node.warn(w);
      for (const n of restored.notes) node.log(n);
      for (const w of waiting.splice(0)) handle(w.msg, w.send, w.done);
      if (schedule) {
        scheduler = new Scheduler({
          schedule,
          run: () => runFullLoad('schedule', false, undefined, (m) => node.send(m)),
          onError: (err) => node.error(`scheduled fullLoad failed: ${err.message}`),
        });
        scheduler.start();
      }
      if (cfg.onStart) {
        startTimer = setTimeout(() => {
          startTimer = undefined;
          runFullLoad('start', false, undefined, (m) => node.send(m));
        }, cfg.onStartDelay * 1000);
      }
      showStatus();
    });

    node.on('close', function (removed: boolean, done: () => void) {
      closing = true;
      unregister();
      scheduler?.stop();
      for (const t of [startTimer, statusTimer, flashTimer]) if (t) clearTimeout(t);
      startTimer = statusTimer = flashTimer = undefined;
      const late = waiting.splice(0);
      let budget: ReturnType<typeof setTimeout> | undefined;
      const work = (async () => {
        if (late.length) {
          // A quick redeploy must not lose what came in during the restore: let the restore finish (briefly), apply.
          let wait: ReturnType<typeof setTimeout> | undefined;
          const restored = await Promise.race([
            restoring.then(() => !agg.restoreError),
            new Promise<boolean>((resolve) => { wait = setTimeout(() => resolve(false), RESTORE_WAIT_ON_CLOSE_MS); }),
          ]);
          if (wait) clearTimeout(wait);
          for (const w of late) {
            if (restored) applyWhileStopping(w.msg, w.done);
            else w.done(new Error('the node was stopped before its state was restored'));
          }
        }
        await agg.close(removed);
      })().catch((err: Error) => node.error(`closing the fullLoad state failed: ${err.message}`));
      // Close must not hold up a deploy; the journal is written every 250 ms anyway.
      const timeout = new Promise<void>((resolve) => {
        budget = setTimeout(resolve, CLOSE_BUDGET_MS);
      });
      void Promise.race([work, timeout]).then(() => {
        if (budget) clearTimeout(budget);
        done();
      });
    });
  }

  RED.nodes.registerType('oicp-full-load', FullLoadNode);
};

import * as os from 'os';
import * as path from 'path';
import {
  StatusStore,
  FileJournal,
  ContextBackend,
  Scheduler,
  parseSchedule,
  parseStatusRecords,
  parseDeleteIds,
  buildFullLoadAsync,
  DAY_MS,
  type PersistenceBackend,
  type Schedule,
} from './fullload';

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

function num(v: unknown, fallback: number, min: number, max = Infinity): number {
  const n = typeof v === 'number' ? v : parseFloat(String(v ?? ''));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

function hhmm(d: Date, now: number): string {
  const t = String(d.getHours()).padStart(2, '0') + ':' + String(d.getMinutes()).padStart(2, '0');
  if (d.getTime() - now < DAY_MS) return t;
  return `${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${t}`;
}

function preview(ids: string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
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
    const operatorId = (): string | undefined => (hubject && typeof hubject.operatorId === 'string' ? hubject.operatorId : undefined);

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

    const store = new StatusStore();
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

    let ready = false;
    let closing = false;
    let restoreFailed: string | undefined;
    let heldBack: string | undefined;
    let scheduler: Scheduler | undefined;
    let startTimer: ReturnType<typeof setTimeout> | undefined;
    let statusTimer: ReturnType<typeof setTimeout> | undefined;
    let flashTimer: ReturnType<typeof setTimeout> | undefined;
    let buildChain: Promise<void> = Promise.resolve();
    const waiting: Array<{ msg: any; send: Send; done: Done }> = [];

    // ---- status ----
    const showStatus = () => {
      if (closing || flashTimer) return;
      if (!ready) return node.status({ fill: 'blue', shape: 'ring', text: 'restoring state...' });
      if (setupError) return node.status({ fill: 'red', shape: 'ring', text: setupError });
      const now = Date.now();
      const count = `${store.size.toLocaleString('en-US')} EVSEs`;
      const next = scheduler?.next ? `next ${hhmm(scheduler.next, now)}` : scheduleProblem ? 'invalid time' : 'no schedule';
      if (restoreFailed) return node.status({ fill: 'red', shape: 'ring', text: `state not restored · ${count}` });
      if (heldBack) return node.status({ fill: 'yellow', shape: 'ring', text: `held back: ${heldBack} · ${count} · ${next}` });
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

    // ---- fullLoad ----
    const runFullLoad = (trigger: 'schedule' | 'start' | 'manual', force: boolean, msg: any, send: Send, done?: Done) => {
      buildChain = buildChain.then(() => emitFullLoad(trigger, force, msg, send, done)).catch((err) => {
        if (done) fail(err, done);
        else {
          flash((err as Error).message);
          node.error(`fullLoad failed: ${(err as Error).message}`);
        }
      });
    };

    const emitFullLoad = async (trigger: string, force: boolean, msg: any, send: Send, done?: Done) => {
      if (closing) return done?.();
      const now = Date.now();
      const result = await buildFullLoadAsync(
        store,
        {
          now,
          staleDays: cfg.staleDays,
          allowEmpty: cfg.allowEmpty,
          force,
          minRatio: cfg.minRatio,
          lastSuccessfulCount: store.meta.lastSuccessfulCount,
          operatorId: operatorId(),
        },
        { aborted: () => closing },
      );
      if (closing) return done?.();
      let reason = result.heldBack;
      let short = result.heldBackCode === 'collapsed' ? 'list collapsed' : result.heldBackCode === 'empty' ? 'empty list' : '';
      if (!reason && restoreFailed && !force) {
        reason = `the saved state could not be restored (${restoreFailed}); send msg.force = true to send the ${result.count} EVSEs this node has`;
        short = 'state not restored';
      }
      if (reason) {
        heldBack = short;
        node.warn(`${trigger} fullLoad held back: ${reason}`);
        showStatus();
        return done?.();
      }
      if (result.foreignDropped.length) {
        node.warn(`${result.foreignDropped.length} EVSEs outside operator ${operatorId()} left out of the fullLoad: ${preview(result.foreignDropped)}`);
      }
      if (result.staleDropped.length) {
        node.warn(`${result.staleDropped.length} EVSEs not seen for ${cfg.staleDays} days left out of the fullLoad and removed from the state: ${preview(result.staleDropped)}`);
        // They are gone at Hubject with this fullLoad; forget them unless seen again meanwhile.
        const cutoff = now - cfg.staleDays * DAY_MS;
        for (const id of result.staleDropped) {
          const e = store.get(id);
          if (e && e.lastSeen < cutoff) store.delete(id);
        }
      }
      store.setMeta(store.meta.feedback ? { lastFullLoadAt: now } : { lastSuccessfulCount: result.count, lastFullLoadAt: now });
      heldBack = undefined;
      const out = msg ?? { topic: 'fullLoad' };
      out.action = 'fullLoad';
      out.payload = result.records;
      out.fullLoad = { count: result.count, staleDropped: result.staleDropped, generatedAt: new Date(now).toISOString(), trigger };
      send(out);
      showStatus();
      done?.();
    };

    // ---- input ----
    const onFeedback = (o: any) => {
      if (o.action !== 'fullLoad') return; // results of single updates: nothing to learn
      if (o.statusCode === '000' && typeof o.records === 'number' && Number.isFinite(o.records) && o.records >= 0) {
        store.setMeta({ feedback: true, lastSuccessfulCount: o.records });
      } else {
        store.setMeta({ feedback: true });
        const code = o.statusCode ?? o.httpStatus ?? o.result ?? 'no status code';
        node.warn(`Hubject did not accept the last fullLoad (${code}${o.description ? ': ' + o.description : ''}); the collapse guard keeps comparing with ${store.meta.lastSuccessfulCount ?? 'nothing'}`);
      }
      refreshStatus();
    };

    const handle = (msg: any, send: Send, done: Done) => {
      try {
        if (closing) return done();
        if (setupError) throw new Error(setupError);
        // Results of the push node, wired back: checked first, as they carry topic 'fullLoad'.
        if (msg.oicp && typeof msg.oicp === 'object' && typeof msg.oicp.action === 'string') {
          onFeedback(msg.oicp);
          return done();
        }
        if (msg.action === 'fullLoad') {
          throw new Error("msg.action 'fullLoad' is the output of a full load node; to trigger a fullLoad send msg.topic = 'fullLoad' or msg.payload = 'fullLoad'");
        }
        if (msg.topic === 'fullLoad' || msg.payload === 'fullLoad') {
          return runFullLoad('manual', msg.force === true, msg, send, done);
        }
        if (msg.action === 'delete') {
          const ids = parseDeleteIds(msg.payload);
          if (!ids.ok) throw new Error(ids.error);
          for (const id of ids.value) store.delete(id);
          refreshStatus();
          if (cfg.passThrough) send(msg);
          return done();
        }
        if (msg.action !== undefined && msg.action !== 'update' && msg.action !== 'insert') {
          throw new Error(`msg.action '${String(msg.action)}' is not supported: use 'delete' to remove EVSEs, or send records without msg.action`);
        }
        const p = msg.payload;
        if (p === null || typeof p !== 'object') {
          if (typeof msg.topic === 'string' && msg.topic !== '') {
            throw new Error(`unknown control topic '${msg.topic}': msg.topic 'fullLoad' triggers a fullLoad; records go in msg.payload as {EvseID, EvseStatus}`);
          }
          if (typeof p === 'string') throw new Error(`unknown command '${p}': expected 'fullLoad' or records {EvseID, EvseStatus}`);
          throw new Error(`msg.payload must be a record {EvseID, EvseStatus} or an array of them (got ${p === null ? 'null' : typeof p})`);
        }
        const parsed = parseStatusRecords(p, operatorId());
        if (!parsed.ok) throw new Error(parsed.error);
        const now = Date.now();
        for (const r of parsed.value) store.set(r.EvseID, r.EvseStatus, now);
        refreshStatus();
        if (cfg.passThrough) send(msg);
        done();
      } catch (err) {
        fail(err, done);
      }
    };

    node.on('input', (msg: any, send: Send, done: Done) => {
      if (!ready) waiting.push({ msg, send, done });
      else handle(msg, send, done);
    });

    // ---- start ----
    showStatus();
    const started = (report: { records: number; warnings: string[]; truncated: boolean } | undefined) => {
      if (closing) return;
      ready = true;
      if (report) {
        for (const w of report.warnings) node.warn(w);
        if (report.truncated) node.log('the last journal line was incomplete (the process stopped while writing it) and was skipped');
      }
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
    };
    backend.restore(store).then(started, (err: Error) => {
      restoreFailed = err.message;
      node.error(`the saved fullLoad state could not be restored: ${err.message}. fullLoads are held back unless msg.force = true`);
      started(undefined);
    });

    node.on('close', function (removed: boolean, done: () => void) {
      closing = true;
      scheduler?.stop();
      for (const t of [startTimer, statusTimer, flashTimer]) if (t) clearTimeout(t);
      startTimer = statusTimer = flashTimer = undefined;
      for (const w of waiting.splice(0)) w.done(new Error('the node was stopped before its state was restored'));
      let budget: ReturnType<typeof setTimeout> | undefined;
      const work = (removed ? backend.destroy() : backend.close()).catch((err: Error) =>
        node.error(`closing the fullLoad state failed: ${err.message}`),
      );
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

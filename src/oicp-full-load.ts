import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import {
  FullLoadAggregator,
  FileJournal,
  ContextBackend,
  FullLoadTimers,
  Recount,
  contextAccess,
  fullLoadStatus,
  readSchedule,
  stopFullLoad,
  predecessorClosed,
  fullLoadMessage,
  journalDir,
  LastFullLoad,
  DAY_MS,
  type FullLoadTrigger,
  type PersistenceBackend,
  type CallbackContext,
} from './fullload';
import {
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  StatusView,
  exported,
  limits,
  editorBoolean,
  editorNumber,
  failInput,
  linkedHubject,
  translator,
  type Done,
  type Status,
} from './node-red';
import { EVSE_STATUSES } from './oicp/schemas';
import { countStatuses, registerFullLoad } from './ops/stats';

const TYPE = 'oicp-full-load';
type Send = (msg: NodeMessage) => void;
type Msg = NodeMessageInFlow | undefined;

interface FullLoadDef extends NodeDef {
  hubject?: string;
  time?: string;
  onStart?: boolean | string;
  onStartDelay?: string | number;
  staleDays?: string | number;
  allowEmpty?: boolean | string;
  minRatio?: string | number;
  passThrough?: boolean | string;
  storage?: string;
  contextStore?: string;
}

const STATUS_THROTTLE_MS = 500;
const CLOSE_BUDGET_MS = 900;
// How long a stopping node waits for its restore to finish, so records that arrived meanwhile are kept. It does not
// hold up the deploy (the redeployed node waits for the hand-over instead), so only a restore that hangs reaches it.
const RESTORE_WAIT_ON_CLOSE_MS = 60_000;

/** The dialog's node settings (RED.settings.<name>): its number limits and the runtime's number check. */
const SETTINGS = {
  oicpFullLoadLimits: exported(limits('onStartDelay', 'staleDays', 'minRatio')),
  oicpFullLoadNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
};

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function FullLoadNode(this: Node, def: FullLoadDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const cfg = {
      time: String(def.time ?? '03:00').trim(),
      onStart: editorBoolean(def.onStart, false),
      onStartDelay: editorNumber(def.onStartDelay, LIMITS.onStartDelay),
      staleDays: editorNumber(def.staleDays, LIMITS.staleDays),
      allowEmpty: editorBoolean(def.allowEmpty, false),
      minRatio: editorNumber(def.minRatio, LIMITS.minRatio),
      passThrough: editorBoolean(def.passThrough, false),
      storage: def.storage === 'context' ? 'context' : 'file',
      contextStore: typeof def.contextStore === 'string' ? def.contextStore.trim() : '',
    };

    let setupError: string | undefined;
    const link = linkedHubject(RED, def.hubject);
    const hubject = link.hubject;
    if (link.problem === 'missing') setupError = t('kit.errors.configMissing');
    // Without a valid OperatorID the operator check cannot run: refuse rather than collect foreign EVSEs.
    else if (hubject && !hubject.operatorIds.length) setupError = t('kit.errors.config', { error: hubject.configError ?? t('kit.errors.noOperator') });

    const { schedule, problem: scheduleProblem } = readSchedule(cfg.time);
    if (scheduleProblem) node.error(t('log.noSchedule', { error: scheduleProblem }));

    const onBackendError = (err: Error) => node.error(t('log.saveFailed', { error: err.message }));
    let backend: PersistenceBackend;
    if (cfg.storage === 'context') {
      const storeName = cfg.contextStore || undefined;
      const known = RED.settings?.contextStorage;
      if (storeName && known && typeof known === 'object' && !(storeName in known)) node.warn(t('log.contextStore', { store: storeName }));
      backend = new ContextBackend({ context: contextAccess(node.context() as unknown as CallbackContext, storeName), onError: onBackendError });
    } else {
      backend = new FileJournal({ dir: journalDir(RED.settings?.userDir, node.id), onError: onBackendError });
    }

    // One hand-over per node id: a redeployed instance restores only after this one finished closing.
    const handoffKey = `${TYPE}:${node.id}`;
    const agg = new FullLoadAggregator({
      backend,
      after: predecessorClosed(handoffKey),
      staleDays: cfg.staleDays,
      allowEmpty: cfg.allowEmpty,
      minRatio: cfg.minRatio,
      operatorId: () => (hubject && hubject.operatorIds.length ? hubject.operatorIds : undefined),
    });

    let ready = false;
    let closing = false;
    const timers = new FullLoadTimers();
    const waiting: Array<{ msg: NodeMessageInFlow; send: Send; done: Done }> = [];

    // ---- status ----
    const view = new StatusView(node, {
      throttleMs: STATUS_THROTTLE_MS,
      base: (): Status | null =>
        fullLoadStatus(
          {
            closing,
            ready,
            setupError,
            configError: hubject?.configError,
            size: agg.size,
            restoreError: agg.restoreError,
            guarded: agg.guarded,
            next: timers.next,
            scheduleProblem,
          },
          t,
        ),
    });
    const showStatus = () => view.show();
    const refreshStatus = () => view.refresh();
    const fail = (err: unknown, done: Done) => failInput(view, done, err);

    // ---- fullLoad: the core builds them one at a time ----
    const lastRun = new LastFullLoad();
    const runFullLoad = (trigger: FullLoadTrigger, force: boolean, msg: Msg, send: Send, done?: Done) => {
      agg
        .fullLoad(trigger, force)
        .then((outcome) => {
          if (closing || 'stopped' in outcome) return done?.();
          lastRun.built(outcome);
          for (const w of outcome.warnings) node.warn(w);
          if ('sent' in outcome) send(fullLoadMessage(outcome.sent, msg) as NodeMessage);
          showStatus();
          done?.();
        })
        .catch((err) => {
          lastRun.failed(err as Error);
          if (done) fail(err, done);
          else {
            view.flash((err as Error).message);
            node.error(t('log.fullLoadFailed', { error: (err as Error).message }));
          }
        });
    };

    // ---- input ----
    /** One message into the store; throws what it refuses. */
    const take = (msg: NodeMessageInFlow) => {
      if (setupError) throw new Error(setupError);
      const r = agg.handle(msg);
      for (const w of r.warnings) node.warn(w);
      if (r.kind === 'error') throw new Error(r.error);
      return r;
    };
    const handle = (msg: NodeMessageInFlow, send: Send, done: Done) => {
      try {
        if (closing) return done();
        const r = take(msg);
        switch (r.kind) {
          case 'trigger':
            return runFullLoad('manual', r.force, msg, send, done);
          case 'feedback':
            if (r.learned) {
              lastRun.answered(msg.oicp as Record<string, unknown>);
              refreshStatus();
            }
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

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      if (!ready) waiting.push({ msg, send, done });
      else handle(msg, send, done);
    });

    /** A message that arrived during the restore of a node that is now stopping: records and deletes are kept. */
    const applyWhileStopping = (msg: NodeMessageInFlow, done: Done) => {
      try {
        if (take(msg).kind === 'trigger') throw new Error(t('errors.stoppedBeforeFullLoad'));
        done();
      } catch (err) {
        done(err instanceof Error ? err : new Error(String(err)));
      }
    };

    // ---- operations sidebar and metrics: counts read when asked; the walk over the store (about 1 ms per 10,000
    // EVSEs) runs again only when the EVSE count changed or after 30 s ----
    const counts = new Recount(
      () => agg.size,
      (now) => countStatuses(agg.store.view(), EVSE_STATUSES, cfg.staleDays * DAY_MS, now),
    );
    const unregister = registerFullLoad(node.id, {
      name: node.name || undefined,
      operator: hubject?.operatorId,
      environment: hubject?.environment,
      snapshot: (now) => ({ ...counts.get(now), nextAt: timers.next?.getTime(), last: lastRun.last }),
      fullLoadNow: () =>
        new Promise<string>((resolve, reject) => {
          if (!ready || closing || setupError) return reject(new Error(setupError ?? 'the node is not ready'));
          runFullLoad(
            'manual',
            false,
            undefined,
            (m) => node.send(m),
            (err) => (err ? reject(err) : resolve(lastRun.text())),
          );
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
      timers.start({
        schedule,
        onStartDelayMs: cfg.onStart ? cfg.onStartDelay * 1000 : undefined,
        run: (trigger) => runFullLoad(trigger, false, undefined, (m) => node.send(m)),
        onError: (err) => node.error(t('log.scheduledFailed', { error: err.message })),
      });
      showStatus();
    });

    node.on('close', function (removed: boolean, done: () => void) {
      closing = true;
      unregister();
      timers.stop();
      view.close();
      void stopFullLoad({
        key: handoffKey,
        late: waiting.splice(0),
        restored: () => restoring.then(() => !agg.restoreError),
        waitMs: RESTORE_WAIT_ON_CLOSE_MS,
        apply: (w) => applyWhileStopping(w.msg, w.done),
        refuse: (w) => w.done(new Error(t('errors.stoppedBeforeRestore'))),
        close: () => agg.close(removed),
        onError: (err) => node.error(t('log.closeFailed', { error: err.message })),
        budgetMs: CLOSE_BUDGET_MS,
      }).then(done);
    });
  }

  RED.nodes.registerType(TYPE, FullLoadNode, { settings: SETTINGS });
};

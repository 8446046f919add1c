import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { DATA_ACTIONS, parseDataDefaults, type DataAction, type DataRequest, type RejectedRecord } from './evse-data';
import { DataInputPlanner, joinFailures, validationFailure, type DataStep } from './evse-data/input';
import { EDITOR_CHOICES } from './evse-data/choices';
import { Scheduler, scheduleError } from './fullload/schedule';
import { itemsOf, type DataItem } from './evse-data/lane';
import { RejectedNotes, type OperatorEvseData, type RejectedOut } from './evse-data/operator';
import type { Owner, QueueStatus } from './push/queue';
import { watchState, withStateProblem, type StateMatch } from './node-red/state';
import { outboxPath } from './push/registry';
import {
  LaneBinding,
  ackOutput,
  laneStatus as kitLaneStatus,
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  exported,
  limits,
  StatusView,
  editorNumber,
  failInput,
  refuseInputs,
  linkedHubject,
  linkProblem,
  translator,
  type Done,
  type Status,
  type Translate,
} from './node-red';

const TYPE = 'oicp-push-evse-data';
const DEFAULT_TIME = '30 3 * * 0';
const MAX_LISTED_IDS = 1000;

interface DataDef extends NodeDef {
  hubject?: string;
  action?: string;
  defaults?: unknown;
  time?: string;
  minRatio?: string | number;
}

type DataMsg = NodeMessageInFlow & { action?: unknown; force?: unknown };

const fmt = (n: number) => n.toLocaleString('en-US');

function laneStatus(s: QueueStatus, atHubject: number, t: Translate): Status {
  const counts = t('status.counts', { sent: fmt(s.sent), queued: fmt(s.queued), atHubject: fmt(atHubject) });
  return kitLaneStatus(s, t, { short: counts, full: counts, ready: counts });
}

/** The dialog's node settings (RED.settings.<name>): its limits, and the OpenAPI enums it offers for the defaults. */
const SETTINGS = {
  oicpPushEvseDataLimits: exported(limits('minRatio')),
  oicpPushEvseDataNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
  oicpPushEvseDataChoices: exported(EDITOR_CHOICES),
};

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function PushEvseDataNode(this: Node, def: DataDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    const action: DataAction = (DATA_ACTIONS as readonly string[]).includes(def.action ?? '') ? (def.action as DataAction) : 'auto';
    const time = def.time === undefined ? DEFAULT_TIME : String(def.time).trim();
    const minRatio = editorNumber(def.minRatio, LIMITS.minRatio);
    const defaults = parseDataDefaults(def.defaults);
    const link = linkedHubject(RED, def.hubject);
    const hubject = link.hubject;
    const timeError = time ? scheduleError(time) : undefined;
    const setupError: string | undefined =
      linkProblem(link, t) ??
      (hubject?.dataConfigError
        ? t('errors.operatorName', { error: hubject.dataConfigError })
        : defaults.error
          ? t('errors.defaults', { error: defaults.error })
          : timeError
            ? t('errors.time', { time, error: timeError })
            : undefined);
    const queue = setupError || !hubject ? null : hubject.lane('data');

    // ---- status ----
    let guarded: string | undefined;
    const holder: { data?: OperatorEvseData } = {};
    // The operator's store and data outbox (by path: another runtime's or test's files are not this node's).
    const userDir: string | undefined = RED.settings?.userDir;
    const dataOutbox = userDir && hubject?.operatorId ? outboxPath(userDir, hubject.operatorId, hubject.baseUrl, 'data') : undefined;
    const ownState: StateMatch = (p) => (!!holder.data?.store.file && p.file === holder.data.store.file) || p.file === dataOutbox;
    const view = new StatusView(node, {
      base: () => {
        if (setupError || !queue || !hubject) return { fill: 'red', shape: 'ring', text: setupError ?? t('errors.noQueue') };
        const blocked = hubject.blocked();
        if (blocked) return { fill: 'red', shape: 'ring', text: blocked, tail: ` · ${t('status.queued', { queued: fmt(queue.queued) })}` };
        const data = holder.data;
        if (data?.refusedFullLoad) return { fill: 'red', shape: 'ring', text: data.refusedFullLoad };
        if (data?.unreadable) return { fill: 'yellow', shape: 'ring', text: t('status.unreadable', { file: data.unreadable }) };
        if (guarded) return { fill: 'yellow', shape: 'ring', text: t('status.guarded', { reason: guarded }) };
        const st = laneStatus(queue.status(), data?.store.size ?? 0, t);
        // Its store or the data outbox is damaged or cannot be written: yellow, naming the file.
        return withStateProblem(st, t, ownState);
      },
      ticking: () => queue?.status().state === 'retrying',
    });
    view.show();
    if (setupError || !queue || !hubject || !hubject.operatorId || !hubject.operatorName) {
      if (setupError) node.error(setupError);
      refuseInputs(node, view, setupError ?? t('errors.noQueue'));
      return;
    }

    // ---- build: the operator's store of acknowledged records (shared by its data nodes), the lane, the schedule ----
    const q = queue;
    const hub = hubject;
    const operatorId = hubject.operatorId;
    const operatorName = hubject.operatorName;
    const data = hub.evseData()!;
    const st = data.store;
    holder.data = data;
    data.attach(node.id, minRatio);
    const planner = new DataInputPlanner({
      data,
      operatorId,
      operatorName,
      operatorIds: hub.operatorIds,
      maxBodyBytes: hub.maxBodyBytes,
      defaults: defaults.value,
      minRatio,
      action,
      say: t,
      warn: (x) => node.warn(x),
    });
    let scheduler: Scheduler | undefined;
    const notes = new RejectedNotes<RejectedOut>();

    // ---- wire the lane's events: the operator's store hears every answer; this node reports its own ----
    const lane: LaneBinding<DataItem> = new LaneBinding(node, q, view, t, {
      on: {
        result: (ev) => {
          if (ev.result.class !== 'success' || !lane.speaksFor(ev.nodeIds)) return;
          if (ev.action === 'fullLoad') guarded = undefined;
          const ids = ev.records.map((i) => i.EvseID);
          // The action the records were queued with, when a 022 recovery sent them as another.
          node.send(ackOutput(ev, () => ids, MAX_LISTED_IDS, { operation: 'data', queuedAs: ev.queuedAs, rejected: notes.take(ids) }));
          view.refresh();
        },
        rejected: (ev) => {
          if (lane.speaksFor(ev.nodeIds)) notes.forget(ev.failure.id);
        },
      },
    });
    const onStatus = () => view.show();
    const offChange = hub.onChange(() => view.show());
    const offState = watchState(node, t, ownState, () => view.refresh());
    data.on('change', onStatus);

    // Inputs wait for the operator's store to be read, in order.
    let chain: Promise<unknown> = data.ready.then(() => {
      if (time) {
        // An operator that never had data acknowledged has nothing to synchronise: the schedule waits quietly.
        const run = () => (st.size > 0 || st.meta.lastFullLoadCount ? storedFullLoad(false, null) : undefined);
        scheduler = new Scheduler({ schedule: time, run, onError: (err) => node.error(err.message) });
        scheduler.start();
      }
      view.show();
    });

    /** Queues the plan's requests under one owner; done once every record is acknowledged or rejected for good. */
    const enqueue = (requests: DataRequest[], rejected: RejectedRecord[], done: Done | null, input: DataMsg | null = null) => {
      const validation = validationFailure(rejected, input ?? {}, t);
      const total = requests.reduce((n, r) => n + r.EvseIDs.length, 0);
      for (const r of requests) notes.note(r.EvseIDs, validation.list);
      // A forced empty fullLoad goes out: it is the one request with no records.
      if (!total && !requests.some((r) => r.ActionType === 'fullLoad')) {
        if (validation.error) {
          if (done) failInput(view, done, validation.error);
        } else done?.();
        return;
      }
      const owner: Owner = {
        nodeId: node.id,
        pending: 0,
        failures: [],
        noInput: !done, // a scheduled push's refusals are dead letters
        settle: (err?: Error) => {
          const e = joinFailures(validation, err);
          if (e) view.flash(e.message);
          done?.(e);
        },
      };
      // The owner settles only after all requests are queued: sending is asynchronous.
      for (const r of requests) {
        q.enqueue(r.ActionType, itemsOf(r), owner);
      }
      if (hub.blocked()) view.show();
    };

    /** What the planner decided, done: the fullLoad guard warns, inputs fail or are queued. */
    const apply = (step: DataStep, done: Done | null, msg: DataMsg | null) => {
      if (step.kind === 'done') {
        view.show();
        return done?.();
      }
      if (step.kind === 'fail') return done ? failInput(view, done, step.error) : undefined;
      if (step.kind === 'guarded') {
        guarded = step.reason;
        node.warn(t('log.guarded', { reason: step.reason }));
        view.show();
        if (step.error) return done ? failInput(view, done, step.error) : undefined;
        if (step.rejected.length) return enqueue([], step.rejected, done, msg);
        return done?.();
      }
      if (step.fullLoad) guarded = undefined;
      enqueue(step.requests, step.rejected, done, msg);
    };
    const storedFullLoad = (force: boolean, done: Done | null) => apply(planner.stored(force), done, null);

    node.on('input', (msg: DataMsg, _send: unknown, done: Done) => {
      chain = chain.then(async () => apply(await planner.plan(msg), done, msg)).catch((err: unknown) => failInput(view, done, err));
    });

    node.on('close', (done: () => void) => {
      scheduler?.stop();
      data.detach(node.id);
      data.off('change', onStatus);
      lane.close();
      offChange();
      offState();
      view.close();
      // Acknowledged records are written within 250 ms; the config node's close flushes the operator's store.
      st.flush().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType(TYPE, PushEvseDataNode, { settings: SETTINGS });
};

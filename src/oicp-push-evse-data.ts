import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  DATA_ACTIONS,
  bodyOperatorError,
  evseIdsOf,
  parseDataDefaults,
  parseDataInput,
  planDataPushAsync,
  planStoredFullLoad,
  type DataAction,
  type DataRequest,
  type RejectedRecord,
} from './evse-data';
import { WireSpelling } from './oicp/ids';
import {
  ACCESSIBILITY,
  ACCESSIBILITY_LOCATIONS,
  AUTHENTICATION_MODES,
  CALIBRATION_LAW_DATA_AVAILABILITY,
  DYNAMIC_INFO_AVAILABLE,
  ENERGY_TYPES,
  PAYMENT_OPTIONS,
  VALUE_ADDED_SERVICES,
} from './evse-data/enums';
import { HOTLINE_PHONE_PATTERN } from './evse-data/normalise';
import { respellRequests } from './push/spelling';
import { Scheduler, scheduleError } from './fullload/schedule';
import { itemsOf, type DataItem } from './evse-data/lane';
import { RejectedNotes, type OperatorEvseData, type RejectedOut } from './evse-data/operator';
import type { Owner, QueueStatus } from './push/queue';
import { listRejected } from './push/rejection';
import { stateStatus, watchState, type StateMatch } from './node-red/state';
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
  oicpPushEvseDataChoices: exported({
    AuthenticationModes: [...AUTHENTICATION_MODES] as string[],
    PaymentOptions: [...PAYMENT_OPTIONS] as string[],
    ValueAddedServices: [...VALUE_ADDED_SERVICES] as string[],
    Accessibility: [...ACCESSIBILITY] as string[],
    AccessibilityLocation: [...ACCESSIBILITY_LOCATIONS] as string[],
    CalibrationLawDataAvailability: [...CALIBRATION_LAW_DATA_AVAILABILITY] as string[],
    DynamicInfoAvailable: [...DYNAMIC_INFO_AVAILABLE] as string[],
    EnergyTypes: [...ENERGY_TYPES] as string[],
    hotlinePhonePattern: HOTLINE_PHONE_PATTERN.source,
  }),
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
      link.problem === 'none'
        ? t('errors.noConfig')
        : link.problem === 'missing'
          ? t('kit.errors.configMissing')
          : hubject?.configError
            ? t('kit.errors.config', { error: hubject.configError })
            : hubject?.dataConfigError
              ? t('errors.operatorName', { error: hubject.dataConfigError })
              : defaults.error
                ? t('errors.defaults', { error: defaults.error })
                : timeError
                  ? t('errors.time', { time, error: timeError })
                  : undefined;
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
        const sp = st.fill !== 'red' ? stateStatus(t, ownState) : null;
        return sp ? { ...sp, tail: st.tail } : st;
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
    const spelling = new WireSpelling(); // one spelling per EVSE on the wire
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
          if (lane.speaksFor(ev.nodeIds)) notes.forget(ev.failure.EvseID);
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
      // every rejected record in the text and on error.cause.rejected (a Catch node sees cause), with its CSV row.
      const listed = listRejected(rejected, input ?? {});
      const validation = listed.records.map((r) => ({ index: r.index, row: r.row, EvseID: r.EvseID, field: r.field, reason: r.reason }));
      const validationError = rejected.length ? new Error(t('errors.rejected', { count: rejected.length, first: listed.text })) : undefined;
      if (validationError) Object.assign(validationError, { rejected: validation, cause: { rejected: validation } });
      const total = requests.reduce((n, r) => n + r.EvseIDs.length, 0);
      for (const r of requests) notes.note(r.EvseIDs, validation);
      // A forced empty fullLoad goes out: it is the one request with no records.
      if (!total && !requests.some((r) => r.ActionType === 'fullLoad')) {
        if (validationError) {
          if (done) failInput(view, done, validationError);
        } else done?.();
        return;
      }
      const owner: Owner = {
        nodeId: node.id,
        pending: 0,
        failures: [],
        noInput: !done, // a scheduled push's refusals are dead letters
        settle: (err?: Error) => {
          const e =
            validationError && err
              ? Object.assign(new Error(`${validationError.message}; ${err.message}`), {
                  cause: { rejected: [...validation, ...((err.cause as { rejected?: unknown[] } | undefined)?.rejected ?? [])] },
                })
              : (validationError ?? err);
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

    const guardFullLoad = (reason: string) => {
      guarded = reason;
      node.warn(t('log.guarded', { reason }));
      view.show();
    };

    /** The fullLoad of every EVSE of the operator, from the shared store. */
    const storedFullLoad = (force: boolean, done: Done | null) => {
      const plan = planStoredFullLoad({ operatorId, operatorName, store: st, force, minRatio, maxBodyBytes: hub.maxBodyBytes, unreadable: data.unreadable });
      if (plan.guarded) {
        guardFullLoad(plan.guarded.reason);
        done?.();
        return;
      }
      guarded = undefined;
      enqueue([plan.request!], [], done);
    };

    const handle = async (msg: DataMsg, done: Done) => {
      const force = msg.force === true;
      if (msg.topic === 'known') {
        const ids = evseIdsOf(msg.payload);
        const { invalid } = data.markKnown(ids as string[]);
        if (invalid.length) return failInput(view, done, new Error(t('errors.known', { ids: invalid.slice(0, 5).join(', ') })));
        view.show();
        return done();
      }
      if (msg.topic === 'fullLoad' || msg.payload === 'fullLoad') return storedFullLoad(force, done);
      const input = parseDataInput(msg.payload);
      if (input.kind === 'fullLoadTrigger') return storedFullLoad(force, done);
      if (input.kind === 'error') return failInput(view, done, new Error(input.error));
      const wrongOperator = bodyOperatorError(input.body, operatorId, operatorName);
      if (wrongOperator) return failInput(view, done, new Error(wrongOperator));
      const wanted = msg.action ?? input.body?.ActionType ?? action;
      if (!(DATA_ACTIONS as readonly unknown[]).includes(wanted)) {
        return failInput(view, done, new Error(t('errors.action', { action: JSON.stringify(wanted), allowed: DATA_ACTIONS.join(', ') })));
      }
      const plan = await planDataPushAsync(input.items, {
        action: wanted as DataAction,
        operatorIds: hub.operatorIds,
        defaults: defaults.value,
        operatorId,
        operatorName,
        store: st,
        force,
        minRatio,
        maxBodyBytes: hub.maxBodyBytes,
      });
      for (const w of plan.warnings) node.warn(w);
      if (plan.guarded) {
        guardFullLoad(plan.guarded.reason);
        if (plan.guarded.code === 'invalid') {
          const listed = listRejected(plan.rejected, msg);
          const rejected = listed.records.map((r) => ({ index: r.index, row: r.row, EvseID: r.EvseID, field: r.field, reason: r.reason }));
          const err = Object.assign(new Error(plan.guarded.reason), { rejected, cause: { rejected } });
          return failInput(view, done, err);
        }
        if (plan.rejected.length) return enqueue([], plan.rejected, done, msg);
        return done();
      }
      if (wanted === 'fullLoad') guarded = undefined;
      for (const w of respellRequests(plan.requests, (id) => st.acknowledgedId(id), spelling)) node.warn(w);
      enqueue(wanted === 'auto' ? data.afterPendingInserts(plan.requests) : plan.requests, plan.rejected, done, msg);
    };

    node.on('input', (msg: DataMsg, _send: unknown, done: Done) => {
      chain = chain.then(() => handle(msg, done)).catch((err: unknown) => failInput(view, done, err));
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

import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import {
  DATA_ACTIONS,
  EvseDataStore,
  parseDataInput,
  planDataPushAsync,
  planStoredFullLoad,
  validateDefaults,
  type DataAction,
  type DataRequest,
  type EvseDataDefaults,
  type RejectedRecord,
} from './oicp/evse-data';
import { WireSpelling, evseKey } from './oicp/ids';
import { respellRequests } from './push/spelling';
import { Scheduler, scheduleError } from './fullload/schedule';
import { asItems, asQueued, itemsOf } from './push/data-lane';
import type { BatchResultEvent, DeadLetterEvent, Owner, PushQueue, QueueStatus, RecordFailure } from './push/queue';
import { refusalReport } from './push/dead-letters';
import { listRejected, rejectedText } from './push/rejection';
import {
  LIMITS,
  NODE_SETTINGS,
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

/** A rejected record as the output and the error name it. */
interface RejectedOut {
  index?: number;
  EvseID?: string;
  field?: string;
  reason: string;
}

// Which data node speaks for records restored from the outbox (they have no input message).
const attached = new Map<PushQueue, Set<string>>();

const fmt = (n: number) => n.toLocaleString('en-US');

/** Directory of a node's acknowledged records: <userDir>/oicp/evse-data-<nodeId>. */
function storeDir(userDir: string | undefined, nodeId: string): string {
  const base = userDir || path.join(os.homedir(), '.node-red');
  return path.join(base, 'oicp', `evse-data-${String(nodeId).replace(/[^A-Za-z0-9._-]/g, '_')}`);
}

/** The defaults property: an object (the editor writes one) or its JSON text (hand-edited flows). */
function parseDefaults(v: unknown): { value?: EvseDataDefaults; error?: string } {
  if (v === undefined || v === null || v === '') return {};
  let obj = v;
  if (typeof v === 'string') {
    try {
      obj = JSON.parse(v);
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { error: 'not an object' };
  // The editor leaves unset fields empty: they are not defaults.
  const clean: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(obj as Record<string, unknown>)) {
    if (x === '' || x === null || x === undefined || (Array.isArray(x) && x.length === 0)) continue;
    clean[k] = x;
  }
  const issues = validateDefaults(clean);
  if (issues.length) return { error: issues.map((i) => `${i.field} ${i.reason}`).join('; ') };
  return { value: clean as EvseDataDefaults };
}

function laneStatus(s: QueueStatus, held: number, t: Translate): Status {
  const counts = { sent: fmt(s.sent), queued: fmt(s.queued), held: fmt(held) };
  const tail = ` · ${t('status.counts', counts)}`;
  if (s.state === 'config-error') return { fill: 'red', shape: 'ring', text: s.lastReason ?? t('status.configError'), tail };
  if (s.state === 'retrying') {
    const secs = Math.max(1, Math.round((s.retryInMs ?? 0) / 1000));
    return { fill: 'yellow', shape: 'ring', text: t('status.retrying', { secs, code: s.lastCode ?? 'error' }), tail };
  }
  if (s.state === 'stopped') return { fill: 'grey', shape: 'ring', text: t('status.stopped'), tail };
  if (s.lastClass === 'data') return { fill: 'yellow', shape: 'dot', text: t('status.rejected', { code: s.lastCode ?? '' }).trim(), tail };
  if (!s.lastCode)
    return { fill: 'grey', shape: s.state === 'sending' ? 'ring' : 'dot', text: t(s.state === 'sending' ? 'status.sending' : 'status.ready'), tail };
  return { fill: 'green', shape: s.state === 'sending' ? 'ring' : 'dot', text: s.lastCode, tail };
}

function idsOf(payload: unknown): unknown[] {
  if (Array.isArray(payload)) return payload.map((x) => (x && typeof x === 'object' && 'EvseID' in x ? (x as { EvseID: unknown }).EvseID : x));
  if (payload && typeof payload === 'object' && 'EvseID' in payload) return [(payload as { EvseID: unknown }).EvseID];
  return [payload];
}

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function PushEvseDataNode(this: Node, def: DataDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    const action: DataAction = (DATA_ACTIONS as readonly string[]).includes(def.action ?? '') ? (def.action as DataAction) : 'auto';
    const time = def.time === undefined ? DEFAULT_TIME : String(def.time).trim();
    const minRatio = editorNumber(def.minRatio, LIMITS.minRatio);
    const defaults = parseDefaults(def.defaults);
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
    const queue = setupError || !hubject ? null : hubject.dataQueue();

    // ---- status ----
    let heldBack: string | undefined;
    const held: { store?: EvseDataStore } = {};
    const view = new StatusView(node, {
      base: () => {
        if (setupError || !queue || !hubject) return { fill: 'red', shape: 'ring', text: setupError ?? t('errors.noQueue') };
        const blocked = hubject.blocked();
        if (blocked) return { fill: 'red', shape: 'ring', text: blocked, tail: ` · ${t('status.queued', { queued: fmt(queue.queued) })}` };
        if (heldBack) return { fill: 'yellow', shape: 'ring', text: t('status.heldBack', { reason: heldBack }) };
        return laneStatus(queue.status(), held.store?.size ?? 0, t);
      },
      ticking: () => queue?.status().state === 'retrying',
    });
    view.show();
    if (setupError || !queue || !hubject || !hubject.operatorId || !hubject.operatorName) {
      if (setupError) node.error(setupError);
      refuseInputs(node, view, setupError ?? t('errors.noQueue'));
      return;
    }

    // ---- build: the store of acknowledged records, the lane, the schedule ----
    const q = queue;
    const hub = hubject;
    const operatorId = hubject.operatorId;
    const operatorName = hubject.operatorName;
    const st = new EvseDataStore({
      dir: storeDir(RED.settings?.userDir, node.id),
      onError: (err) => node.warn(t('log.storeError', { error: err.message })),
    });
    held.store = st;
    if (!attached.has(q)) attached.set(q, new Set());
    attached.get(q)!.add(node.id);
    const first = () => attached.get(q)?.values().next().value === node.id;
    const speaksFor = (ids: string[]) => ids.includes(node.id) || (ids.length === 0 && first());
    const unregister = hub.gate?.registerDataSource(node.id, {
      isAcknowledged: (evseId) => st.isAcknowledged(evseId),
      acknowledgedId: (evseId) => st.acknowledgedId(evseId), // refusal hook: statuses go in the acknowledged spelling
    });
    const spelling = new WireSpelling(); // refusal hook: one spelling per EVSE
    let scheduler: Scheduler | undefined;

    // Validation rejections of a message, reported with the first acknowledgement of one of its records.
    const rejectedFor = new Map<string, { list: RejectedOut[]; told: boolean }>();

    // ---- wire the lane's events ----
    const onResult = (ev: BatchResultEvent) => {
      if (ev.result.class !== 'success' || !speaksFor(ev.nodeIds)) return;
      const items = asItems(ev.records);
      const ids = items.map((i) => i.EvseID);
      st.acknowledgeTexts(
        ev.action,
        ids,
        items.map((i) => i.text),
      );
      if (ev.action !== 'delete') hub.gate?.dataAcknowledged(ids);
      const rejected: RejectedOut[] = [];
      for (const id of ids) {
        const holder = rejectedFor.get(evseKey(id));
        if (!holder) continue;
        rejectedFor.delete(evseKey(id));
        if (!holder.told) {
          holder.told = true;
          rejected.push(...holder.list);
        }
      }
      const r = ev.result;
      node.send({
        topic: ev.action,
        payload: r.ack ?? null,
        oicp: {
          operation: 'data',
          action: ev.action,
          records: ev.records.length,
          EvseIDs: ids.length <= MAX_LISTED_IDS ? ids : undefined,
          httpStatus: r.httpStatus,
          statusCode: r.statusCode?.Code,
          description: r.statusCode?.Description ?? undefined,
          additionalInfo: r.statusCode?.AdditionalInfo ?? undefined,
          processId: r.processId,
          attempts: ev.attempts,
          queuedAs: ev.queuedAs, // refusal hook: the action before a 022 fallback
          durationMs: r.durationMs,
          rejected,
        },
      });
      view.refresh();
    };
    const onRejected = (ev: { failure: RecordFailure; nodeIds: string[] }) => {
      if (!speaksFor(ev.nodeIds)) return;
      rejectedFor.delete(evseKey(ev.failure.EvseID));
      hub.gate?.dataRejected([ev.failure]); // refusal hook: a 022 insert (failure.exists) releases, not fails
    };
    const onConfigError = (ev: { result: { reason: string } }) => {
      if (first()) node.warn(t('kit.log.hubject', { text: ev.result.reason }));
    };
    const onWarn = (text: string) => {
      if (first()) node.warn(text);
    };
    const onStatus = () => view.show();
    // refusal hook: records refused with no input message waiting go to a Catch node as node.error(err, msg).
    const onDeadLetter = (ev: DeadLetterEvent) => {
      if (!speaksFor(ev.nodeIds)) return;
      const report = refusalReport(ev, (list) => rejectedText(list, t('errors.deadLetter')));
      view.flash(report.error.message);
      node.error(report.error, report.msg);
    };
    const events = { status: onStatus, result: onResult, rejected: onRejected, 'config-error': onConfigError, warn: onWarn, 'dead-letter': onDeadLetter };
    for (const [name, fn] of Object.entries(events)) q.on(name, fn as (...args: unknown[]) => void);
    const offChange = hub.onChange(() => view.show());

    // Inputs wait for the restore, in order.
    let chain: Promise<unknown> = st.restore().then(
      (report) => {
        for (const w of report.warnings) node.warn(w);
        if (time) {
          // A node that never had data acknowledged has nothing to synchronise: its schedule waits quietly.
          const run = () => (st.size > 0 || st.meta.lastFullLoadCount ? storedFullLoad(false, null) : undefined);
          scheduler = new Scheduler({ schedule: time, run, onError: (err) => node.error(err.message) });
          scheduler.start();
        }
        view.show();
      },
      (err: unknown) => node.error(t('log.storeError', { error: (err as Error).message })),
    );

    // EVSEs whose insert or fullLoad is pending in the lane (restored ones too): auto sends their next change as update.
    const afterPendingInserts = (requests: DataRequest[]): DataRequest[] => {
      const ins = requests.find((r) => r.ActionType === 'insert');
      if (!ins) return requests;
      const inserting = q.pendingKeys(['insert', 'fullLoad']); // refusal hook: the queue knows what is pending
      if (!inserting.size) return requests;
      const keep: number[] = [];
      const move: number[] = [];
      ins.EvseIDs.forEach((x, i) => (inserting.has(evseKey(x)) ? move : keep).push(i));
      if (!move.length) return requests;
      const pick = (r: DataRequest, idx: number[]) => ({
        ...r,
        EvseIDs: idx.map((i) => r.EvseIDs[i]!),
        texts: idx.map((i) => r.texts[i]!),
        positions: idx.map((i) => r.positions[i]!),
      });
      const upd = requests.find((r) => r.ActionType === 'update');
      const moved = pick(ins, move);
      const update: DataRequest = upd
        ? { ...upd, EvseIDs: [...upd.EvseIDs, ...moved.EvseIDs], texts: [...upd.texts, ...moved.texts], positions: [...upd.positions, ...moved.positions] }
        : { ...moved, ActionType: 'update' };
      return [...(keep.length ? [pick(ins, keep)] : []), update];
    };

    /** Queues the plan's requests under one owner; done once every record is acknowledged or rejected for good. */
    const enqueue = (requests: DataRequest[], rejected: RejectedRecord[], done: Done | null, input: DataMsg | null = null) => {
      // refusal hook: every rejected record in the text and on error.cause.rejected (a Catch node sees cause), with its CSV row.
      const listed = listRejected(rejected, input ?? {});
      const validation = listed.records.map((r) => ({ index: r.index, row: r.row, EvseID: r.EvseID, field: r.field, reason: r.reason }));
      const validationError = rejected.length ? new Error(t('errors.rejected', { count: rejected.length, first: listed.text })) : undefined;
      if (validationError) Object.assign(validationError, { rejected: validation, cause: { rejected: validation } });
      const total = requests.reduce((n, r) => n + r.EvseIDs.length, 0);
      if (validation.length && total) {
        const holder = { list: validation, told: false };
        for (const r of requests) for (const id of r.EvseIDs) rejectedFor.set(evseKey(id), holder);
      }
      if (!total) {
        if (validationError) {
          if (done) failInput(view, done, validationError);
        } else done?.();
        return;
      }
      const owner: Owner = {
        nodeId: node.id,
        pending: 0,
        failures: [],
        noInput: !done, // refusal hook: a scheduled push's refusals are dead letters
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
        q.enqueue(r.ActionType, asQueued(itemsOf(r)), owner);
      }
      if (hub.blocked()) view.show();
    };

    const storedFullLoad = (force: boolean, done: Done | null) => {
      const plan = planStoredFullLoad({ operatorId, operatorName, store: st, force, minRatio });
      if (plan.heldBack) {
        heldBack = plan.heldBack.reason;
        node.warn(t('log.heldBack', { reason: plan.heldBack.reason }));
        view.show();
        done?.();
        return;
      }
      // EVSEs marked known have no record here: a fullLoad without them would delete them at Hubject.
      const knownOnly = st.size - plan.request!.EvseIDs.length;
      if (knownOnly > 0 && !force) {
        heldBack = t('errors.knownOnly', { count: knownOnly });
        node.warn(t('log.heldBack', { reason: heldBack }));
        view.show();
        done?.();
        return;
      }
      heldBack = undefined;
      enqueue([plan.request!], [], done);
    };

    const handle = async (msg: DataMsg, done: Done) => {
      const force = msg.force === true;
      if (msg.topic === 'known') {
        const ids = idsOf(msg.payload);
        const { marked, invalid } = st.markKnown(ids as string[]);
        if (marked.length) hub.gate?.dataAcknowledged(marked);
        if (invalid.length) return failInput(view, done, new Error(t('errors.known', { ids: invalid.slice(0, 5).join(', ') })));
        view.show();
        return done();
      }
      if (msg.topic === 'fullLoad' || msg.payload === 'fullLoad') return storedFullLoad(force, done);
      const input = parseDataInput(msg.payload);
      if (input.kind === 'fullLoadTrigger') return storedFullLoad(force, done);
      if (input.kind === 'error') return failInput(view, done, new Error(input.error));
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
      });
      for (const w of plan.warnings) node.warn(w);
      if (plan.heldBack) {
        heldBack = plan.heldBack.reason;
        node.warn(t('log.heldBack', { reason: plan.heldBack.reason }));
        view.show();
        if (plan.rejected.length) return enqueue([], plan.rejected, done, msg);
        return done();
      }
      if (wanted === 'fullLoad') heldBack = undefined;
      for (const w of respellRequests(plan.requests, (id) => st.acknowledgedId(id), spelling)) node.warn(w); // refusal hook
      enqueue(wanted === 'auto' ? afterPendingInserts(plan.requests) : plan.requests, plan.rejected, done, msg);
    };

    node.on('input', (msg: DataMsg, _send: unknown, done: Done) => {
      chain = chain.then(() => handle(msg, done)).catch((err: unknown) => failInput(view, done, err));
    });

    node.on('close', (done: () => void) => {
      scheduler?.stop();
      unregister?.();
      for (const [name, fn] of Object.entries(events)) q.off(name, fn as (...args: unknown[]) => void);
      offChange();
      q.detach(node.id);
      attached.get(q)?.delete(node.id);
      view.close();
      // Acknowledged records are written within 250 ms anyway; close flushes them now.
      st.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType(TYPE, PushEvseDataNode, { settings: NODE_SETTINGS[TYPE] });
};

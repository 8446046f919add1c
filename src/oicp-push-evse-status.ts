import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { SLICE_RECORDS, parsePushInputSliced, pushEnvelope, validateRecords } from './push/input';
import { isActionType, type ActionType, type EvseStatusRecord } from './oicp/schemas';
import type { Owner, QueueStatus, RecordFailure, RecoveredEvent } from './push/queue';
import { watchState, withStateProblem, type StateMatch } from './node-red/state';
import { outboxPath } from './push/registry';
import { gatePath } from './status/registry';
import { GateAdmission } from './status/admission';
import { InputOrder, RetryNotice } from './push/retry-notice';
import {
  LaneBinding,
  ackOutput,
  laneStatus,
  LIMITS,
  NUMBER_VALIDATOR_SOURCE,
  exported,
  limits,
  StatusView,
  failInput,
  refuseInputs,
  linkedHubject,
  linkProblem,
  truncate,
  optionalEditorBoolean,
  optionalEditorNumber,
  translator,
  type Done,
  type Status,
  type Translate,
} from './node-red';

const TYPE = 'oicp-push-evse-status';

interface PushDef extends NodeDef {
  hubject?: string;
  action?: string;
  /** Older flows carry these here; the config node's values win (they belong to the operator's queue). */
  maxRecords?: string | number;
  insertMissing?: boolean | string;
}

const MAX_LISTED_IDS = 1000;

// Consecutive transient failures before their reason is logged, and before a recovery is: a single blip stays quiet.
const RETRY_WARN_AFTER = 3;

const fmt = (n: number) => n.toLocaleString('en-US');

/** What a push node shows for its operator's queue, e.g. "000 · 1,204 sent · 0 queued". */
function queueStatus(s: QueueStatus, t: Translate): Status {
  const counts = { sent: fmt(s.sent), queued: fmt(s.queued) };
  return laneStatus(s, t, { short: t('status.queued', counts), full: t('status.sentQueued', counts) });
}

/** The dialog's node settings (RED.settings.<name>): its number limits and the runtime's number check. */
const SETTINGS = {
  oicpPushEvseStatusLimits: exported(limits('maxRecords')),
  oicpPushEvseStatusNumberValidator: exported(NUMBER_VALIDATOR_SOURCE),
};

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function PushEvseStatusNode(this: Node, def: PushDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    const action: ActionType = isActionType(def.action) ? def.action : 'update';
    const link = linkedHubject(RED, def.hubject);
    const hubject = link.hubject;
    const queue = hubject?.lane('status') ?? null;
    const setupError: string | undefined = linkProblem(link, t) ?? (!queue ? t('errors.noQueue') : undefined);

    // ---- status ----
    // This operator's status outbox and gate files (by path: another runtime's or test's files are not this node's).
    const userDir: string | undefined = RED.settings?.userDir;
    const ownFiles =
      userDir && hubject?.operatorId ? [gatePath(userDir, hubject.operatorId, hubject.baseUrl), outboxPath(userDir, hubject.operatorId, hubject.baseUrl)] : [];
    const ownState: StateMatch = (p) => ownFiles.includes(p.file);
    const view = new StatusView(node, {
      base: () => {
        if (setupError || !queue || !hubject) return { fill: 'red', shape: 'ring', text: setupError ?? t('errors.noQueue') };
        const s = queue.status();
        const blocked = hubject.blocked();
        if (blocked) return { fill: 'red', shape: 'ring', text: blocked, tail: ` · ${t('status.queued', { queued: fmt(s.queued) })}` };
        const st = queueStatus(s, t);
        const held = hubject.gate?.heldCount ?? 0;
        if (held) st.tail = `${st.tail ?? ''} · ${t('status.held', { held: fmt(held) })}`;
        if (hubject.caution && (st.fill === 'green' || st.fill === 'grey')) return { ...st, fill: 'yellow', tail: `${st.tail ?? ''} · ${hubject.caution}` };
        // A state file of this operator's status lane or gate is damaged or cannot be written (a red status stays).
        return withStateProblem(st, t, ownState);
      },
      // The retry countdown counts down every second, not only when the queue reports.
      ticking: () => queue?.status().state === 'retrying',
    });
    view.show();
    if (setupError || !queue || !hubject) {
      refuseInputs(node, view, setupError ?? '');
      return;
    }

    // ---- build: the operator's queue takes this node's bundle settings only when the config node has none ----
    const q = queue;
    const hub = hubject;
    const ownMax = optionalEditorNumber(def.maxRecords, LIMITS.maxRecords);
    const ownInsert = optionalEditorBoolean(def.insertMissing);
    q.configure({
      maxRecords: hub.maxRecords ?? ownMax ?? LIMITS.maxRecords.default,
      insertMissing: hub.insertMissing ?? ownInsert ?? true,
    });

    // ---- the status gate: statuses for EVSEs without acknowledged data wait in it ----
    const gating = new GateAdmission(() => hub.gate, LIMITS.minRatio.default, {
      leftOut: (left, total) => node.warn(t('log.fullLoadLeftOut', { left: fmt(left), total: fmt(total) })),
      shrunk: (pass, total, ratio) => node.warn(t('log.fullLoadShrunk', { pass: fmt(pass), total: fmt(total), ratio })),
    });

    // ---- wire the lane's events (status, warnings, dead letters: the kit's binding) ----
    const notice = new RetryNotice(RETRY_WARN_AFTER);
    const lane: LaneBinding<EvseStatusRecord> = new LaneBinding(node, q, view, t, {
      configErrorOnce: true,
      on: {
        recovered: (ev: RecoveredEvent) => {
          if (lane.first()) node.log(t('log.recovered', { secs: Math.round(ev.afterMs / 1000), delivered: fmt(ev.delivered) }));
        },
        result: (ev) => {
          if (ev.result.class !== 'transient') notice.answered();
          // Rejections reach the input messages through done(err); the output carries acknowledgements.
          if (ev.result.class !== 'success' || !lane.speaksFor(ev.nodeIds)) return;
          const heldForData = ev.action === 'fullLoad' ? gating.leftOut(ev.records.length) : undefined;
          const ids = () => ev.records.map((x) => x.EvseID);
          node.send(ackOutput(ev, ids, MAX_LISTED_IDS, heldForData !== undefined ? { heldForData } : {}));
        },
        // The status only names the code ("retrying in 8 s (UND_ERR_SOCKET)"); once a transient fault persists, its
        // readable reason goes to the log, once per distinct reason until a request succeeds again.
        retry: (ev) => {
          if (notice.retry(ev.result.reason, lane.first())) node.warn(t('log.retrying', { text: ev.result.reason }));
        },
      },
    });
    const onWarn = (text: string) => {
      if (lane.first()) node.warn(text);
    };
    const offChange = hub.onChange(() => view.show());
    const offState = watchState(node, t, ownState, () => view.refresh());
    const gate = hub.gate;
    const onGateChange = () => view.refresh();
    gate?.on('change', onGateChange);
    gate?.on('warn', onWarn);
    for (const w of hub.warnings) node.status({ fill: 'yellow', shape: 'ring', text: truncate(w) });

    node.on('close', (done: () => void) => {
      offChange();
      offState();
      gate?.off('change', onGateChange);
      gate?.off('warn', onWarn);
      gate?.detach(node.id);
      lane.close();
      view.close();
      done();
    });

    const ownerFor = (done: Done): Owner => ({
      nodeId: node.id,
      pending: 0,
      failures: [] as RecordFailure[],
      settle: (err?: Error) => {
        if (err) view.flash(err.message);
        done(err);
      },
    });
    // Large inputs (a 100,000-EVSE fullLoad) are validated and queued in slices; this node's later messages wait
    // behind them so their order is kept.
    const order = new InputOrder();

    node.on('input', (msg: NodeMessageInFlow & { action?: unknown; force?: unknown; fullLoad?: { count?: number } }, _send: unknown, done: Done) => {
      try {
        // A full load node that emits an empty list has already passed its own guards (allowEmpty or force).
        const allowEmpty = msg.force === true || msg.fullLoad?.count === 0;
        const env = pushEnvelope(msg.payload, msg.action, action, hub.operatorIds, allowEmpty);
        if (!order.waiting && env.list.length <= SLICE_RECORDS) {
          const records: EvseStatusRecord[] = [];
          validateRecords(env, hub.operatorIds, 0, env.list.length, records);
          const owner = ownerFor(done);
          const pass = gating.admit(env.action, records, owner, msg.force === true);
          if (pass) q.enqueue(env.action, pass, owner);
          if (hub.blocked()) view.show();
          return;
        }
        order.later(async () => {
          try {
            const input = await parsePushInputSliced(msg.payload, msg.action, action, hub.operatorIds, allowEmpty);
            const owner = ownerFor(done);
            const pass = gating.admit(input.action, input.records, owner, msg.force === true);
            if (pass) await q.enqueueSliced(input.action, pass, owner, SLICE_RECORDS);
            if (hub.blocked()) view.show();
          } catch (err) {
            failInput(view, done, err);
          }
        });
      } catch (err) {
        failInput(view, done, err);
      }
    });
  }

  RED.nodes.registerType(TYPE, PushEvseStatusNode, { settings: SETTINGS });
};

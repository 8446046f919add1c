// Node-RED node 'oicp-push-cdr': the end of a charging session in (OCPP 1.6 StopTransaction, OCPP 2.0.1
// TransactionEvent Ended, or a complete OICP ChargeDetailRecord), eRoamingChargeDetailRecord out to Hubject on the
// operator's CDR lane. A thin adapter: the record comes from ./sessions, the lane and its exactly-once marks from the
// config node. done() once the CDR is durable in the outbox; the output is Hubject's acknowledgement, later.

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { checkZone, SessionInputError, type CdrResult, type ChargerZone } from './sessions';
import { cdrOfInput, resendId } from './sessions/cdr-input';
import { PRODUCT_ID_MAX } from './sessions/authorize';
import { CDR_ACTION, type CdrCallResult, type CdrItem } from './sessions/cdr-lane';
import { recordCdr } from './sessions/cdr-stats';
import type { Owner, PushQueue } from './push/queue';
import {
  LaneBinding,
  answerFields,
  StatusView,
  exported,
  failInput,
  formatCount as fmt,
  laneStatus,
  linkedHubject,
  refuseInputs,
  translator,
  type Done,
  type HubjectConfig,
  type Status,
} from './node-red';

const TYPE = 'oicp-push-cdr';
// The editor's checks of the dialog, from the runtime's own rules.
const SETTINGS = {
  oicpPushCdrRules: exported({ partnerProductIdMax: PRODUCT_ID_MAX, utcOffset: '^[+-]\\d{2}:?\\d{2}$' }),
};

interface CdrDef extends NodeDef {
  hubject?: string;
  timeZone?: string;
  utcOffset?: string;
  partnerProductId?: string;
}

type Obj = Record<string, unknown>;

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function OicpPushCdrNode(this: Node, def: CdrDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config ----
    const zone: ChargerZone = {};
    if (def.timeZone) zone.timeZone = def.timeZone.trim();
    if (def.utcOffset) zone.utcOffset = def.utcOffset.trim();
    let setupError: string | undefined;
    let hubject: HubjectConfig | undefined;
    try {
      const link = linkedHubject(RED, def.hubject);
      if (!link.hubject) throw new Error(t(link.problem === 'none' ? 'errors.noHubject' : 'kit.errors.configMissing'));
      if (link.hubject.configError) throw new Error(t('kit.errors.config', { error: link.hubject.configError }));
      if (!link.hubject.operatorId) throw new Error(t('kit.errors.noOperator'));
      checkZone(zone, 'timeZone');
      hubject = link.hubject;
    } catch (e) {
      setupError = t('errors.config', { error: (e as Error).message });
    }
    const queue: PushQueue<CdrItem> | null = hubject ? hubject.lane('chargeDetailRecord') : null;

    // ---- status: the lane's state, pending CDRs and dead letters ----
    const view = new StatusView(node, {
      base: (): Status => {
        if (setupError || !queue || !hubject) return { fill: 'red', shape: 'dot', text: setupError ?? t('errors.noLane') };
        const s = queue.status();
        const dead = queue.deadLetters?.count ?? 0;
        const tail = t('status.counts', { sent: fmt(s.sent), pending: fmt(s.queued) }) + (dead ? ` · ${t('status.dead', { dead: fmt(dead) })}` : '');
        const blocked = hubject.blocked();
        if (blocked) return { fill: 'red', shape: 'ring', text: blocked, tail: ` · ${tail}` };
        return laneStatus(s, t, { short: tail, full: tail, ready: tail });
      },
      ticking: () => queue?.status().state === 'retrying',
    });
    view.show();
    if (setupError || !queue || !hubject) {
      node.error(setupError ?? t('errors.noLane'));
      refuseInputs(node, view, setupError ?? t('errors.noLane'));
      return;
    }
    const q = queue;
    const h = hubject;
    const operatorId = h.operatorId!;
    const marks = h.cdrMarks()!;

    // ---- the lane's events: an output per acknowledged CDR, node.error per dead letter ----
    const lane: LaneBinding<CdrItem> = new LaneBinding(node, q, view, t, {
      on: {
        result: (ev) => {
          if (ev.result.class !== 'success' || !lane.speaksFor(ev.nodeIds)) return;
          const r = ev.result as CdrCallResult;
          for (const item of ev.records) {
            recordCdr(operatorId, r.reconcile ? 'reconciled' : 'acknowledged');
            node.send({
              topic: 'chargeDetailRecord',
              payload: item.record,
              oicp: {
                operation: 'chargeDetailRecord',
                SessionID: item.SessionID,
                ...answerFields(ev),
                // From input to Hubject's answer (spec 02 best practice: about 1 s, at most 10 s).
                latencyMs: Date.now() - item.at,
                reconcile: r.reconcile === true,
              },
            });
          }
          view.refresh();
        },
        'dead-letter': (ev) => {
          if (!lane.speaksFor(ev.nodeIds)) return;
          const letters = q.deadLetters?.list() ?? [];
          for (const f of ev.failures) {
            recordCdr(operatorId, 'deadLetter');
            const letter = letters.find((l) => l.key === f.id);
            const err = Object.assign(new Error(t('errors.deadLetter', { SessionID: f.id, reason: f.reason })), {
              code: f.code,
              cause: { rejected: [{ SessionID: f.id, reason: f.reason, code: f.code, httpStatus: f.httpStatus }] },
            });
            view.flash(err.message);
            node.error(err, {
              topic: 'chargeDetailRecord',
              payload: letter?.record.record ?? { SessionID: f.id },
              oicp: { operation: 'chargeDetailRecord', SessionID: f.id, reason: f.reason, code: f.code, httpStatus: f.httpStatus, deadLetter: true },
            } as never);
          }
        },
      },
    });
    const offChange = h.onChange(() => view.show());

    /** The EVSE's data says CalibrationLawDataAvailability External: signed values are required (spec 03). */
    async function signedRequired(evseId: unknown): Promise<boolean> {
      if (typeof evseId !== 'string') return false;
      const data = h.evseData();
      if (!data) return false;
      await data.ready.catch(() => undefined);
      return data.store.get(evseId)?.CalibrationLawDataAvailability === 'External';
    }

    const build = (msg: Obj): Promise<CdrResult> =>
      cdrOfInput(msg, { zone, partnerProductId: def.partnerProductId, sessions: () => h.sessions(), configError: h.configError, signedRequired }, t);

    function fail(done: Done, e: unknown): void {
      if (e instanceof SessionInputError) recordCdr(operatorId, 'invalid');
      const err = e instanceof SessionInputError ? Object.assign(new Error(t('errors.build', { field: e.field, error: e.message })), { field: e.field }) : e;
      failInput(view, done, err);
    }

    // ---- wire ----
    node.on('input', function (msg: NodeMessageInFlow, _send: unknown, done: Done) {
      const m = msg as unknown as Obj;
      if (m.topic === 'resend') {
        const id = resendId(m);
        if (!id) return fail(done, new Error(t('errors.resendId')));
        if (marks.refusal(id) === 'acked') return fail(done, new Error(t('errors.acked', { SessionID: id })));
        const n = q.sendDeadLettersAgain([id]);
        if (!n) return fail(done, new Error(t('errors.noDeadLetter', { SessionID: id })));
        marks.queued(id);
        Promise.all([marks.flush(), q.flush()]).then(
          () => done(),
          (e: unknown) => fail(done, e),
        );
        view.refresh();
        return;
      }
      const at = Date.now();
      build(m)
        .then(async (res) => {
          const id = res.record.SessionID;
          const refused = marks.refusal(id);
          if (refused) {
            recordCdr(operatorId, 'duplicate');
            throw new Error(t(refused === 'acked' ? 'errors.acked' : 'errors.pending', { SessionID: id }));
          }
          // Check, mark and queue in one turn: a second CDR for the SessionID arriving meanwhile is refused.
          marks.queued(id);
          const owner: Owner = { nodeId: node.id, pending: 0, failures: [], settle: null, noInput: true };
          q.enqueue(CDR_ACTION, [{ SessionID: id, record: res.record, at }], owner);
          view.refresh();
          await Promise.all([marks.flush(), q.flush()]);
          for (const w of res.warnings) node.warn(w);
          done();
        })
        .catch((e: unknown) => fail(done, e));
    });

    node.on('close', function (_removed: boolean, done: () => void) {
      offChange();
      lane.close();
      view.close();
      done();
    });
  }

  RED.nodes.registerType(TYPE, OicpPushCdrNode, { settings: SETTINGS });
};

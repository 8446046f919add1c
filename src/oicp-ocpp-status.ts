// Node-RED node 'oicp-ocpp-status': OCPP status messages in, OICP EvseStatusRecords out.
// A thin adapter: all mapping lives in ./ocpp (plain TypeScript, tested on its own).

import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { DEFAULT_MAPPING, StatusMapper } from './ocpp/mapper';
import { TEMPLATE_PLACEHOLDERS } from './ocpp/template';
import { idRules } from './oicp/ids';
import { EVSE_STATUSES } from './oicp/schemas';
import type { MapperOptions, OutputRecord } from './ocpp/types';
import { StatusView, exported, editorBoolean, failInput, linkedHubject, translator, type Done, type Status } from './node-red';

const TYPE = 'oicp-ocpp-status';

/** The dialog's node settings (RED.settings.<name>): the id rules, the default mapping and the template's placeholders. */
const SETTINGS = {
  oicpOcppStatusIdRules: exported(idRules()),
  oicpOcppStatusDefaultMapping: exported({ ...DEFAULT_MAPPING } as Record<string, string>),
  oicpOcppStatusEvseStatuses: exported([...EVSE_STATUSES] as string[]),
  oicpOcppStatusTemplatePlaceholders: exported([...TEMPLATE_PLACEHOLDERS] as string[]),
};

interface MapperDef extends NodeDef {
  hubject?: string;
  evseIdTemplate?: unknown;
  lookup?: unknown;
  mapping?: unknown;
  unknownStatus?: MapperOptions['unknownStatus'];
  connector0?: MapperOptions['connector0'];
  offline?: MapperOptions['offline'];
  onlyChanges?: boolean | string;
  otherOutput?: boolean | string;
}

/** Editor values may arrive as objects (normal) or as JSON strings (hand-edited flows). */
function jsonish(value: unknown, what: string): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

function optionsFrom(def: MapperDef, operatorIds: readonly string[] | undefined): MapperOptions {
  const mapping = jsonish(def.mapping, 'mapping') as MapperOptions['mapping'];
  const lookup = jsonish(def.lookup, 'lookup') as MapperOptions['lookup'];
  return {
    evseIdTemplate: typeof def.evseIdTemplate === 'string' ? def.evseIdTemplate : undefined,
    lookup: lookup ?? undefined,
    mapping: mapping ?? undefined,
    unknownStatus: def.unknownStatus || 'error',
    connector0: def.connector0 || 'ignore',
    offline: def.offline || 'ignore',
    onlyChanges: editorBoolean(def.onlyChanges, true),
    operatorId: operatorIds,
  };
}

function apply(msg: NodeMessage, r: OutputRecord): void {
  msg.payload = r.payload;
  msg.topic = r.payload.EvseID;
  msg.ocppStatus = r.ocppStatus;
}

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function OicpOcppStatusNode(this: Node, def: MapperDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    // ---- parse the config and build the core ----
    const twoOutputs = editorBoolean(def.otherOutput, false);
    let mapper: StatusMapper | undefined;
    let configError: string | undefined;
    // The mapper works without a sendable Hubject config, but the node says that nothing will reach Hubject.
    let hubjectError: string | undefined;
    try {
      let operatorIds: readonly string[] | undefined;
      if (def.hubject) {
        const link = linkedHubject(RED, def.hubject);
        if (link.hubject?.configError) hubjectError = t('kit.errors.config', { error: link.hubject.configError });
        if (!link.hubject) throw new Error(t('kit.errors.configMissing'));
        if (!link.hubject.operatorIds.length) throw new Error(t('kit.errors.noOperator'));
        operatorIds = link.hubject.operatorIds;
      }
      mapper = new StatusMapper(optionsFrom(def, operatorIds));
    } catch (e) {
      configError = t('errors.config', { error: (e as Error).message });
    }

    // ---- status: the last EVSE and the EVSE count, throttled ----
    let label = '';
    const view = new StatusView(node, {
      base: (): Status => {
        if (configError !== undefined || !mapper) return { fill: 'red', shape: 'dot', text: t('status.configError') };
        if (hubjectError) return { fill: 'red', shape: 'ring', text: hubjectError };
        if (!label) return { fill: 'grey', shape: 'ring', text: t('status.none') };
        const n = mapper.evseCount;
        return { fill: 'green', shape: 'dot', text: label, tail: ` \u00b7 ${t(n === 1 ? 'status.evse' : 'status.evses', { count: n })}` };
      },
    });
    view.show();
    if (configError !== undefined) node.error(configError);

    // ---- wire ----
    node.on('input', function (msg: NodeMessageInFlow, send: (m: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void, done: Done) {
      try {
        if (mapper === undefined) {
          done(new Error(configError));
          return;
        }
        const r = mapper.process(msg);
        switch (r.kind) {
          case 'records': {
            const records = r.records;
            const n = records.length;
            if (r.warnings !== undefined) for (const w of r.warnings) node.warn(w);
            if (n === 1) {
              apply(msg, records[0]!);
              send(twoOutputs ? [msg, null] : msg);
            } else if (n > 1) {
              const out: NodeMessage[] = new Array(n);
              // Clone from the untouched input first, then reuse the input itself for the last record.
              for (let i = 0; i < n - 1; i++) {
                const m = RED.util.cloneMessage(msg);
                apply(m, records[i]!);
                out[i] = m;
              }
              apply(msg, records[n - 1]!);
              out[n - 1] = msg;
              send(twoOutputs ? [out, null] : [out]);
            }
            label = r.label;
            view.refresh();
            done();
            return;
          }
          case 'other':
          case 'ignored':
            // Traffic this node does not use (other OCPP commands; connection events and connector 0 when their
            // option is 'ignore') is not an error. It goes to the second output when that is on.
            if (twoOutputs) send([null, msg]);
            done();
            return;
          case 'error':
            failInput(view, done, new Error(r.error));
            return;
          default:
            done();
        }
      } catch (e) {
        failInput(view, done, e);
      }
    });

    node.on('close', function (_removed: boolean, done: () => void) {
      view.close();
      mapper?.clear();
      done();
    });
  }

  RED.nodes.registerType(TYPE, OicpOcppStatusNode, { settings: SETTINGS });
};

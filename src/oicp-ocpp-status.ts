// Node-RED node 'oicp-ocpp-status': OCPP status messages in, OICP EvseStatusRecords out.
// A thin adapter: all mapping lives in ./ocpp (plain TypeScript, tested on its own).

import { StatusMapper } from './ocpp/mapper';
import type { MapperOptions, OutputRecord } from './ocpp/types';

const ERROR_STATUS_MS = 3000;
const STATUS_MIN_INTERVAL_MS = 250;

function shortText(text: string): string {
  return text.length > 48 ? text.slice(0, 47) + '\u2026' : text;
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

function optionsFrom(config: any, operatorId: string | undefined): MapperOptions {
  const mapping = jsonish(config.mapping, 'mapping') as MapperOptions['mapping'];
  const lookup = jsonish(config.lookup, 'lookup') as MapperOptions['lookup'];
  return {
    evseIdTemplate: typeof config.evseIdTemplate === 'string' ? config.evseIdTemplate : undefined,
    lookup: lookup ?? undefined,
    mapping: mapping ?? undefined,
    unknownStatus: config.unknownStatus || 'error',
    connector0: config.connector0 || 'ignore',
    offline: config.offline || 'ignore',
    onlyChanges: !(config.onlyChanges === false || config.onlyChanges === 'false'),
    operatorId,
  };
}

function apply(msg: any, r: OutputRecord): void {
  msg.payload = r.payload;
  msg.topic = r.payload.EvseID;
  msg.ocppStatus = r.ocppStatus;
}

export = function (RED: any) {
  function OicpOcppStatusNode(this: any, config: any) {
    RED.nodes.createNode(this, config);
    const node = this;
    const twoOutputs = config.otherOutput === true || config.otherOutput === 'true';

    let mapper: StatusMapper | undefined;
    let configError: string | undefined;
    try {
      let operatorId: string | undefined;
      if (config.hubject) {
        const hub = RED.nodes.getNode(config.hubject);
        if (!hub) throw new Error('the linked Hubject config node was not found');
        if (typeof hub.operatorId !== 'string' || hub.operatorId === '') {
          throw new Error('the linked Hubject config node has no valid OperatorID');
        }
        operatorId = hub.operatorId;
      }
      mapper = new StatusMapper(optionsFrom(config, operatorId));
    } catch (e) {
      configError = `configuration error: ${(e as Error).message}`;
    }

    // Status: green dot with the last EVSE and the EVSE count, updated at most every 250 ms;
    // red ring for ~3 s after a bad message, then back.
    let normal: { fill: string; shape: string; text: string } = { fill: 'grey', shape: 'ring', text: 'no EVSEs yet' };
    let label = '';
    let labelDirty = false;
    let lastShown = 0;
    let statusTimer: ReturnType<typeof setTimeout> | undefined;
    let errorTimer: ReturnType<typeof setTimeout> | undefined;

    const flush = (): void => {
      if (labelDirty && mapper !== undefined) {
        labelDirty = false;
        const n = mapper.evseCount;
        normal = { fill: 'green', shape: 'dot', text: shortText(`${label} \u00b7 ${n} EVSE${n === 1 ? '' : 's'}`) };
      }
      lastShown = Date.now();
      node.status(normal);
    };
    const showLabel = (text: string): void => {
      label = text;
      labelDirty = true;
      if (statusTimer !== undefined || errorTimer !== undefined) return;
      const wait = STATUS_MIN_INTERVAL_MS - (Date.now() - lastShown);
      if (wait <= 0) {
        flush();
      } else {
        statusTimer = setTimeout(() => {
          statusTimer = undefined;
          if (errorTimer === undefined) flush();
        }, wait);
      }
    };
    const showError = (text: string): void => {
      node.status({ fill: 'red', shape: 'ring', text: shortText(text) });
      if (errorTimer !== undefined) clearTimeout(errorTimer);
      errorTimer = setTimeout(() => {
        errorTimer = undefined;
        flush();
      }, ERROR_STATUS_MS);
    };

    if (configError !== undefined) {
      normal = { fill: 'red', shape: 'dot', text: 'configuration error' };
      node.status(normal);
      node.error(configError);
    } else {
      node.status(normal);
    }

    node.on('input', function (msg: any, send: any, done: any) {
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
              apply(msg, records[0]);
              send(twoOutputs ? [msg, null] : msg);
            } else if (n > 1) {
              const out: any[] = new Array(n);
              // Clone from the untouched input first, then reuse the input itself for the last record.
              for (let i = 0; i < n - 1; i++) {
                const m = RED.util.cloneMessage(msg);
                apply(m, records[i]);
                out[i] = m;
              }
              apply(msg, records[n - 1]);
              out[n - 1] = msg;
              send(twoOutputs ? [out, null] : [out]);
            }
            showLabel(r.label);
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
            showError(r.error);
            done(new Error(r.error));
            return;
          default:
            done();
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        try {
          showError(err.message);
        } catch {
          // status is best effort
        }
        done(err);
      }
    });

    node.on('close', function (_removed: boolean, done: () => void) {
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      if (errorTimer !== undefined) clearTimeout(errorTimer);
      statusTimer = undefined;
      errorTimer = undefined;
      mapper?.clear();
      done();
    });
  }

  RED.nodes.registerType('oicp-ocpp-status', OicpOcppStatusNode);
};

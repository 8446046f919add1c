// Node-RED node 'oicp-remote-response': answers the remote start/stop that oicp-remote-in emitted, like core's
// http response. msg.payload: {Result, Code} or the charger's OCPP answer ({status} or {data: {status}}).

import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AnswerError, REFUSAL_CODES, cpoEndpointOf } from './remote';
import { StatusView, exported, failInput, translator, type Done, type Status } from './node-red';

const TYPE = 'oicp-remote-response';
const SETTINGS = { oicpRemoteResponseCodes: exported(REFUSAL_CODES) };

interface RemoteResponseDef extends NodeDef {
  code?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function OicpRemoteResponseNode(this: Node, def: RemoteResponseDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const defaultCode = (REFUSAL_CODES as readonly string[]).includes(def.code ?? '') ? def.code : undefined;
    let last: Status = { fill: 'grey', shape: 'ring', text: t('status.none') };
    const view = new StatusView(node, { base: () => last });
    view.show();

    node.on('input', (msg: NodeMessageInFlow, _send: unknown, done: Done) => {
      const run = async () => {
        const m = msg as unknown as Obj;
        const handle = m.oicpRemote;
        if (!isObj(handle) || typeof handle.id !== 'string' || typeof handle.endpoint !== 'string') throw new Error(t('errors.noHandle'));
        const ep = cpoEndpointOf(RED.nodes.getNode(handle.endpoint) as Node | null)?.endpoint;
        if (!ep) throw new Error(t('errors.noEndpoint'));
        const code = m.code ?? defaultCode;
        const outcome = await ep.answer(handle.id, m.payload, code);
        if (outcome === 'late') {
          node.warn(t('warnings.late', { id: handle.id }));
          last = { fill: 'yellow', shape: 'ring', text: t('status.late') };
        } else {
          const ok =
            isObj(m.payload) &&
            (m.payload.Result === true || m.payload.status === 'Accepted' || (isObj(m.payload.data) && m.payload.data.status === 'Accepted'));
          last = ok ? { fill: 'green', shape: 'dot', text: t('status.accepted') } : { fill: 'blue', shape: 'ring', text: t('status.refused') };
        }
        view.refresh();
        done();
      };
      run().catch((e: unknown) => failInput(view, done, e instanceof AnswerError ? new Error(t('errors.answer', { error: e.message })) : e));
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      view.close();
      done();
    });
  }

  RED.nodes.registerType(TYPE, OicpRemoteResponseNode, { settings: SETTINGS });
};

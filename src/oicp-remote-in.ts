// Node-RED node 'oicp-remote-in': one message per remote start/stop Hubject sends to the CPO endpoint, like core's
// http in. msg.oicpRemote is the handle oicp-remote-response answers with.

import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { REMOTE_PATH, cpoEndpointOf, type RemoteCall } from './remote';
import { StatusView, exported, translator, type Status } from './node-red';

const TYPE = 'oicp-remote-in';
const SETTINGS = { oicpRemoteInPath: exported(REMOTE_PATH) };

interface RemoteInDef extends NodeDef {
  endpoint?: string;
}

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function OicpRemoteInNode(this: Node, def: RemoteInDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const ep = cpoEndpointOf(def.endpoint ? (RED.nodes.getNode(def.endpoint) as Node | null) : null);
    let last: Status | undefined;
    const view = new StatusView(node, {
      base: (): Status => {
        if (!ep) return { fill: 'red', shape: 'dot', text: t('status.noEndpoint') };
        const problem = ep.problem();
        if (problem) return { fill: 'red', shape: 'dot', text: problem };
        if (last) return last;
        return ep.listening
          ? { fill: 'green', shape: 'ring', text: t('status.listening', { url: ep.url }) }
          : { fill: 'grey', shape: 'ring', text: t('status.starting') };
      },
    });
    view.show();
    const off = ep?.onChange(() => view.refresh());
    const endpointNode = def.endpoint!;

    const detach = ep?.endpoint?.attach((call: RemoteCall) => {
      const msg: NodeMessage & Record<string, unknown> = {
        _msgid: RED.util.generateId(),
        topic: call.action,
        payload: call.request,
        evse: call.evse,
        oicpRemote: { id: call.id, endpoint: endpointNode, receivedAt: call.receivedAt },
      };
      if (call.ocpp) msg.ocpp = call.ocpp;
      if (call.session) msg.session = call.session;
      last = { fill: 'blue', shape: 'dot', text: t('status.request', { action: call.action, evse: call.request.EvseID }) };
      view.refresh();
      node.send(msg);
    });
    if (!ep) node.error(t('status.noEndpoint'));

    node.on('close', (_removed: boolean, done: () => void) => {
      // Requests still waiting for this flow are answered false now, never left hanging through a redeploy.
      detach?.();
      off?.();
      view.close();
      done();
    });
  }

  RED.nodes.registerType(TYPE, OicpRemoteInNode, { settings: SETTINGS });
};

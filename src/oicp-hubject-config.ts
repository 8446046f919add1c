import { parseOperatorId, OPERATOR_NAME_MAX_LENGTH } from './oicp/ids';
import { certOperatorId, clientCertificateProblem } from './oicp/certificate';
import { ENVIRONMENTS, HubjectClient, type Environment, type TlsOptions } from './oicp/client';
import { acquireQueue } from './push/registry';
import type { PushQueue } from './push/queue';

/* eslint-disable @typescript-eslint/no-explicit-any */
type RED = any;

interface ConfigDef {
  id: string;
  name?: string;
  environment?: string;
  url?: string;
  operatorId?: string;
  operatorName?: string;
  tls?: string;
  timeout?: string | number;
  rateLimit?: string | number;
  retryBase?: string | number;
  retryMax?: string | number;
}

function positive(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : parseFloat(String(v ?? ''));
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export = function (RED: RED) {
  function HubjectConfigNode(this: any, def: ConfigDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const env = (['qa', 'production', 'custom'].includes(def.environment ?? '') ? def.environment : 'qa') as Environment;
    node.environment = env;
    node.envLabel = env === 'production' ? 'PRODUCTION' : env === 'qa' ? 'QA' : 'CUSTOM';
    node.baseUrl = env === 'custom' ? String(def.url ?? '').trim() : ENVIRONMENTS[env];
    node.operatorName = typeof def.operatorName === 'string' && def.operatorName.trim() ? def.operatorName.trim() : undefined;
    node.queue = null as PushQueue | null;
    node.configError = undefined as string | undefined;
    node.warnings = [] as string[];

    const errors: string[] = [];
    const op = parseOperatorId(def.operatorId);
    if (op.ok) node.operatorId = op.value;
    else errors.push(op.error);
    if (node.operatorName && node.operatorName.length > OPERATOR_NAME_MAX_LENGTH) {
      errors.push(`OperatorName is longer than ${OPERATOR_NAME_MAX_LENGTH} characters`);
    }
    if (env === 'custom' && !/^https?:\/\/[^\s/]+/i.test(node.baseUrl)) {
      errors.push(`custom URL '${node.baseUrl}' is not an http(s) URL`);
    }

    const tlsNode = def.tls ? RED.nodes.getNode(def.tls) : null;
    const tls: TlsOptions = {};
    if (def.tls && !tlsNode) errors.push('the selected tls-config node is missing');
    else if (tlsNode && tlsNode.valid === false) errors.push('the tls-config node is invalid: check its certificate and key');
    else if (tlsNode) tlsNode.addTLSOptions(tls);
    if (!tlsNode && env !== 'custom') {
      errors.push(`Hubject ${node.envLabel} needs mutual TLS: select a tls-config with the client certificate and key from Hubject onboarding`);
    }
    if (tls.rejectUnauthorized === false) {
      node.warnings.push('server certificate verification is OFF in the tls-config');
      // Shown next to the push node's counters for as long as it is so, not only once at deploy.
      node.caution = 'TLS verification OFF';
    }
    const certOp = certOperatorId(tls.cert);
    if (op.ok && certOp && certOp !== op.value) {
      node.warnings.push(`client certificate is for '${certOp}' but OperatorID is '${op.value}': Hubject will answer 017`);
    }

    // Locally known problems block sending but not queueing, so a fix and redeploy loses nothing.
    node.blocked = clientCertificateProblem(tls.cert) as string | undefined;

    if (errors.length) {
      node.configError = errors.join('; ');
      node.error(`Hubject config: ${node.configError}`);
      return;
    }
    for (const w of node.warnings) node.warn(`Hubject config: ${w}`);

    const timeoutMs = positive(def.timeout, 30) * 1000;
    node.client = new HubjectClient({ baseUrl: node.baseUrl, operatorId: node.operatorId, tls, timeoutMs });
    const queue: PushQueue = acquireQueue(node.operatorId, node.baseUrl, RED.settings?.userDir, {
      operatorName: node.operatorName,
      ratePerMinute: Math.floor(positive(def.rateLimit, 2000)),
      backoffBaseMs: positive(def.retryBase, 1) * 1000,
      backoffMaxMs: positive(def.retryMax, 300) * 1000,
    });
    node.queue = queue;
    const client: HubjectClient = node.client;
    if (node.blocked) node.error(`Hubject config: ${node.blocked}`);
    else queue.start((body, signal) => client.pushEvseStatus(body, signal));

    node.on('close', (_removed: boolean, done: () => void) => {
      node.queue?.stop();
      // destroy, not close: a hung request must not hold the close past 1 s.
      client.destroy().then(() => done(), () => done());
    });
  }

  RED.nodes.registerType('oicp-hubject-config', HubjectConfigNode);
};

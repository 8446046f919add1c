// Config node 'oicp-cpo-endpoint': the inbound side of a Hubject config. Its own HTTPS server (not Node-RED's
// ports), mutual TLS with Hubject's CA as trust anchor and Hubject's subject only, or plain HTTP on loopback behind a
// TLS-terminating proxy. Requests go to the flow's oicp-remote-in; the core is ./remote.

import type { Node, NodeAPI, NodeDef } from 'node-red';
import {
  DEFAULT_DEADLINE_MS,
  HUBJECT_CLIENT_SUBJECTS,
  RemoteEndpoint,
  createRemoteServer,
  evseLocator,
  remoteServerProblem,
  type EvseLocator,
  type OcppVersion,
  type RemoteServer,
} from './remote';
import type { CpoEndpointNode } from './remote/contract';
import type { ServerTls } from './oicp/server';
import { exported, linkedHubject, translator, type HubjectConfig } from './node-red';
import { lendToTests } from './node-red/test-hooks';
import { registerRemoteEndpoint } from './ops/stats';

const TYPE = 'oicp-cpo-endpoint';
// The editor's default subjects per environment (assumptions to confirm at onboarding).
const SETTINGS = { oicpCpoEndpointSubjects: exported(HUBJECT_CLIENT_SUBJECTS) };

interface EndpointDef extends NodeDef {
  hubject?: string;
  tls?: string;
  host?: string;
  port?: string | number;
  mode?: string;
  subjects?: string;
  subjectHeader?: string;
  prefix?: string;
  publicUrl?: string;
  deadline?: string | number;
  ocppVersion?: string;
  evseIdTemplate?: string;
}

interface TlsConfigNode extends Node {
  valid?: boolean;
  addTLSOptions(opts: Record<string, unknown>): void;
}

/** The subjects to accept: the configured ones, else Hubject's documented CN for the environment (an assumption). */
function subjectsOf(def: EndpointDef, hubject: HubjectConfig | undefined): string[] {
  const given = String(def.subjects ?? '')
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter((s) => s);
  if (given.length) return given;
  return [...(hubject?.environment === 'production' ? HUBJECT_CLIENT_SUBJECTS.production : HUBJECT_CLIENT_SUBJECTS.qa)];
}

export = function (RED: NodeAPI) {
  const t = translator(RED, TYPE);

  function CpoEndpointNode(this: Node & CpoEndpointNode, def: EndpointDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const mode = def.mode === 'proxy' ? 'proxy' : 'mtls';
    const host = String(def.host ?? '').trim() || (mode === 'proxy' ? '127.0.0.1' : '0.0.0.0');
    const port = Number(def.port ?? 8444);
    const deadlineMs = Math.max(1, Math.min(9.5, Number(def.deadline) || DEFAULT_DEADLINE_MS / 1000)) * 1000;
    const ocppVersion: OcppVersion = def.ocppVersion === '2.0.1' ? '2.0.1' : '1.6';
    const prefix = String(def.prefix ?? '')
      .trim()
      .replace(/\/+$/, '');
    const listeners = new Set<() => void>();
    let problem: string | undefined;
    let listening = false;
    // Made once the configuration is known to work; the contract below reads them late.
    const parts: { endpoint?: RemoteEndpoint; server?: RemoteServer } = {};

    const link = linkedHubject(RED, def.hubject);
    const hubject = link.hubject;
    if (!hubject) problem = t(link.problem === 'none' ? 'errors.noHubject' : 'kit.errors.configMissing');
    else if (hubject.configError) problem = t('kit.errors.config', { error: hubject.configError });

    let locate: EvseLocator | undefined;
    if (!problem && def.evseIdTemplate) {
      try {
        locate = evseLocator(def.evseIdTemplate);
      } catch (e) {
        problem = t('errors.template', { error: (e as Error).message });
      }
    }
    const tls: Record<string, unknown> = {};
    if (!problem && mode === 'mtls') {
      const tlsNode = def.tls ? (RED.nodes.getNode(def.tls) as TlsConfigNode | null) : null;
      if (!tlsNode) problem = t('errors.tlsNone');
      else if (tlsNode.valid === false) problem = t('errors.tlsInvalid');
      else tlsNode.addTLSOptions(tls);
    }
    const serverTls = tls as unknown as ServerTls;
    if (!problem) {
      const p = remoteServerProblem({ mode, host, port, tls: serverTls, subjectHeader: def.subjectHeader });
      if (p) problem = t('errors.server', { error: p });
    }
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    const url = String(def.publicUrl ?? '').trim() || `${mode === 'proxy' ? 'http' : 'https'}://${shownHost}:${port}${prefix}`;

    const changed = () => {
      for (const l of listeners) l();
    };
    node.cpoEndpoint = {
      get endpoint() {
        return parts.endpoint;
      },
      url,
      problem: () => problem,
      get listening() {
        return listening;
      },
      onChange(l) {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    lendToTests(node, { endpoint: () => parts.endpoint, server: () => parts.server });
    // The sidebar shows the URL to register (GET /oicp/state, remoteEndpoints).
    const unregister = registerRemoteEndpoint(node.id, () => ({
      id: node.id,
      url,
      operator: hubject?.operatorId,
      listening,
      problem,
      answered: parts.endpoint ? { ...parts.endpoint.answered } : undefined,
    }));

    if (problem || !hubject) node.on('close', (_removed: boolean, done: () => void) => (unregister(), done()));

    if (problem || !hubject) {
      node.error(t('log.prefix', { text: problem ?? '' }));
      return;
    }
    const h = hubject;
    const ep = new RemoteEndpoint({
      prefix,
      deadlineMs,
      ocppVersion,
      locate,
      evseData: () => {
        const d = h.evseData();
        return d ? { size: d.store.size, isAcknowledged: (id: string) => d.store.isAcknowledged(id), get: (id: string) => d.store.get(id) } : null;
      },
      sessions: () => h.sessions(),
      log: { info: (x) => node.log(x), warn: (x) => node.warn(x) },
    });
    parts.endpoint = ep;
    const srv = createRemoteServer({
      endpoint: ep,
      host,
      port,
      mode,
      tls: mode === 'mtls' ? { ca: serverTls.ca, cert: serverTls.cert, key: serverTls.key, passphrase: serverTls.passphrase } : undefined,
      subjects: subjectsOf(def, h),
      subjectHeader: def.subjectHeader,
      // A backstop behind the watchdog: no request ever hangs.
      deadlineMs: deadlineMs + 1000,
    });
    parts.server = srv;
    srv.listen().then(
      (p) => {
        listening = true;
        node.log(t('log.listening', { url, port: p }));
        changed();
      },
      (e: Error) => {
        problem = t('errors.listen', { host, port, error: e.message });
        node.error(t('log.prefix', { text: problem }));
        changed();
      },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      listening = false;
      changed();
      listeners.clear();
      unregister();
      // Waiting requests are answered false and those answers sent before the connections go.
      void ep
        .drain('the endpoint is being redeployed')
        .then(() => srv.close())
        .then(() => done());
    });
  }

  RED.nodes.registerType(TYPE, CpoEndpointNode, { settings: SETTINGS });
};

// Entry point of the local Hubject simulator: certificates plus server, reused by scripts/simulator.js and `npm start`.

import { createCertificates, type CertPaths } from './certs';
import { HubjectSimulator, type SimulatorOptions } from './server';

export * from './certs';
export * from './server';
export * from './remote-call';

export interface StartSimulatorOptions extends Omit<SimulatorOptions, 'certs'> {
  /** Folder for the demo PKI (created if missing, reused while valid). Ignored when `certs` is given. */
  certDir?: string;
  /** OperatorIDs to issue client certificates for; default ['DE*ABC']. */
  operatorIds?: string[];
  /** Ready-made certificates instead of certDir. */
  certs?: CertPaths;
}

export interface StartedSimulator {
  simulator: HubjectSimulator;
  certs: CertPaths;
  /** OICP base URL, e.g. https://127.0.0.1:8443/api/oicp */
  url: string;
  /** Admin page, e.g. http://127.0.0.1:8080/ ('' when the admin server is disabled). */
  adminUrl: string;
}

/** Creates (or reuses) the demo certificates and starts a simulator. Stop it with `simulator.stop()`. */
export async function startSimulator(opts: StartSimulatorOptions = {}): Promise<StartedSimulator> {
  const { certDir, operatorIds, certs: given, ...simOpts } = opts;
  let certs = given;
  if (!certs) {
    if (!certDir) throw new Error('startSimulator: certDir or certs is required');
    certs = createCertificates(certDir, { operatorIds });
  }
  const simulator = new HubjectSimulator({ ...simOpts, certs });
  const url = await simulator.start();
  return { simulator, certs, url, adminUrl: simulator.adminUrl };
}

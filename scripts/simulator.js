#!/usr/bin/env node
'use strict';
// Runs the local Hubject simulator (`npm run simulator`, after the build).
// Certificates go to .demo/certs (gitignored) and are reused while valid. Key files are never printed, only their paths.
const path = require('path');
const { startSimulator } = require('../nodes/simulator');

function portFromEnv(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name} must be a port number from 0 to 65535 (0: any free port), got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

async function main() {
  const certDir = path.resolve(__dirname, '..', '.demo', 'certs');
  const { simulator, certs, url, adminUrl } = await startSimulator({
    certDir,
    operatorIds: ['DE*ABC'],
    host: '127.0.0.1',
    port: portFromEnv('SIM_PORT', 8443),
    adminPort: portFromEnv('SIM_ADMIN_PORT', 8080),
  });

  // A hub CPO: SIM_SUB_OPERATORS="DE*S01 DE*S02" lets DE*ABC push those operators' EVSEs (also POST /admin/sub-operators).
  const subs = (process.env.SIM_SUB_OPERATORS || '').split(/[\s,]+/).filter(Boolean);
  if (subs.length) simulator.setSubOperators('DE*ABC', subs);
  const client = certs.clients['DE*ABC'];
  console.log('Hubject simulator (OICP 2.3) running');
  console.log(`  OICP base URL (mutual TLS): ${url}`);
  console.log(`  push URL for DE*ABC:        ${url}/evsepush/v21/operators/${encodeURIComponent('DE*ABC').replace(/\*/g, '%2A')}/status-records`);
  console.log(`  admin page (plain HTTP):    ${adminUrl}`);
  if (subs.length) console.log(`  sub-operators of DE*ABC:    ${subs.join(', ')}`);
  console.log('  certificates:');
  console.log(`    CA (trust anchor):        ${certs.caCert}`);
  console.log(`    client cert DE*ABC:       ${client.cert}`);
  console.log(`    client key DE*ABC:        ${client.key}`);
  console.log('Ctrl+C to stop.');

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping simulator`);
    simulator.stop().then(() => process.exit(0), (err) => {
      console.error(err && err.message ? err.message : err);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  if (err && (err.code === 'EADDRINUSE' || err.code === 'EACCES')) {
    const p = err.port;
    const variable = p === portFromEnv('SIM_ADMIN_PORT', 8080) ? 'SIM_ADMIN_PORT' : 'SIM_PORT';
    const why = err.code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges';
    console.error(`simulator: port ${p} on 127.0.0.1 ${why}: stop what uses it, or choose another port with ${variable}=<port> npm run simulator`);
  } else {
    console.error(`simulator failed to start: ${err && err.message ? err.message : err}`);
  }
  process.exit(1);
});

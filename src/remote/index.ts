// Remote start/stop (issue 23): Hubject calls the CPO; no Node-RED import.
export * from './schemas';
export * from './acknowledgement';
export * from './answer';
export * from './ocpp';
export * from './evse';
export * from './pending';
export * from './endpoint';
export * from './server';
export * from './link';
export * from './contract';

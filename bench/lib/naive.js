'use strict';
// The function node integrators wire today instead of the ocpp status node (the benchmarks' comparison arm): Hubject's
// status table and the EvseID template DE*ABC*E{chargeBoxId}*{connectorId}, for node-red-contrib-ocpp's
// StatusNotification messages.

/** The EvseID, in the function node's code, of the StatusNotification in msg. */
const EVSE_ID = "'DE*ABC*E' + String(msg.ocpp.chargeBoxIdentity).toUpperCase() + '*' + data.connectorId";

/**
 * The function node's code: `what` completes its first comment line, `output` is the code after the table lookup that
 * builds msg from `status` (the OICP status; EVSE_ID gives the EvseID) and returns it.
 */
function naiveFunction(what, output) {
  return `// What integrators wire today: ${what}.
const TABLE = {
    Available: 'Available', Preparing: 'Occupied', Charging: 'Occupied', SuspendedEVSE: 'Occupied',
    SuspendedEV: 'Occupied', Finishing: 'Occupied', Occupied: 'Occupied', Reserved: 'Reserved',
    Unavailable: 'OutOfService', Faulted: 'OutOfService'
};
const data = msg.payload && msg.payload.data;
if (!msg.ocpp || msg.ocpp.command !== 'StatusNotification' || !data) return null;
const status = TABLE[data.status];
if (status === undefined) { node.warn('unknown OCPP status ' + data.status); return null; }
${output}`;
}

module.exports = { EVSE_ID, naiveFunction };

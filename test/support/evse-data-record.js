'use strict';
// One valid EvseDataRecord (every field eRoamingPushEvseData 2.3 requires, in the schema's form), for tests that need
// EVSE data at the simulator. `over` replaces fields; a field set to undefined is left out.

function evseDataRecord(EvseID, over = {}) {
  const r = {
    EvseID,
    ChargingStationNames: [{ lang: 'de', value: `Station ${EvseID}` }],
    Address: { Country: 'DEU', City: 'Berlin', Street: 'EUREF Campus', PostalCode: '10829', HouseNum: '22' },
    GeoCoordinates: { Google: { Coordinates: '52.480495 13.356465' } },
    Plugs: ['Type 2 Outlet'],
    ChargingFacilities: [{ PowerType: 'AC_3_PHASE', Power: 22 }],
    RenewableEnergy: false,
    CalibrationLawDataAvailability: 'Not Available',
    AuthenticationModes: ['REMOTE'],
    PaymentOptions: ['Contract'],
    ValueAddedServices: ['None'],
    Accessibility: 'Free publicly accessible',
    HotlinePhoneNumber: '+4930123456',
    IsOpen24Hours: true,
    IsHubjectCompatible: true,
    DynamicInfoAvailable: 'false',
    ...over,
  };
  for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k];
  return r;
}

module.exports = { evseDataRecord };

'use strict';
// B5: a data fullLoad of 20,000 full EvseDataRecords (eRoamingPushEvseData), without Node-RED or a network: what
// the data node does between a message and the request body.
//
// Two arms, each run in its own process (so RSS is not shared), alternating, `runs` times each; medians reported
// side by side:
//  - core: planDataPushAsync (validate and normalise every record, keep each as its JSON text, guard the fullLoad)
//    then serialiseDataRequest (byte length in slices) and every 120 kB piece of the body produced, one per
//    macrotask, as the client does while writing it. The same process then measures the scheduled fullLoad from
//    the store of acknowledged records (planStoredFullLoad + serialiseDataRequest).
//  - hand-built: what a function node would do: map the same input to OICP field names (same conversions, no
//    checks), then one JSON.stringify of the body and Buffer.from.
// Input: records as a CPO's backend gives them: numeric {lat, lon}, alpha-2 countries, OCPP connector types,
// phone numbers with spaces, boolean DynamicInfoAvailable, ChargingStationId; network-wide fields from defaults.
// Measured per arm: body size, time from input to serialised body, longest event-loop block
// (perf_hooks.monitorEventLoopDelay, a 5 ms timer's longest gap, and the most CPU the process used between two of its
// ticks, which separates a real block from a machine too loaded to run us), RSS growth (peak sampled every 5 ms minus
// the RSS after building the input, after GC). warm (default 1): each process first handles 500 records the same way,
// as a runtime that has pushed data before; a cold core run is reported for the record.
//
// Run alone: node --expose-gc bench/b5-data-fullload.js   (BENCH_ARGS='{"records":20000,"runs":3}')
const { fork } = require('child_process');
const { monitorEventLoopDelay } = require('perf_hooks');
const { now, sleep, args, runMain, median } = require('./lib/util');
const data = require('../nodes/evse-data');

const MB = 1024 * 1024;
const OPERATOR_ID = 'DE*ABC';
const OPERATOR_NAME = 'ABC Charging';
const CONNECTORS = [['sType2'], ['cCCS2', 'cG105'], ['cType2'], ['sType2', 'sCEE-7-7'], ['cCCS2']];
const DEFAULTS = {
  HotlinePhoneNumber: '+49 30 1234567',
  AuthenticationModes: ['NFC RFID Classic', 'REMOTE'],
  PaymentOptions: ['Contract', 'Direct'],
  ValueAddedServices: ['Reservation'],
  Accessibility: 'Free publicly accessible',
  CalibrationLawDataAvailability: 'Local',
  RenewableEnergy: true,
  IsHubjectCompatible: true,
};

/** The i-th record as a CPO's backend gives it. */
function sourceRecord(i) {
  const dc = i % 5 === 1 || i % 5 === 4;
  return {
    EvseID: `DE*ABC*E${String((i >> 1) + 1).padStart(6, '0')}*${(i & 1) + 1}`,
    ChargingPoolID: `DE*ABC*P${(i >> 4) + 1}`,
    ChargingStationId: `CS-${(i >> 1) + 1}`,
    ChargingStationNames: [{ lang: 'de', value: `ABC Ladepark ${(i >> 4) + 1}` }, { lang: 'en', value: `ABC charging park ${(i >> 4) + 1}` }],
    HardwareManufacturer: dc ? 'DC Fast Hardware AG' : 'Wallbox Hardware GmbH',
    Address: { Country: 'DE', City: 'Berlin', Street: `Teststrasse ${(i % 97) + 1}`, PostalCode: String(10115 + (i % 800)), HouseNum: String((i % 180) + 1), TimeZone: 'UTC+01:00' },
    GeoCoordinates: { lat: 52.3 + (i % 1000) / 3000, lon: 13.1 + Math.floor(i / 1000) / 60 },
    Plugs: CONNECTORS[i % 5],
    DynamicPowerLevel: dc,
    ChargingFacilities: dc ? [{ PowerType: 'DC', Voltage: 920, Amperage: 99, Power: 150, ChargingModes: ['Mode_4'] }] : [{ PowerType: 'AC_3_PHASE', Voltage: 400, Amperage: 32, Power: 22, ChargingModes: ['Mode_3'] }],
    EnergySource: [{ Energy: 'Solar', Percentage: 40 }, { Energy: 'Wind', Percentage: 60 }],
    AccessibilityLocation: i % 3 ? 'ParkingLot' : 'OnStreet',
    AdditionalInfo: [{ lang: 'en', value: 'Open to the public; parking free while charging' }],
    IsOpen24Hours: i % 4 !== 0,
    OpeningTimes: i % 4 === 0 ? [{ Period: [{ begin: '07:00', end: '22:00' }], on: 'Everyday' }] : undefined,
    DynamicInfoAvailable: true,
    deltaType: 'insert',
    lastUpdate: '2026-01-01T00:00:00.000Z',
  };
}

// The hand-built arm: the same conversions as a function node would write them, without checks.
const PLUG = { sType2: 'Type 2 Outlet', cType2: 'Type 2 Connector (Cable Attached)', cCCS2: 'CCS Combo 2 Plug (Cable Attached)', cG105: 'CHAdeMO', 'sCEE-7-7': 'Type F Schuko' };
function handMapped(s) {
  const r = {
    EvseID: s.EvseID,
    ChargingPoolID: s.ChargingPoolID,
    ChargingStationID: s.ChargingStationId,
    ChargingStationNames: s.ChargingStationNames,
    HardwareManufacturer: s.HardwareManufacturer,
    Address: { ...s.Address, Country: data.COUNTRY_ALPHA2_TO_ALPHA3.get(s.Address.Country) },
    GeoCoordinates: { Google: { Coordinates: `${s.GeoCoordinates.lat.toFixed(6)} ${s.GeoCoordinates.lon.toFixed(6)}` } },
    Plugs: s.Plugs.map((p) => PLUG[p]),
    DynamicPowerLevel: s.DynamicPowerLevel,
    ChargingFacilities: s.ChargingFacilities,
    RenewableEnergy: DEFAULTS.RenewableEnergy,
    EnergySource: s.EnergySource,
    CalibrationLawDataAvailability: DEFAULTS.CalibrationLawDataAvailability,
    AuthenticationModes: DEFAULTS.AuthenticationModes,
    PaymentOptions: DEFAULTS.PaymentOptions,
    ValueAddedServices: DEFAULTS.ValueAddedServices,
    Accessibility: DEFAULTS.Accessibility,
    AccessibilityLocation: s.AccessibilityLocation,
    HotlinePhoneNumber: DEFAULTS.HotlinePhoneNumber.replace(/\s/g, ''),
    AdditionalInfo: s.AdditionalInfo,
    IsOpen24Hours: s.IsOpen24Hours,
    IsHubjectCompatible: DEFAULTS.IsHubjectCompatible,
    DynamicInfoAvailable: String(s.DynamicInfoAvailable),
  };
  if (s.OpeningTimes) r.OpeningTimes = s.OpeningTimes;
  return r;
}

function probes() {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  }, 5);
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  let last = now();
  let lastCpu = process.cpuUsage();
  let stall = 0;
  let cpuBlock = 0;
  const timer = setInterval(() => {
    const t = now();
    const c = process.cpuUsage();
    stall = Math.max(stall, t - last - 5);
    // CPU this process used between two ticks: tells a real block from the OS running other processes (a loaded
    // machine stretches wall-clock gaps). Counts all threads, GC helpers too, so it errs high.
    cpuBlock = Math.max(cpuBlock, (c.user - lastCpu.user + c.system - lastCpu.system) / 1000);
    last = t;
    lastCpu = c;
  }, 5);
  return {
    stop() {
      clearInterval(sampler);
      clearInterval(timer);
      eld.disable();
      peak = Math.max(peak, process.memoryUsage().rss);
      return { rssGrowthMB: (peak - base) / MB, eventLoopMaxMs: eld.max / 1e6, stallMaxMs: stall, blockCpuMaxMs: cpuBlock };
    },
  };
}

async function gcQuiet() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  await sleep(100);
}

async function child(a) {
  const n = a.records || 20000;
  const input = Array.from({ length: n }, (_, i) => sourceRecord(i));
  const warm = a.warm ?? 1;
  if (a.arm === 'hand' && warm) {
    // A runtime that has done this before (compiled code in place), as B3's warm runs.
    JSON.stringify(input.slice(0, 500).map(handMapped));
  } else if (warm) {
    const plan = await data.planDataPushAsync(input.slice(0, 500), { action: 'fullLoad', operatorIds: OPERATOR_ID, operatorId: OPERATOR_ID, operatorName: OPERATOR_NAME, defaults: DEFAULTS, store: new data.EvseDataStore() });
    for (const piece of (await data.serialiseDataRequest(plan.requests[0])).chunks) Buffer.byteLength(piece);
  }
  await gcQuiet();
  if (a.arm === 'hand') {
    const p = probes();
    await sleep(20);
    const t0 = now();
    const records = input.map(handMapped);
    const t1 = now();
    const body = { ActionType: 'fullLoad', OperatorEvseData: { OperatorID: OPERATOR_ID, OperatorName: OPERATOR_NAME, EvseDataRecord: records } };
    const buf = Buffer.from(JSON.stringify(body));
    const t2 = now();
    await new Promise((r) => setImmediate(r));
    await sleep(50);
    return { arm: 'hand', warm: Boolean(warm), records: records.length, bodyBytes: buf.length, buildMs: t1 - t0, serialiseMs: t2 - t1, totalMs: t2 - t0, ...p.stop() };
  }
  const store = new data.EvseDataStore();
  const p = probes();
  await sleep(20);
  const t0 = now();
  const plan = await data.planDataPushAsync(input, { action: 'fullLoad', operatorIds: OPERATOR_ID, operatorId: OPERATOR_ID, operatorName: OPERATOR_NAME, defaults: DEFAULTS, store, minRatio: 0.5 });
  const t1 = now();
  if (plan.rejected.length || !plan.requests.length) throw new Error(`unexpected plan: ${plan.rejected.length} rejected, ${plan.guarded ? plan.guarded.reason : ''}`);
  const req = plan.requests[0];
  const ser = await data.serialiseDataRequest(req);
  // Producing the pieces is what the client does while writing the body: timed here, one piece per macrotask.
  let bytes = 0;
  for (const piece of ser.chunks) {
    bytes += Buffer.byteLength(piece);
    await new Promise((r) => setImmediate(r));
  }
  if (bytes !== ser.contentLength) throw new Error(`pieces hold ${bytes} bytes, contentLength says ${ser.contentLength}`);
  const t2 = now();
  await sleep(50);
  const m = p.stop();
  // The scheduled fullLoad: from the store of acknowledged records (which keeps the request's strings).
  store.acknowledgeRequest(req);
  const records = req.EvseIDs.length;
  plan.requests.length = 0;
  await gcQuiet();
  const q = probes();
  await sleep(20);
  const s0 = now();
  const stored = data.planStoredFullLoad({ operatorId: OPERATOR_ID, operatorName: OPERATOR_NAME, store, minRatio: 0.5 });
  const ser2 = await data.serialiseDataRequest(stored.request);
  for (const piece of ser2.chunks) {
    bytes -= Buffer.byteLength(piece);
    await new Promise((r) => setImmediate(r));
  }
  const s1 = now();
  await sleep(50);
  const sm = q.stop();
  if (bytes !== 0) throw new Error('the stored fullLoad differs in size from the first');
  return {
    arm: 'core', warm: Boolean(warm), records, bodyBytes: ser.contentLength, buildMs: t1 - t0, serialiseMs: t2 - t1, totalMs: t2 - t0, ...m,
    stored: { totalMs: s1 - s0, ...sm },
  };
}

function runChild(a) {
  return new Promise((resolve, reject) => {
    const c = fork(__filename, [], { execArgv: ['--expose-gc'], env: { ...process.env, BENCH_ARGS: JSON.stringify(a) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    let error;
    c.on('message', (m) => { if (m && m.result) result = m.result; if (m && m.error) error = m.error; });
    c.on('exit', (code) => (result ? resolve(result) : reject(new Error(error || `b5 child exited with ${code}`))));
  });
}

async function main() {
  const a = args();
  if (a.arm) return child(a);
  const runs = a.runs || 3;
  const records = a.records || 20000;
  const core = [];
  const hand = [];
  for (let i = 0; i < runs; i++) {
    core.push(await runChild({ arm: 'core', records }));
    hand.push(await runChild({ arm: 'hand', records }));
  }
  // For the record: the first fullLoad of a fresh process (code not yet compiled).
  const cold = await runChild({ arm: 'core', records, warm: 0 });
  const med = (rs, f) => median(rs.map(f));
  const summary = (rs) => ({
    bodyBytes: med(rs, (r) => r.bodyBytes),
    buildMs: med(rs, (r) => r.buildMs),
    serialiseMs: med(rs, (r) => r.serialiseMs),
    totalMs: med(rs, (r) => r.totalMs),
    eventLoopMaxMs: med(rs, (r) => r.eventLoopMaxMs),
    stallMaxMs: med(rs, (r) => r.stallMaxMs),
    blockCpuMaxMs: med(rs, (r) => r.blockCpuMaxMs),
    rssGrowthMB: med(rs, (r) => r.rssGrowthMB),
  });
  return {
    records,
    runs,
    targets: { eventLoopMaxMs: 100, rssGrowthMB: 60 },
    core: { ...summary(core), stored: { totalMs: med(core, (r) => r.stored.totalMs), eventLoopMaxMs: med(core, (r) => r.stored.eventLoopMaxMs), rssGrowthMB: med(core, (r) => r.stored.rssGrowthMB) } },
    hand: summary(hand),
    loadAverage: require('os').loadavg(),
    coldCore: { totalMs: cold.totalMs, eventLoopMaxMs: cold.eventLoopMaxMs, rssGrowthMB: cold.rssGrowthMB },
    all: { core, hand, cold },
  };
}

if (require.main === module) runMain(main);
module.exports = { sourceRecord, handMapped, DEFAULTS };

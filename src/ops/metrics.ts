/**
 * /oicp/metrics: the stats registry in the Prometheus text format, through a private prom-client Registry
 * (other Node-RED packages may use prom-client's global one). Every value is read at scrape time; nothing here
 * runs per change.
 */
import { Gauge, Registry } from 'prom-client';
import { stateHealth } from '../journal/health';
import { LAG_BUCKETS_S, OUTCOMES, allFullLoads, allLaneStats, type FullLoadSnapshot, type LaneStats } from './stats';
import { AUTHORIZE_BUCKETS_S, authorizeSeries } from '../sessions/stats';
import { cdrSeries } from '../sessions/cdr-stats';

type Labels = Record<string, string>;
interface Value {
  labels: Labels;
  value: number;
  metricName?: string;
}

const laneLabels = (l: LaneStats): Labels => ({ operator: l.labels.operator, operation: l.labels.operation, environment: l.labels.environment });

/** A metric whose values are computed by `values` when scraped (prom-client formats and escapes them). */
function computed(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): void {
  // prom-client accepts any object with name, help, type and get(); its Counter and Histogram cannot be set from totals.
  registry.registerMetric({
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: summed(values()) }),
  } as never);
}

/**
 * Lanes are kept per operator, URL and operation, but labelled by operator, operation and environment: two custom
 * URLs of one operator (or a URL changed at runtime) would repeat a series, and Prometheus refuses the whole scrape.
 * Counters and histogram buckets of one label set add up.
 */
function summed(values: Value[]): Value[] {
  const byKey = new Map<string, Value>();
  for (const v of values) {
    const key = `${v.metricName ?? ''}${JSON.stringify(Object.entries(v.labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    const seen = byKey.get(key);
    if (seen) seen.value += v.value;
    else byKey.set(key, { ...v });
  }
  return [...byKey.values()];
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[], fill: (set: (labels: Labels, v: number) => void) => void): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, v) => this.set(labels, v));
    },
  });
}

/** Full load snapshots of one scrape (with the node's name), so a node's store is walked once per scrape, not once per metric. */
function snapshots(now: number): Array<[string, FullLoadSnapshot, string]> {
  const out: Array<[string, FullLoadSnapshot, string]> = [];
  for (const [id, src] of allFullLoads()) {
    try {
      out.push([id, src.snapshot(now), src.name ?? '']);
    } catch {
      // A node failing to report must not break the scrape of all others.
    }
  }
  return out;
}

export interface OpsMetrics {
  registry: Registry;
  /** The exposition text. */
  text(): Promise<string>;
  contentType: string;
}

export function createMetrics(now: () => number = Date.now): OpsMetrics {
  const registry = new Registry();
  const LANE = ['operator', 'operation', 'environment'];

  computed(registry, 'oicp_requests_total', 'Requests to Hubject by outcome (success, transient, data, config).', 'counter', () =>
    allLaneStats().flatMap((l) => OUTCOMES.map((o) => ({ labels: { ...laneLabels(l), outcome: o }, value: l.requestsTotal(o) }))),
  );
  computed(registry, 'oicp_records_total', 'Records in requests to Hubject by outcome of the request.', 'counter', () =>
    allLaneStats().flatMap((l) => OUTCOMES.map((o) => ({ labels: { ...laneLabels(l), outcome: o }, value: l.recordsTotal(o) }))),
  );
  computed(registry, 'oicp_push_lag_seconds', 'Time from a change entering the push node to Hubject acknowledging it with 000.', 'histogram', () => {
    const out: Value[] = [];
    for (const l of allLaneStats()) {
      const labels = laneLabels(l);
      let cum = 0;
      LAG_BUCKETS_S.forEach((le, i) => {
        cum += l.promBuckets[i]!;
        out.push({ metricName: 'oicp_push_lag_seconds_bucket', labels: { ...labels, le: String(le) }, value: cum });
      });
      out.push({ metricName: 'oicp_push_lag_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: l.promCount });
      out.push({ metricName: 'oicp_push_lag_seconds_sum', labels, value: l.promSum });
      out.push({ metricName: 'oicp_push_lag_seconds_count', labels, value: l.promCount });
    }
    return out;
  });

  gauge(registry, 'oicp_queue_pending', 'Changes waiting to be acknowledged by Hubject.', LANE, (set) => {
    for (const l of allLaneStats()) set(laneLabels(l), l.pending());
  });
  gauge(registry, 'oicp_in_flight', 'Requests to Hubject in flight.', LANE, (set) => {
    for (const l of allLaneStats()) set(laneLabels(l), l.inFlight());
  });
  gauge(registry, 'oicp_last_success_timestamp_seconds', 'When Hubject last answered a request with success (0: never).', LANE, (set) => {
    for (const l of allLaneStats()) set(laneLabels(l), l.lastSuccessAt() / 1000);
  });
  gauge(registry, 'oicp_backoff_seconds', 'Time until the next retry after a failed request (0: not backing off).', LANE, (set) => {
    const t = now();
    for (const l of allLaneStats()) set(laneLabels(l), l.backoffMs(t) / 1000);
  });
  gauge(
    registry,
    'oicp_outbox_bytes',
    'Size of the outbox files of pending changes (status and data lanes of the operator).',
    ['operator', 'environment'],
    (set) => {
      // Each lane (operation) keeps its own outbox file; the metric is per operator, so they add up.
      const sums = new Map<string, { labels: Labels; bytes: number }>();
      for (const l of allLaneStats()) {
        const key = `${l.labels.operator}|${l.labels.environment}`;
        const s = sums.get(key) ?? { labels: { operator: l.labels.operator, environment: l.labels.environment }, bytes: 0 };
        s.bytes += l.outboxSize();
        sums.set(key, s);
      }
      for (const s of sums.values()) set(s.labels, s.bytes);
    },
  );

  gauge(
    registry,
    'oicp_dead_letters',
    'Records Hubject refused for good while no input message waited for them (restored, scheduled or sidebar pushes).',
    ['operator', 'operation'],
    (set) => {
      for (const l of allLaneStats()) set({ operator: l.labels.operator, operation: l.labels.operation }, l.source?.deadLetters?.() ?? 0);
    },
  );

  // The full-load gauges share one snapshot per scrape. Their series carry the node id and its name (empty when
  // the node has none), so a dashboard can show what the user called the node.
  let scrape: { at: number; list: Array<[string, FullLoadSnapshot, string]> } | undefined;
  const fullLoadList = () => {
    const t = now();
    if (!scrape || t - scrape.at > 500) scrape = { at: t, list: snapshots(t) };
    return scrape.list;
  };
  const fullLoadGauge = (name: string, help: string, extra: string[], fill: (s: FullLoadSnapshot, set: (labels: Labels, v: number) => void) => void) =>
    gauge(registry, name, help, ['node', 'name', ...extra], (set) => {
      for (const [id, s, nodeName] of fullLoadList()) fill(s, (labels, v) => set({ node: id, name: nodeName, ...labels }, v));
    });
  fullLoadGauge('oicp_evse_status', 'EVSEs a full load node knows, by OICP EvseStatus.', ['status'], (s, set) => {
    for (const [status, n] of Object.entries(s.byStatus)) set({ status }, n);
  });
  fullLoadGauge('oicp_evse_stale', 'EVSEs a full load node has not heard from within its stale limit.', [], (s, set) => set({}, s.stale));
  fullLoadGauge('oicp_fullload_last_timestamp_seconds', 'When the full load node last emitted a fullLoad (0: never).', [], (s, set) =>
    set({}, (s.last?.at ?? 0) / 1000),
  );
  // Not "_count": in the text format that suffix belongs to histograms and summaries (promtool refuses it).
  fullLoadGauge('oicp_fullload_last_evses', 'EVSE status records in the last fullLoad of the node.', [], (s, set) => set({}, s.last?.count ?? 0));

  // State files (src/journal): failed writes since start, and files damaged or incomplete now.
  computed(registry, 'oicp_state_write_errors_total', 'Writes of state files under <userDir>/oicp that failed, by kind of file.', 'counter', () =>
    [...stateHealth.writeErrors].map(([kind, value]) => ({ labels: { kind }, value })),
  );
  gauge(registry, 'oicp_state_files_damaged', 'State files under <userDir>/oicp that are damaged or incomplete now.', ['kind'], (set) => {
    const by = new Map<string, number>();
    for (const p of stateHealth.problems.values()) if (p.incomplete || p.damage) by.set(p.kind, (by.get(p.kind) ?? 0) + 1);
    for (const [kind, n] of by) set({ kind }, n);
  });

  // Authorization (oicp-authorize): each call by outcome, and its time from the request to the charger's answer.
  computed(registry, 'oicp_authorize_total', 'AuthorizeStart/Stop calls by outcome (authorized, notAuthorized, fallback, refused).', 'counter', () =>
    authorizeSeries().map((s) => ({ labels: { operator: s.operator, operation: s.operation, outcome: s.outcome }, value: s.count })),
  );
  computed(registry, 'oicp_authorize_duration_seconds', 'Time of an AuthorizeStart/Stop call, by outcome.', 'histogram', () =>
    authorizeSeries().flatMap((s) => {
      const labels = { operator: s.operator, operation: s.operation, outcome: s.outcome };
      let cum = 0;
      const out: Value[] = AUTHORIZE_BUCKETS_S.map((le, i) => {
        cum += s.buckets[i]!;
        return { metricName: 'oicp_authorize_duration_seconds_bucket', labels: { ...labels, le: String(le) }, value: cum };
      });
      out.push({ metricName: 'oicp_authorize_duration_seconds_bucket', labels: { ...labels, le: '+Inf' }, value: s.count });
      out.push({ metricName: 'oicp_authorize_duration_seconds_sum', labels, value: s.sum });
      out.push({ metricName: 'oicp_authorize_duration_seconds_count', labels, value: s.count });
      return out;
    }),
  );

  // Charge detail records (oicp-push-cdr): the CDR lane's pending and dead letters, and every CDR by outcome.
  const cdrLanes = () => allLaneStats().filter((l) => l.labels.operation === 'chargeDetailRecord');
  gauge(registry, 'oicp_cdr_pending', 'CDRs in the outbox, not yet acknowledged by Hubject.', ['operator', 'environment'], (set) => {
    for (const l of cdrLanes()) set({ operator: l.labels.operator, environment: l.labels.environment }, l.pending());
  });
  gauge(registry, 'oicp_cdr_dead_letters', 'CDRs Hubject refused for good, waiting in the dead-letter list.', ['operator', 'environment'], (set) => {
    for (const l of cdrLanes()) set({ operator: l.labels.operator, environment: l.labels.environment }, l.source?.deadLetters?.() ?? 0);
  });
  computed(registry, 'oicp_cdr_total', 'CDRs by outcome (acknowledged, reconciled, deadLetter, duplicate refused locally, invalid input).', 'counter', () =>
    cdrSeries().map((s) => ({ labels: { operator: s.operator, outcome: s.outcome }, value: s.count })),
  );

  return {
    registry,
    contentType: registry.contentType,
    text: () => {
      scrape = undefined;
      return registry.metrics();
    },
  };
}

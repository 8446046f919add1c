'use strict';
// A strict reader of the Prometheus text exposition format (version 0.0.4) for tests. It throws on any line that
// breaks the format rules (https://prometheus.io/docs/instrumenting/exposition_formats/): a sample without a TYPE
// of its family, a bad metric or label name, a bad escape, a duplicate series, or a histogram whose buckets are not
// cumulative or whose +Inf bucket differs from _count. (parse-prometheus-text-format merges labelled histograms
// into one series, so it cannot check them.)
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseLabels(text, line) {
  const labels = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq).trim();
    if (eq < 0 || !LABEL.test(name)) throw new Error(`bad label name in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`label value not quoted in: ${line}`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const c = text[++j];
        if (c === 'n') value += '\n';
        else if (c === '\\' || c === '"') value += c;
        else throw new Error(`bad escape \\${c} in: ${line}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`label ${name} twice in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
  }
  return labels;
}

/** Returns { [family]: { type, help, samples: [{ name, labels, value }] } }. */
function parsePrometheusText(text) {
  const families = {};
  const seen = new Set();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let m;
    if ((m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line))) {
      if (!NAME.test(m[2])) throw new Error(`bad metric name in: ${line}`);
      const f = (families[m[2]] ??= { type: undefined, help: undefined, samples: [] });
      if (m[1] === 'TYPE') {
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3])) throw new Error(`bad TYPE in: ${line}`);
        if (f.samples.length) throw new Error(`TYPE after samples in: ${line}`);
        f.type = m[3];
      } else f.help = m[3];
      continue;
    }
    if (line.startsWith('#')) continue;
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([^ ]+)(?: (-?\d+))?$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const [, name, labelText, valueText] = m;
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (!/^(\+Inf|-Inf|NaN)$/.test(valueText) && !Number.isFinite(value)) throw new Error(`bad value in: ${line}`);
    const labels = labelText ? parseLabels(labelText, line) : {};
    const family = families[name]
      ? name
      : ['_bucket', '_sum', '_count'].map((s) => name.endsWith(s) && name.slice(0, -s.length)).find((f) => f && families[f]?.type === 'histogram');
    if (!family || !families[family].type) throw new Error(`sample without a TYPE of its family: ${line}`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    families[family].samples.push({ name, labels, value });
  }
  for (const [name, f] of Object.entries(families)) if (f.type === 'histogram') checkHistogram(name, f);
  return families;
}

function checkHistogram(name, f) {
  const series = new Map();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const h = series.get(key) ?? { buckets: [], count: undefined };
    series.set(key, h);
    if (s.name === `${name}_bucket`) h.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    if (s.name === `${name}_count`) h.count = s.value;
  }
  for (const [key, h] of series) {
    for (let i = 1; i < h.buckets.length; i++) {
      if (!(h.buckets[i][0] > h.buckets[i - 1][0])) throw new Error(`${name}${key}: le not increasing`);
      if (h.buckets[i][1] < h.buckets[i - 1][1]) throw new Error(`${name}${key}: buckets not cumulative`);
    }
    const inf = h.buckets[h.buckets.length - 1];
    if (!inf || inf[0] !== Infinity || inf[1] !== h.count) throw new Error(`${name}${key}: +Inf bucket must equal _count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
function valueOf(families, family, name, labels = {}) {
  const f = families[family];
  if (!f) throw new Error(`no metric ${family}`);
  const hits = f.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length !== 1) throw new Error(`${hits.length} samples of ${name} with ${JSON.stringify(labels)}`);
  return hits[0].value;
}

module.exports = { parsePrometheusText, valueOf };

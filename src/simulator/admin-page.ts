// The simulator's admin page: one self-contained HTML document (no external assets).
// It is rendered on the server (so it lists the EVSEs even without JavaScript) and refreshed every 2 s
// by a small inline script that fetches GET /admin/state and redraws the same tables.

import type { EvseStatus } from '../oicp/schemas';

/** What the page shows of an EVSE's data (eRoamingPushEvseData). */
export interface AdminEvseData {
  name: string;
  address: string;
  plugs: string[];
  powerKw: number;
}

export interface AdminEvse {
  EvseID: string;
  /** Absent for an EVSE with data but no status yet. */
  EvseStatus?: EvseStatus;
  updatedAt: number;
  data?: AdminEvseData;
}

export interface AdminOperator {
  OperatorID: string;
  OperatorName?: string;
  evses: AdminEvse[];
}

export interface AdminLogLine {
  startedAt: number;
  endedAt?: number;
  kind: string;
  /** The OICP operation of a push (status, data, ...). */
  operation?: string;
  operatorId?: string;
  action?: string;
  records?: number;
  httpStatus?: number;
  code?: string;
  fault?: string;
  overlapped?: boolean;
  note?: string;
}

/** A roaming session the simulator created, and its CDR once one arrived (or a CDR it stored without a session). */
export interface AdminSession {
  SessionID: string;
  OperatorID: string;
  EvseID?: string;
  token?: string;
  startedAt: number;
  stoppedAt?: number;
  cdr?: { ConsumedEnergy: number; SessionStart: string; SessionEnd: string; receivedAt: number };
}

export interface AdminView {
  url: string;
  counters: { requests: number; pushes: number; overlaps: number; maxInFlight: number; rateLimited: number; http429: number };
  latencyMs: number;
  refusingConnections: boolean;
  /** Status for EVSEs without data is refused with 018. */
  requireData?: boolean;
  faults: unknown[];
  operators: AdminOperator[];
  /** Sessions and CDRs, newest first. */
  sessions?: AdminSession[];
  log: AdminLogLine[];
}

export const STATUS_COLOURS: Readonly<Record<string, string>> = {
  Available: '#2e7d32',
  Occupied: '#1565c0',
  Reserved: '#ef6c00',
  OutOfService: '#c62828',
  Unknown: '#757575',
  EvseNotFound: '#9e9e9e',
};

/** One colour per operation in the request log, so a data fullLoad never looks like a status fullLoad. */
export const OPERATION_COLOURS: Readonly<Record<string, string>> = {
  status: '#00796b',
  data: '#6a1b9a',
  authorizeStart: '#283593',
  authorizeStop: '#283593',
  chargeDetailRecord: '#4e342e',
};

/** The operation as a coloured label; empty for requests that are not pushes. */
function operationLabel(op: string | undefined): string {
  if (!op) return '';
  return `<span class="op op-${esc(op)}" style="background:${OPERATION_COLOURS[op] ?? '#757575'}">${esc(op)}</span>`;
}

function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function time(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(11, 23);
}

function renderOperators(ops: AdminOperator[]): string {
  if (ops.length === 0) return '<p class="muted">No EVSE status or data pushed yet.</p>';
  return ops
    .map((op) => {
      const rows = op.evses
        .map(
          (e) =>
            `<tr><td class="mono">${esc(e.EvseID)}</td><td>${e.EvseStatus ? `<span class="st" style="background:${STATUS_COLOURS[e.EvseStatus] ?? '#757575'}">${esc(e.EvseStatus)}</span>` : '<span class="muted">no status</span>'}</td>` +
            (e.data
              ? `<td>${esc(e.data.name)}</td><td>${esc(e.data.address)}</td><td>${esc(e.data.plugs.join(', '))}</td><td>${esc(e.data.powerKw)} kW</td>`
              : '<td class="muted" colspan="4">no data</td>') +
            `<td class="mono">${esc(time(e.updatedAt))}</td></tr>`,
        )
        .join('');
      return (
        `<h3>${esc(op.OperatorID)}${op.OperatorName ? ' &middot; ' + esc(op.OperatorName) : ''} <span class="muted">(${op.evses.length} EVSEs)</span></h3>` +
        `<table><thead><tr><th>EvseID</th><th>EvseStatus</th><th>name</th><th>address</th><th>plugs</th><th>power</th><th>updated (UTC)</th></tr></thead><tbody>${rows}</tbody></table>`
      );
    })
    .join('');
}

function renderSessions(list: AdminSession[] | undefined): string {
  if (!list?.length) return '<p class="muted">No roaming session or CDR yet.</p>';
  const rows = list
    .map(
      (x) =>
        `<tr><td class="mono">${esc(x.SessionID)}</td><td class="mono">${esc(x.EvseID ?? '')}</td><td class="mono">${esc(x.token ?? '')}</td>` +
        `<td class="mono">${esc(time(x.startedAt))}</td><td class="mono">${x.stoppedAt ? esc(time(x.stoppedAt)) : ''}</td>` +
        (x.cdr
          ? `<td>${esc(x.cdr.ConsumedEnergy.toFixed(3))} kWh</td><td class="mono">${esc(x.cdr.SessionStart)} – ${esc(x.cdr.SessionEnd)}</td>`
          : '<td class="muted" colspan="2">no CDR</td>') +
        '</tr>',
    )
    .join('');
  return `<table><thead><tr><th>SessionID</th><th>EvseID</th><th>token</th><th>started (UTC)</th><th>stopped (UTC)</th><th>CDR energy</th><th>CDR session</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderLog(lines: AdminLogLine[]): string {
  const rows = lines
    .slice()
    .reverse()
    .map(
      (l) =>
        `<tr><td class="mono">${esc(time(l.startedAt))}</td><td>${esc(l.kind)}</td><td>${operationLabel(l.operation)}</td><td class="mono">${esc(l.operatorId)}</td><td>${esc(l.action)}</td><td>${esc(l.records)}</td><td>${esc(l.httpStatus)}</td><td>${esc(l.code)}</td><td>${l.endedAt !== undefined ? esc(l.endedAt - l.startedAt) : '&hellip;'}</td><td>${esc([l.overlapped ? 'OVERLAP' : '', l.fault ? 'fault:' + l.fault : '', l.note ?? ''].filter(Boolean).join(' '))}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>time</th><th>kind</th><th>operation</th><th>OperatorID</th><th>ActionType</th><th>records</th><th>HTTP</th><th>code</th><th>ms</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderCounters(v: AdminView): string {
  const c = v.counters;
  return (
    `requests <b>${c.requests}</b> &middot; pushes <b>${c.pushes}</b> &middot; overlaps <b>${c.overlaps}</b> &middot; max in flight <b>${c.maxInFlight}</b> &middot; HTTP 429 <b>${c.http429}</b> (rate limited ${c.rateLimited}) &middot; latency ${v.latencyMs} ms` +
    (v.refusingConnections ? ' &middot; <b style="color:#c62828">refusing connections</b>' : '') +
    (v.requireData ? ' &middot; <b>status without data refused (018)</b>' : '')
  );
}

/** What the codes in the request log mean; the page shows it under the log. */
export const CODE_LEGEND: ReadonlyArray<readonly [string, string]> = [
  ['000', 'accepted: Hubject holds the status'],
  ['017', 'Unauthorized Access (HTTP 401): OperatorID and client certificate do not match'],
  ['018', "an EvseID outside the operator's namespace, or twice in one request (or, with the data switch on, status for an EVSE without data)"],
  ['022', 'update of an EVSE Hubject does not know, or insert of one it knows (the push node re-sends an update as insert)'],
  ['400', "the body fails Hubject's schema (validationErrors name the field)"],
  ['429', 'more than 2000 pushes of one operator in 60 s, or an injected 429: wait for Retry-After'],
  ['503', 'Hubject unavailable (injected): the push node retries with backoff'],
  ['fault:…', 'the answer came from a fault injected below, not from the rules above'],
];

/**
 * Fault buttons: each is one call of the admin JSON API (POST /admin/faults, /admin/latency, /admin/refuse) with the
 * effect the push node shows in the editor.
 */
export const FAULT_CONTROLS: ReadonlyArray<{
  id: string;
  label: string;
  shows: string;
  calls: ReadonlyArray<{ method: string; path: string; body?: unknown }>;
}> = [
  {
    id: 'storm503',
    label: '503 storm (60 s)',
    shows: 'yellow "retrying in … (503)", a log line after three attempts, green again when it ends',
    calls: [{ method: 'POST', path: '/admin/faults', body: { kind: 'http', status: 503, durationMs: 60000 } }],
  },
  {
    id: 'rate429',
    label: '429, Retry-After 10 s (3×)',
    shows: 'yellow "retrying in 10 s (429)": the node waits as long as Hubject asks',
    calls: [{ method: 'POST', path: '/admin/faults', body: { kind: 'http', status: 429, retryAfter: 10, count: 3 } }],
  },
  {
    id: 'latency',
    label: '+2 s latency',
    shows: 'changes queue up behind the one request in flight and go out as one bundle',
    calls: [{ method: 'POST', path: '/admin/latency', body: { ms: 2000 } }],
  },
  {
    id: 'refuse',
    label: 'refuse connections',
    shows: 'yellow "retrying … (ECONNREFUSED)": Hubject unreachable; changes wait in the outbox',
    calls: [{ method: 'POST', path: '/admin/refuse', body: { on: true } }],
  },
  {
    id: 'code017',
    label: '017 Unauthorized (60 s)',
    shows: 'red "HTTP 401 017 Unauthorized Access": a configuration fault, retried only at the longest backoff',
    calls: [{ method: 'POST', path: '/admin/faults', body: { kind: 'http', status: 401, durationMs: 60000 } }],
  },
  {
    id: 'requireDataOn',
    label: 'status needs data (018)',
    shows: 'status for an EVSE whose data was not pushed is refused with 018, as Hubject lists only EVSEs with data',
    calls: [{ method: 'POST', path: '/admin/require-data', body: { on: true } }],
  },
  {
    id: 'requireDataOff',
    label: 'status without data',
    shows: 'the default: status is accepted whether or not the EVSE has data',
    calls: [{ method: 'POST', path: '/admin/require-data', body: { on: false } }],
  },
  {
    id: 'heal',
    label: 'heal',
    shows: 'clears every fault, latency 0, accepts connections: the node drains its queue and turns green with 000',
    calls: [
      { method: 'DELETE', path: '/admin/faults' },
      { method: 'POST', path: '/admin/latency', body: { ms: 0 } },
      { method: 'POST', path: '/admin/refuse', body: { on: false } },
    ],
  },
];

function renderLegend(): string {
  return (
    `<table class="legend"><tbody>${CODE_LEGEND.map(([c, t]) => `<tr><td class="mono">${esc(c)}</td><td>${esc(t)}</td></tr>`).join('')}</tbody></table>` +
    '<p class="muted">ActionType: <b>fullLoad</b> replaces every EVSE of the operator, <b>update</b> changes known EVSEs, <b>insert</b> adds new ones, <b>delete</b> removes them.</p>'
  );
}

function renderControls(): string {
  const rows = FAULT_CONTROLS.map(
    (c) => `<tr><td><button type="button" id="fault-${esc(c.id)}" data-fault="${esc(c.id)}">${esc(c.label)}</button></td><td>${esc(c.shows)}</td></tr>`,
  ).join('');
  return `<table class="controls"><tbody>${rows}</tbody></table><p id="fault-result" class="muted mono" role="status"></p>`;
}

function renderFaults(v: AdminView): string {
  const parts: string[] = [];
  if (v.refusingConnections) parts.push('<b style="color:#c62828">refusing connections</b>');
  if (v.latencyMs) parts.push(`latency ${esc(v.latencyMs)} ms`);
  for (const f of v.faults as Array<Record<string, unknown>>) {
    const what =
      f.kind === 'http'
        ? `HTTP ${f.status}${f.retryAfter !== undefined ? ` Retry-After ${f.retryAfter} s` : ''}`
        : f.kind === 'result'
          ? `code ${f.code}`
          : String(f.kind);
    const left = typeof f.remaining === 'number' ? `, ${f.remaining} left` : typeof f.until === 'number' ? `, until ${time(f.until)}` : '';
    parts.push(`<span class="fault">${esc(what)}${esc(left)} (hit ${esc(f.hits ?? 0)}×)</span>`);
  }
  return parts.length ? `active: ${parts.join(' ')}` : 'no fault active: the simulator answers as Hubject would';
}

// Client-side twin of the render functions above, kept tiny and dependency-free; it only uses textContent-safe escaping.
const CLIENT_SCRIPT = `
(function(){
  var C=${JSON.stringify(STATUS_COLOURS)};
  var O=${JSON.stringify(OPERATION_COLOURS)};
  function esc(v){return String(v==null?'':v).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
  function t(ms){return ms==null?'':new Date(ms).toISOString().slice(11,23);}
  function opl(op){return op?'<span class="op op-'+esc(op)+'" style="background:'+(O[op]||'#757575')+'">'+esc(op)+'</span>':'';}
  function ops(list){
    if(!list.length)return '<p class="muted">No EVSE status or data pushed yet.</p>';
    return list.map(function(op){
      var rows=op.evses.map(function(e){
        var st=e.EvseStatus?'<span class="st" style="background:'+(C[e.EvseStatus]||'#757575')+'">'+esc(e.EvseStatus)+'</span>':'<span class="muted">no status</span>';
        var d=e.data?'<td>'+esc(e.data.name)+'</td><td>'+esc(e.data.address)+'</td><td>'+esc(e.data.plugs.join(', '))+'</td><td>'+esc(e.data.powerKw)+' kW</td>':'<td class="muted" colspan="4">no data</td>';
        return '<tr><td class="mono">'+esc(e.EvseID)+'</td><td>'+st+'</td>'+d+'<td class="mono">'+esc(t(e.updatedAt))+'</td></tr>';}).join('');
      return '<h3>'+esc(op.OperatorID)+(op.OperatorName?' &middot; '+esc(op.OperatorName):'')+' <span class="muted">('+op.evses.length+' EVSEs)</span></h3><table><thead><tr><th>EvseID</th><th>EvseStatus</th><th>name</th><th>address</th><th>plugs</th><th>power</th><th>updated (UTC)</th></tr></thead><tbody>'+rows+'</tbody></table>';
    }).join('');
  }
  function sessions(list){
    if(!list||!list.length)return '<p class="muted">No roaming session or CDR yet.</p>';
    var rows=list.map(function(x){
      var c=x.cdr?'<td>'+esc(x.cdr.ConsumedEnergy.toFixed(3))+' kWh</td><td class="mono">'+esc(x.cdr.SessionStart)+' \u2013 '+esc(x.cdr.SessionEnd)+'</td>':'<td class="muted" colspan="2">no CDR</td>';
      return '<tr><td class="mono">'+esc(x.SessionID)+'</td><td class="mono">'+esc(x.EvseID)+'</td><td class="mono">'+esc(x.token)+'</td><td class="mono">'+esc(t(x.startedAt))+'</td><td class="mono">'+(x.stoppedAt?esc(t(x.stoppedAt)):'')+'</td>'+c+'</tr>';
    }).join('');
    return '<table><thead><tr><th>SessionID</th><th>EvseID</th><th>token</th><th>started (UTC)</th><th>stopped (UTC)</th><th>CDR energy</th><th>CDR session</th></tr></thead><tbody>'+rows+'</tbody></table>';
  }
  function log(lines){
    var rows=lines.slice().reverse().map(function(l){
      var notes=[l.overlapped?'OVERLAP':'',l.fault?'fault:'+l.fault:'',l.note||''].filter(Boolean).join(' ');
      return '<tr><td class="mono">'+esc(t(l.startedAt))+'</td><td>'+esc(l.kind)+'</td><td>'+opl(l.operation)+'</td><td class="mono">'+esc(l.operatorId)+'</td><td>'+esc(l.action)+'</td><td>'+esc(l.records)+'</td><td>'+esc(l.httpStatus)+'</td><td>'+esc(l.code)+'</td><td>'+(l.endedAt!=null?esc(l.endedAt-l.startedAt):'&hellip;')+'</td><td>'+esc(notes)+'</td></tr>';
    }).join('');
    return '<table><thead><tr><th>time</th><th>kind</th><th>operation</th><th>OperatorID</th><th>ActionType</th><th>records</th><th>HTTP</th><th>code</th><th>ms</th><th>notes</th></tr></thead><tbody>'+rows+'</tbody></table>';
  }
  function counters(v){
    var c=v.counters;
    return 'requests <b>'+c.requests+'</b> &middot; pushes <b>'+c.pushes+'</b> &middot; overlaps <b>'+c.overlaps+'</b> &middot; max in flight <b>'+c.maxInFlight+'</b> &middot; HTTP 429 <b>'+c.http429+'</b> (rate limited '+c.rateLimited+') &middot; latency '+v.latencyMs+' ms'
      +(v.refusingConnections?' &middot; <b style="color:#c62828">refusing connections</b>':'')
      +(v.requireData?' &middot; <b>status without data refused (018)</b>':'');
  }
  function faults(v){
    var parts=[];
    if(v.refusingConnections)parts.push('<b style="color:#c62828">refusing connections</b>');
    if(v.latencyMs)parts.push('latency '+esc(v.latencyMs)+' ms');
    v.faults.forEach(function(f){
      var what=f.kind==='http'?'HTTP '+f.status+(f.retryAfter!=null?' Retry-After '+f.retryAfter+' s':''):f.kind==='result'?'code '+f.code:String(f.kind);
      var left=typeof f.remaining==='number'?', '+f.remaining+' left':typeof f.until==='number'?', until '+t(f.until):'';
      parts.push('<span class="fault">'+esc(what)+esc(left)+' (hit '+esc(f.hits||0)+'\u00d7)</span>');
    });
    return parts.length?'active: '+parts.join(' '):'no fault active: the simulator answers as Hubject would';
  }
  var CONTROLS=${JSON.stringify(Object.fromEntries(FAULT_CONTROLS.map((c) => [c.id, c.calls])))};
  function call(list,i,done){
    if(i>=list.length)return done(null);
    var c=list[i];
    var init={method:c.method,cache:'no-store'};
    if(c.body!==undefined){init.headers={'Content-Type':'application/json'};init.body=JSON.stringify(c.body);}
    fetch(c.path,init).then(function(r){
      if(!r.ok)return r.text().then(function(x){done(c.method+' '+c.path+': HTTP '+r.status+' '+x);});
      call(list,i+1,done);
    }).catch(function(e){done(c.method+' '+c.path+': '+e);});
  }
  Array.prototype.forEach.call(document.querySelectorAll('button[data-fault]'),function(b){
    b.addEventListener('click',function(){
      var id=b.getAttribute('data-fault');
      call(CONTROLS[id],0,function(err){
        document.getElementById('fault-result').textContent=err?err:b.textContent+': done '+t(Date.now());
        refresh();
      });
    });
  });
  function refresh(){
    fetch('/admin/state',{cache:'no-store'}).then(function(r){return r.json();}).then(function(v){
      document.getElementById('counters').innerHTML=counters(v);
      document.getElementById('faults').innerHTML=faults(v);
      document.getElementById('operators').innerHTML=ops(v.operators);
      document.getElementById('log').innerHTML=log(v.log);
      document.getElementById('sessions').innerHTML=sessions(v.sessions);
      document.getElementById('stale').textContent='';
    }).catch(function(){document.getElementById('stale').textContent='(simulator not reachable)';});
  }
  setInterval(refresh,2000);
})();
`;

import { renderRemoteSection } from './remote-page';

export function renderAdminPage(v: AdminView): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hubject simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:1em}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;font-size:13px}
.mono{font-family:ui-monospace,monospace}.muted{color:#888;font-weight:normal}
.st,.op{color:#fff;border-radius:3px;padding:1px 6px}
button{font:inherit;font-size:13px;padding:3px 10px;min-width:13em;text-align:left;cursor:pointer}
.fault{background:#fff3e0;border:1px solid #ef6c00;border-radius:3px;padding:1px 6px;margin-right:4px}
#log{max-height:24em;overflow:auto}
</style></head><body>
<h1>Hubject simulator (OICP 2.3) <span id="stale" class="muted"></span></h1>
<p class="muted">OICP API (mutual TLS): <span class="mono">${esc(v.url)}</span></p>
<p id="counters">${renderCounters(v)}</p>
<h2>EVSE status and data per operator</h2>
<div id="operators">${renderOperators(v.operators)}</div>
<h2>Roaming sessions and CDRs</h2>
<div id="sessions">${renderSessions(v.sessions)}</div>
<h2>Break it</h2>
<p class="muted">Each button calls the admin API of this page (POST /admin/faults, /admin/latency, /admin/refuse, /admin/require-data); watch the push node's status in the Node-RED editor.</p>
<p id="faults">${renderFaults(v)}</p>
${renderControls()}
${renderRemoteSection()}
<h2>Last requests</h2>
<div id="log">${renderLog(v.log)}</div>
<h3>Codes in the log</h3>
${renderLegend()}
<script>${CLIENT_SCRIPT}</script>
</body></html>`;
}

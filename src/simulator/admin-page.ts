// The simulator's admin page: one self-contained HTML document (no external assets).
// It is rendered on the server (so it lists the EVSEs even without JavaScript) and refreshed every 2 s
// by a small inline script that fetches GET /admin/state and redraws the same tables.

import type { EvseStatus } from '../oicp/schemas';

export interface AdminEvse {
  EvseID: string;
  EvseStatus: EvseStatus;
  updatedAt: number;
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
  operatorId?: string;
  action?: string;
  records?: number;
  httpStatus?: number;
  code?: string;
  fault?: string;
  overlapped?: boolean;
  note?: string;
}

export interface AdminView {
  url: string;
  counters: { requests: number; pushes: number; overlaps: number; maxInFlight: number; rateLimited: number; http429: number };
  latencyMs: number;
  refusingConnections: boolean;
  faults: unknown[];
  operators: AdminOperator[];
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

function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function time(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().slice(11, 23);
}

function renderOperators(ops: AdminOperator[]): string {
  if (ops.length === 0) return '<p class="muted">No EVSE status pushed yet.</p>';
  return ops
    .map((op) => {
      const rows = op.evses
        .map((e) => `<tr><td class="mono">${esc(e.EvseID)}</td><td><span class="st" style="background:${STATUS_COLOURS[e.EvseStatus] ?? '#757575'}">${esc(e.EvseStatus)}</span></td><td class="mono">${esc(time(e.updatedAt))}</td></tr>`)
        .join('');
      return `<h3>${esc(op.OperatorID)}${op.OperatorName ? ' &middot; ' + esc(op.OperatorName) : ''} <span class="muted">(${op.evses.length} EVSEs)</span></h3>`
        + `<table><thead><tr><th>EvseID</th><th>EvseStatus</th><th>updated (UTC)</th></tr></thead><tbody>${rows}</tbody></table>`;
    })
    .join('');
}

function renderLog(lines: AdminLogLine[]): string {
  const rows = lines
    .slice()
    .reverse()
    .map((l) => `<tr><td class="mono">${esc(time(l.startedAt))}</td><td>${esc(l.kind)}</td><td class="mono">${esc(l.operatorId)}</td><td>${esc(l.action)}</td><td>${esc(l.records)}</td><td>${esc(l.httpStatus)}</td><td>${esc(l.code)}</td><td>${l.endedAt !== undefined ? esc(l.endedAt - l.startedAt) : '&hellip;'}</td><td>${esc([l.overlapped ? 'OVERLAP' : '', l.fault ? 'fault:' + l.fault : '', l.note ?? ''].filter(Boolean).join(' '))}</td></tr>`)
    .join('');
  return `<table><thead><tr><th>time</th><th>kind</th><th>OperatorID</th><th>ActionType</th><th>records</th><th>HTTP</th><th>code</th><th>ms</th><th>notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function renderCounters(v: AdminView): string {
  const c = v.counters;
  return `requests <b>${c.requests}</b> &middot; pushes <b>${c.pushes}</b> &middot; overlaps <b>${c.overlaps}</b> &middot; max in flight <b>${c.maxInFlight}</b> &middot; HTTP 429 <b>${c.http429}</b> (rate limited ${c.rateLimited}) &middot; latency ${v.latencyMs} ms`
    + (v.refusingConnections ? ' &middot; <b style="color:#c62828">refusing connections</b>' : '')
    + (v.faults.length ? ` &middot; faults: <span class="mono">${esc(JSON.stringify(v.faults))}</span>` : '');
}

// Client-side twin of the render functions above, kept tiny and dependency-free; it only uses textContent-safe escaping.
const CLIENT_SCRIPT = `
(function(){
  var C=${JSON.stringify(STATUS_COLOURS)};
  function esc(v){return String(v==null?'':v).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
  function t(ms){return ms==null?'':new Date(ms).toISOString().slice(11,23);}
  function ops(list){
    if(!list.length)return '<p class="muted">No EVSE status pushed yet.</p>';
    return list.map(function(op){
      var rows=op.evses.map(function(e){return '<tr><td class="mono">'+esc(e.EvseID)+'</td><td><span class="st" style="background:'+(C[e.EvseStatus]||'#757575')+'">'+esc(e.EvseStatus)+'</span></td><td class="mono">'+esc(t(e.updatedAt))+'</td></tr>';}).join('');
      return '<h3>'+esc(op.OperatorID)+(op.OperatorName?' &middot; '+esc(op.OperatorName):'')+' <span class="muted">('+op.evses.length+' EVSEs)</span></h3><table><thead><tr><th>EvseID</th><th>EvseStatus</th><th>updated (UTC)</th></tr></thead><tbody>'+rows+'</tbody></table>';
    }).join('');
  }
  function log(lines){
    var rows=lines.slice().reverse().map(function(l){
      var notes=[l.overlapped?'OVERLAP':'',l.fault?'fault:'+l.fault:'',l.note||''].filter(Boolean).join(' ');
      return '<tr><td class="mono">'+esc(t(l.startedAt))+'</td><td>'+esc(l.kind)+'</td><td class="mono">'+esc(l.operatorId)+'</td><td>'+esc(l.action)+'</td><td>'+esc(l.records)+'</td><td>'+esc(l.httpStatus)+'</td><td>'+esc(l.code)+'</td><td>'+(l.endedAt!=null?esc(l.endedAt-l.startedAt):'&hellip;')+'</td><td>'+esc(notes)+'</td></tr>';
    }).join('');
    return '<table><thead><tr><th>time</th><th>kind</th><th>OperatorID</th><th>ActionType</th><th>records</th><th>HTTP</th><th>code</th><th>ms</th><th>notes</th></tr></thead><tbody>'+rows+'</tbody></table>';
  }
  function counters(v){
    var c=v.counters;
    return 'requests <b>'+c.requests+'</b> &middot; pushes <b>'+c.pushes+'</b> &middot; overlaps <b>'+c.overlaps+'</b> &middot; max in flight <b>'+c.maxInFlight+'</b> &middot; HTTP 429 <b>'+c.http429+'</b> (rate limited '+c.rateLimited+') &middot; latency '+v.latencyMs+' ms'
      +(v.refusingConnections?' &middot; <b style="color:#c62828">refusing connections</b>':'')
      +(v.faults.length?' &middot; faults: <span class="mono">'+esc(JSON.stringify(v.faults))+'</span>':'');
  }
  function refresh(){
    fetch('/admin/state',{cache:'no-store'}).then(function(r){return r.json();}).then(function(v){
      document.getElementById('counters').innerHTML=counters(v);
      document.getElementById('operators').innerHTML=ops(v.operators);
      document.getElementById('log').innerHTML=log(v.log);
      document.getElementById('stale').textContent='';
    }).catch(function(){document.getElementById('stale').textContent='(simulator not reachable)';});
  }
  setInterval(refresh,2000);
})();
`;

export function renderAdminPage(v: AdminView): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hubject simulator</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin-bottom:1em}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left;font-size:13px}
.mono{font-family:ui-monospace,monospace}.muted{color:#888;font-weight:normal}
.st{color:#fff;border-radius:3px;padding:1px 6px}
</style></head><body>
<h1>Hubject simulator (OICP 2.3) <span id="stale" class="muted"></span></h1>
<p class="muted">OICP API (mutual TLS): <span class="mono">${esc(v.url)}</span></p>
<p id="counters">${renderCounters(v)}</p>
<h2>EVSE status per operator</h2>
<div id="operators">${renderOperators(v.operators)}</div>
<h2>Last requests</h2>
<div id="log">${renderLog(v.log)}</div>
<script>${CLIENT_SCRIPT}</script>
</body></html>`;
}

// The admin page's "Hubject calls the CPO" section: remote start/stop buttons, each one POST /admin/remote, and the
// answers with their times.

export function renderRemoteSection(): string {
  return `<h2>Hubject calls the CPO: remote start and stop</h2>
<p class="muted">The simulator calls the CPO's endpoint with its own client certificate (CN service-qa.hubject.com), as Hubject would.</p>
<p>CPO endpoint URL <input id="remote-url" class="mono" size="40" placeholder="https://127.0.0.1:8444"> <button type="button" id="remote-set">set</button></p>
<p>EvseID <input id="remote-evse" class="mono" size="24" placeholder="DE*ABC*ECP1*1">
<button type="button" id="remote-start" data-remote="start" data-variant="ok">remote start EVSE…</button>
<button type="button" id="remote-stop" data-remote="stop" data-variant="ok">remote stop</button></p>
<p><button type="button" id="remote-wrong-cert" data-remote="start" data-variant="wrong-cert">start with a wrong certificate</button>
<button type="button" id="remote-malformed" data-remote="start" data-variant="malformed">start with a malformed body</button></p>
<p id="remote-result" class="mono"></p>
<script>${REMOTE_SCRIPT}</script>`;
}

const REMOTE_SCRIPT = `
(function(){
  function $(id){return document.getElementById(id);}
  function show(r){
    var what=r.error?'error: '+r.error:'HTTP '+r.httpStatus+' '+JSON.stringify(r.body);
    $('remote-result').textContent=r.action+' '+r.variant+' '+r.EvseID+' ('+r.SessionID+'): '+what+' in '+r.ms+' ms';
  }
  fetch('/admin/remote',{cache:'no-store'}).then(function(r){return r.json();}).then(function(v){if(v.target)$('remote-url').value=v.target;if(v.evseId&&!$('remote-evse').value)$('remote-evse').value=v.evseId;});
  $('remote-set').addEventListener('click',function(){
    fetch('/admin/remote/target',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify({url:$('remote-url').value})})
      .then(function(r){return r.json();}).then(function(v){$('remote-result').textContent=v.target?'target '+v.target:JSON.stringify(v);});
  });
  Array.prototype.forEach.call(document.querySelectorAll('button[data-remote]'),function(b){
    b.addEventListener('click',function(){
      var body={action:b.getAttribute('data-remote'),variant:b.getAttribute('data-variant'),EvseID:$('remote-evse').value};
      if($('remote-url').value)body.url=$('remote-url').value;
      $('remote-result').textContent='calling…';
      fetch('/admin/remote',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)})
        .then(function(r){return r.json();}).then(function(v){if(v.action)show(v);else $('remote-result').textContent=JSON.stringify(v);})
        .catch(function(e){$('remote-result').textContent=String(e);});
    });
  });
})();
`;

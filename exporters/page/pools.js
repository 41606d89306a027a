// pools.js -- the DBA page's PgBouncer panels: one "Pools" table per pgbouncer target, from
// api/pools, drawn with createElement/textContent only (database and user names are user data).
// queries.js announces each api/targets answer with a 'dbpulse:targets' event on document (its
// detail: the targets as listed); the pools are fetched again then, with the rest of the page.
(function () {
  'use strict';

  var COLUMNS = [
    ['database', 'database', ''], ['user', 'user', ''],
    ['waiting', 'client_waiting', 'num', 'clients waiting for a server connection'],
    ['max wait', 'maxwait_seconds', 'num', 'age of the oldest waiting client'],
    ['active', 'client_active', 'num', 'clients linked to a server connection'],
    ['idle', 'server_idle', 'num', 'server connections idle and ready'],
    ['used', 'server_used', 'num', 'server connections idle longer than server_check_delay'],
    ['mode', 'pool_mode', '']
  ];
  var panels = {};               // target name -> {section, body, summary}
  var inflight = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== null && text !== undefined) node.textContent = String(text);
    return node;
  }
  function arr(x) { return Array.isArray(x) ? x : []; }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
  function str(x) { return typeof x === 'string' ? x : null; }

  function fmtWait(s) {
    s = num(s);
    if (s === null) return '—';
    if (s === 0) return '0';
    if (s < 1) return Math.round(s * 1000) + ' ms';
    return Number(s.toPrecision(3)) + ' s';
  }

  function cell(p, c) {
    var v = p[c[1]];
    if (c[1] === 'maxwait_seconds') return fmtWait(v);
    if (c[2] === 'num') return num(v) === null ? '—' : v;
    return str(v) === null ? '—' : v;
  }

  // The panel of target name, made on first use, in the order the targets come.
  function panelOf(name, root) {
    var p = panels[name];
    if (p) return p;
    var section = el('section', 'panel pools');
    section.dataset.target = name;
    var head = el('div', 'panel-head');
    head.appendChild(el('h2', null, 'Pools · ' + name));
    var summary = el('p', 'summary');
    head.appendChild(summary);
    section.appendChild(head);
    var wrap = el('div', 'table-wrap');
    var table = el('table', 'pools-table');
    var tr = el('tr');
    COLUMNS.forEach(function (c) {
      var th = el('th', c[2] || null, c[0]);
      th.setAttribute('scope', 'col');
      if (c[3]) th.title = c[3];
      tr.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(tr);
    var body = table.appendChild(el('tbody'));
    wrap.appendChild(table);
    section.appendChild(wrap);
    root.appendChild(section);
    p = panels[name] = { section: section, body: body, summary: summary };
    return p;
  }

  function render(panel, data) {
    var list = arr(data && data.pools).filter(function (p) { return p && typeof p === 'object'; });
    var frag = document.createDocumentFragment();
    var waiting = 0;
    list.forEach(function (p) {
      var tr = el('tr', num(p.client_waiting) > 0 ? 'waiting' : null);
      COLUMNS.forEach(function (c) { tr.appendChild(el('td', c[2] || null, cell(p, c))); });
      waiting += num(p.client_waiting) || 0;
      frag.appendChild(tr);
    });
    if (!list.length) {
      var td = el('td', null, 'No pool yet.');
      td.setAttribute('colspan', String(COLUMNS.length));
      frag.appendChild(el('tr', 'empty')).appendChild(td);
    }
    panel.body.replaceChildren(frag);
    panel.summary.className = waiting > 0 ? 'summary alert' : 'summary';
    panel.summary.textContent = list.length + ' pool' + (list.length === 1 ? '' : 's') +
      (waiting > 0 ? ' · ' + waiting + ' client' + (waiting === 1 ? '' : 's') + ' waiting' : '');
    panel.section.classList.remove('stale');
  }

  function failed(panel, e) {
    if (e && e.name === 'AbortError') return;
    panel.section.classList.add('stale');
    panel.summary.className = 'summary alert';
    panel.summary.textContent = 'pools: ' + (e && e.message ? String(e.message).slice(0, 300) : 'failed');
  }

  function load(name, panel, signal) {
    return fetch('api/pools?' + new URLSearchParams({ target: name }).toString(), {
      signal: signal, cache: 'no-store', credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) throw new Error('HTTP ' + res.status + (data && typeof data.error === 'string' ? ': ' + data.error : ''));
        render(panel, data);
      });
    }).catch(function (e) { failed(panel, e); });
  }

  function refresh(targets) {
    var root = document.getElementById('pools');
    if (!root) return;
    var names = arr(targets).filter(function (t) { return t && t.kind === 'pgbouncer' && typeof t.name === 'string'; })
      .map(function (t) { return t.name; });
    Object.keys(panels).forEach(function (n) {
      if (names.indexOf(n) < 0) { panels[n].section.remove(); delete panels[n]; }
    });
    root.hidden = !names.length;
    if (inflight) inflight.abort();
    var ctl = inflight = new AbortController();
    names.forEach(function (n) { load(n, panelOf(n, root), ctl.signal); });
  }

  document.addEventListener('dbpulse:targets', function (ev) { refresh(ev.detail); });
})();

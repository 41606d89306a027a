// queries.js -- the DBA page's logic: reads api/targets, api/queries, api/activity and api/slowlog
// (pools.js draws the PgBouncer pools from the same api/targets answer), api/advice: the
// optimization advisor's findings, and the plans of the costliest statements shown in a statement's
// detail, and api/timescaledb: TimescaleDB's jobs and their recent errors (a target with it only);
// draws them with createElement/textContent only (every string from the API is user data),
// keeps target/window/sort (and whether the agent's own statements are listed) in location.hash and
// refreshes every interval_seconds of the selected target (the advice and TimescaleDB every 30 s:
// they change once an advice_interval, a slow_interval).
(function () {
  'use strict';

  var SORTS = ['total', 'mean', 'calls', 'rows', 'io', 'temp'];
  var SORT_NAMES = {
    total: 'total time', mean: 'mean time', calls: 'calls', rows: 'rows',
    io: 'I/O time', temp: 'temp blocks'
  };
  var LIMIT = 50;
  var MIN_INTERVAL = 2;          // seconds
  var DEFAULT_INTERVAL = 15;     // a target without interval_seconds
  var RETRY_INTERVAL = 5;        // after a failed fetch, at most
  var REGRESSION_FACTOR = 2;     // mean > 2x baseline mean: marked "regressed"
  var TOP_ROWS = 3;

  var $ = function (id) { return document.getElementById(id); };
  var ui = {};

  var state = { target: null, window: null, sort: 'total', own: false };
  var targets = [];              // postgres and redis targets from api/targets
  var targetsSignature = '';
  var lastStatements = null;     // last api/queries answer drawn
  var selectedQueryId = null;    // statement shown in #detail
  var timer = null;
  var inflight = null;           // AbortController of the refresh in progress

  // ---------------------------------------------------------------- DOM helpers

  // el('td', {className: 'num', title: 'x'}, 'text', node, ...): never parses HTML.
  function el(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined) return;
        if (k === 'className') node.className = v;
        else if (k === 'dataset') Object.keys(v).forEach(function (d) { node.dataset[d] = String(v[d]); });
        else if (k === 'text') node.textContent = String(v);
        else node.setAttribute(k, String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function setText(node, text) { node.textContent = text === null || text === undefined ? '' : String(text); }

  function arr(x) { return Array.isArray(x) ? x : []; }
  function num(x) { return typeof x === 'number' && isFinite(x) ? x : null; }
  // an API time (RFC 3339) as epoch seconds, or null
  function epochOf(x) { var t = typeof x === 'string' ? Date.parse(x) : NaN; return isFinite(t) ? t / 1000 : null; }
  function str(x) { return typeof x === 'string' ? x : null; }

  // ---------------------------------------------------------------- formatting

  function round3(v) { return Number(v.toPrecision(3)); }

  // seconds -> "812 µs", "32.1 ms", "1.2 s", "2.5 min", "1.1 h", "3 d"
  var DURATION_UNITS = [
    [1e-6, 'µs', 1000], [1e-3, 'ms', 1000], [1, 's', 60], [60, 'min', 60], [3600, 'h', 24], [86400, 'd', Infinity]
  ];
  function fmtDuration(s) {
    s = num(s);
    if (s === null) return '—';
    if (s === 0) return '0';
    var a = Math.abs(s);
    if (a < 1e-6) return round3(s * 1e6) + ' µs';
    for (var i = 0; i < DURATION_UNITS.length; i++) {
      var u = DURATION_UNITS[i];
      if (a < u[0] * u[2] || i === DURATION_UNITS.length - 1) {
        var r = round3(s / u[0]);
        if (Math.abs(r) < u[2]) return r + ' ' + u[1];
      }
    }
    return round3(s / 86400) + ' d';
  }

  var grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  // counts: exact with thousands separators below 100k, then 123k, 4.57M, ...
  function fmtCount(n) {
    n = num(n);
    if (n === null) return '—';
    var a = Math.abs(n);
    if (a < 1e5) return grouped.format(n);
    var units = [[1e3, 'k'], [1e6, 'M'], [1e9, 'G'], [1e12, 'T'], [1e15, 'P']];
    for (var i = units.length - 1; i >= 0; i--) {
      if (a >= units[i][0]) return round3(n / units[i][0]) + units[i][1];
    }
    return grouped.format(n);
  }
  function fmtExact(n) { n = num(n); return n === null ? '' : n.toLocaleString('en-US'); }

  // small rates and ratios: 3 significant digits, no exponent
  function fmtFloat(n) {
    n = num(n);
    if (n === null) return '—';
    if (n === 0) return '0';
    if (Math.abs(n) >= 1e5) return fmtCount(n);
    if (Math.abs(n) < 0.001) return '<0.001';
    return Math.abs(n) >= 1000 ? grouped.format(round3(n)) : String(round3(n));
  }

  function fmtPercent(r) {
    r = num(r);
    if (r === null) return '—';
    var p = r * 100;
    if (p >= 99.95 && p < 100) return '99.9 %';
    return (p === 100 || p === 0 ? String(p) : p.toFixed(1)) + ' %';
  }

  function fmtBytes(b) {
    b = num(b);
    if (b === null) return '—';
    var units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
    var i = 0;
    while (Math.abs(b) >= 1000 && i < units.length - 1) { b /= 1000; i++; }
    return (i === 0 ? String(b) : String(round3(b))) + ' ' + units[i];
  }

  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function clock(d) { return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds()); }
  function localDateTime(d) {
    return d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' + pad2(d.getDate()) + ' ' + clock(d);
  }
  function parseTime(s) {
    if (typeof s !== 'string') return null;
    var d = new Date(s);
    return isNaN(d.getTime()) ? null : d;
  }
  function ago(d) {
    if (!d) return '';
    var s = (Date.now() - d.getTime()) / 1000;
    if (s < 1) return 'just now';
    return fmtDuration(Math.round(s)) + ' ago';
  }

  // ---------------------------------------------------------------- state in location.hash

  function readHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    var sort = p.get('sort');
    return {
      target: p.get('target') || null,
      window: p.get('window') || null,
      sort: SORTS.indexOf(sort) >= 0 ? sort : 'total',
      own: p.get('own') === '1'
    };
  }

  function writeHash() {
    var p = new URLSearchParams();
    if (state.target) p.set('target', state.target);
    var t = currentTarget();
    if (state.window && t && t.kind === 'postgres') p.set('window', state.window);
    p.set('sort', state.sort);
    if (state.own) p.set('own', '1');
    var h = '#' + p.toString();
    if (location.hash !== h) history.replaceState(null, '', h);
  }

  // ---------------------------------------------------------------- fetching

  function ApiError(message, status) {
    this.name = 'ApiError';
    this.message = message;
    this.status = status;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function isAbort(e) { return e && e.name === 'AbortError'; }

  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '…' : s; }

  function fetchJSON(path, params, signal) {
    var url = path;
    if (params) {
      var q = new URLSearchParams();
      Object.keys(params).forEach(function (k) {
        if (params[k] !== null && params[k] !== undefined && params[k] !== '') q.set(k, params[k]);
      });
      url += '?' + q.toString();
    }
    return fetch(url, {
      signal: signal, cache: 'no-store', credentials: 'same-origin',
      headers: { Accept: 'application/json' }
    }).then(function (res) {
      return res.text().then(function (body) {
        var data = null;
        try { data = JSON.parse(body); } catch (e) { data = undefined; }
        if (!res.ok) {
          var msg = 'HTTP ' + res.status + (res.statusText ? ' ' + res.statusText : '');
          if (data && typeof data.error === 'string') {
            msg += ': ' + clip(data.error, 300);
            if (typeof data.parameter === 'string') msg += ' (' + clip(data.parameter, 40);
            if (Array.isArray(data.allowed)) msg += ', allowed: ' + clip(data.allowed.join(', '), 200);
            if (typeof data.parameter === 'string') msg += ')';
          }
          throw new ApiError(msg, res.status);
        }
        if (data === undefined) throw new ApiError('the answer is not JSON', res.status);
        return data;
      });
    }, function (e) {
      if (isAbort(e)) throw e;
      throw new ApiError('agent unreachable (' + (e && e.message ? clip(e.message, 100) : 'network error') + ')', 0);
    });
  }

  // ---------------------------------------------------------------- targets

  function currentTarget() {
    for (var i = 0; i < targets.length; i++) if (targets[i].name === state.target) return targets[i];
    return null;
  }

  function upText(up) { return up === true ? 'up' : up === false ? 'down' : 'pending'; }

  function loadTargets(signal) {
    return fetchJSON('api/targets', null, signal).then(function (data) {
      document.dispatchEvent(new CustomEvent('dbpulse:targets', { detail: arr(data && data.targets) }));   // pools.js
      var list = arr(data && data.targets).filter(function (t) {
        return t && typeof t.name === 'string' && (t.kind === 'postgres' || t.kind === 'redis');
      });
      targets = list;
      var sig = JSON.stringify(list.map(function (t) { return [t.name, t.kind, t.up]; }));
      if (sig !== targetsSignature) {
        targetsSignature = sig;
        var frag = document.createDocumentFragment();
        list.forEach(function (t) {
          frag.appendChild(el('option', { value: t.name },
            t.name + ' — ' + t.kind + ', ' + upText(t.up)));
        });
        if (!list.length) frag.appendChild(el('option', { value: '' }, 'no PostgreSQL or Redis target'));
        ui.target.replaceChildren(frag);
      }
      ui.target.disabled = !list.length;
      if (!currentTarget()) {
        var pick = list.filter(function (t) { return t.kind === 'postgres'; })[0] || list[0];
        state.target = pick ? pick.name : null;
      }
      if (state.target !== null) ui.target.value = state.target;
    });
  }

  // ---------------------------------------------------------------- layout for the selected target

  function applyTarget() {
    var t = currentTarget();
    var pg = !!t && t.kind === 'postgres';
    var redis = !!t && t.kind === 'redis';
    ui.statementsPanel.hidden = !pg;
    ui.activity.hidden = !pg;
    ui.slowlog.hidden = !redis;
    if (!pg) hideDetail();

    if (t) {
      ui.targetState.hidden = false;
      ui.targetState.className = 'badge ' + upText(t.up);
      setText(ui.targetState, upText(t.up));
      ui.targetState.title = t.last_collect ? 'last collection ' + t.last_collect : 'not collected yet';
    } else {
      ui.targetState.hidden = true;
    }

    if (pg) {
      var windows = arr(t.windows).filter(function (w) { return typeof w === 'string'; });
      if (windows.indexOf(state.window) < 0) state.window = windows.length ? windows[0] : null;
      drawWindows(windows);
    } else {
      ui.windows.replaceChildren();
    }
    drawSortHeaders();
    writeHash();
    adviceFollowTarget();
    tsdbFollowTarget();
  }

  function drawWindows(windows) {
    var have = Array.prototype.map.call(ui.windows.children, function (b) { return b.dataset.window; });
    if (have.join('\n') !== windows.join('\n')) {
      var frag = document.createDocumentFragment();
      windows.forEach(function (w) {
        frag.appendChild(el('button', { type: 'button', dataset: { window: w }, title: 'statistics over the last ' + w }, w));
      });
      ui.windows.replaceChildren(frag);
    }
    Array.prototype.forEach.call(ui.windows.children, function (b) {
      var on = b.dataset.window === state.window;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  function drawSortHeaders() {
    Array.prototype.forEach.call(ui.statements.querySelectorAll('th[data-sort]'), function (th) {
      var on = th.dataset.sort === state.sort;
      th.classList.toggle('sorted', on);
      if (on) th.setAttribute('aria-sort', 'descending'); else th.removeAttribute('aria-sort');
    });
  }

  // ---------------------------------------------------------------- statements

  var STATEMENT_COLUMNS = [
    // [key, class, sort key]
    ['query', 'query'], ['datname', 'text'], ['user', 'text'],
    ['calls', 'num', 'calls'], ['calls_per_second', 'num'], ['total_seconds', 'num', 'total'],
    ['mean_seconds', 'num', 'mean'], ['baseline', 'num baseline'], ['rows_per_call', 'num', 'rows'],
    ['hit_ratio', 'num'], ['temp_blocks_written', 'num', 'temp'], ['io_seconds', 'num', 'io']
  ];

  function baselineRatio(s) {
    var m = num(s.mean_seconds), b = num(s.baseline_mean_seconds);
    if (m === null || b === null || b <= 0) return null;
    return m / b;
  }

  // why a statement has no text (the API's query_missing)
  var MISSING_WHY = {
    'text not fetched yet': 'dbpulse reads a new statement\'s text with its next collection',
    'text dropped by pg_stat_statements': 'pg_stat_statements has no text for it any more: its entry was evicted or reset',
    'no privilege': 'the agent\'s role may not read this statement\'s text (pg_read_all_stats)'
  };
  function missingText(s) { return str(s.query_missing) || 'text not fetched yet'; }
  function missingWhy(s) { return MISSING_WHY[missingText(s)] || null; }

  function queryCell(s, placeholder, why) {
    var q = str(s.query);
    var mark = s.own === true ? el('span', { className: 'own-mark', title: 'a statement dbpulse runs itself' }, 'dbpulse') : null;
    if (q === null) return el('td', { className: 'query pending', title: why }, mark, placeholder);
    return el('td', { className: 'query', title: clip(q, 1000) }, mark, q);
  }

  function statementRow(s, index, data) {
    var tr = el('tr', { dataset: { queryid: str(s.queryid) || String(s.queryid) }, tabindex: '0' });
    if (index < TOP_ROWS) tr.classList.add('top');
    if (tr.dataset.queryid === selectedQueryId) { tr.classList.add('selected'); tr.setAttribute('aria-expanded', 'true'); }
    else tr.setAttribute('aria-expanded', 'false');

    STATEMENT_COLUMNS.forEach(function (c) {
      var key = c[0], td;
      switch (key) {
        case 'query': td = queryCell(s, '(' + missingText(s) + ')', missingWhy(s)); break;
        case 'datname': case 'user': td = el('td', { className: 'text' }, str(s[key]) === null ? '—' : s[key]); break;
        case 'calls': td = el('td', { title: fmtExact(s.calls) }, fmtCount(s.calls)); break;
        case 'calls_per_second': td = el('td', null, fmtFloat(s.calls_per_second)); break;
        case 'total_seconds': td = el('td', { title: num(s.total_seconds) === null ? null : s.total_seconds + ' s' }, fmtDuration(s.total_seconds)); break;
        case 'mean_seconds': td = el('td', { title: num(s.mean_seconds) === null ? null : s.mean_seconds + ' s' }, fmtDuration(s.mean_seconds)); break;
        case 'baseline': td = baselineCell(s, data); break;
        case 'rows_per_call': td = el('td', { title: fmtExact(s.rows) + ' rows' }, fmtFloat(s.rows_per_call)); break;
        case 'hit_ratio': {
          var hr = num(s.hit_ratio);
          td = el('td', { title: fmtExact(s.shared_blocks_hit) + ' hit, ' + fmtExact(s.shared_blocks_read) + ' read' }, fmtPercent(hr));
          if (hr !== null && hr < 0.9) td.classList.add('low');
          break;
        }
        case 'temp_blocks_written': td = el('td', { title: fmtBytes(num(s.temp_blocks_written) === null ? null : s.temp_blocks_written * 8192) + ' at 8 kB blocks' }, fmtCount(s.temp_blocks_written)); break;
        case 'io_seconds': td = el('td', { title: fmtExact(s.shared_blocks_read) + ' blocks read' }, fmtDuration(s.io_seconds)); break;
      }
      if (c[1] !== 'query' && c[1] !== 'text') c[1].split(' ').forEach(function (k) { td.classList.add(k); });
      if (c[2] && c[2] === data.sort) td.classList.add('sort-col');
      tr.appendChild(td);
    });
    return tr;
  }

  function baselineCell(s, data) {
    var ratio = baselineRatio(s);
    var bw = str(data.baseline_window) || 'baseline';
    var td = el('td');
    if (num(s.baseline_mean_seconds) === null) {
      td.textContent = '—';
      td.title = 'no calls over ' + bw;
      return td;
    }
    td.title = 'mean over ' + bw + ': ' + fmtDuration(s.baseline_mean_seconds);
    if (ratio === null) { td.textContent = fmtDuration(s.baseline_mean_seconds); return td; }
    if (data.window === data.baseline_window) {
      td.textContent = '=';
      td.classList.add('same');
      td.title = 'this window is the baseline';
      return td;
    }
    if (ratio > REGRESSION_FACTOR) {
      td.classList.add('regressed');
      td.title += ' — more than ' + REGRESSION_FACTOR + '× slower now';
      td.appendChild(el('span', { className: 'marker', 'aria-hidden': 'true' }, '▲ '));
      td.appendChild(el('span', { className: 'sr-only' }, 'regressed: '));
    }
    td.appendChild(document.createTextNode(String(round3(ratio)) + '×'));
    return td;
  }

  function renderStatements(data) {
    lastStatements = data;
    var list = arr(data.statements);
    var frag = document.createDocumentFragment();
    list.forEach(function (s, i) { if (s && typeof s === 'object') frag.appendChild(statementRow(s, i, data)); });
    if (!list.length) {
      frag.appendChild(el('tr', { className: 'empty' },
        el('td', { colspan: STATEMENT_COLUMNS.length }, 'No statement was called in this window.')));
    }
    var focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.queryid : undefined;
    ui.statementsBody.replaceChildren(frag);
    if (focusedId !== undefined) {
      var again = findRow(ui.statementsBody, 'queryid', focusedId);
      if (again) again.focus({ preventScroll: true });
    }

    var bw = str(data.baseline_window);
    setText(ui.baselineHead, bw ? 'vs ' + bw : 'vs baseline');

    var totals = data.totals || {};
    var own = data.own || {};
    var parts = [];
    parts.push(fmtCount(data.matched) + ' statement' + (data.matched === 1 ? '' : 's'));
    parts.push(fmtCount(totals.calls) + ' calls');
    parts.push(fmtDuration(totals.total_seconds) + ' total');
    // the totals are the server's: dbpulse's own statements count in them, listed or not
    if (num(own.statements) > 0) {
      parts.push('dbpulse\'s own ' + fmtCount(own.calls) + ' calls, ' + fmtDuration(own.total_seconds) +
        (data.include_own === true ? ' (listed)' : ' (in the totals, not listed)'));
    }
    if (typeof data.window === 'string') parts.push('over ' + data.window);
    if (num(data.matched) !== null && data.matched > list.length) parts.push('top ' + list.length + ' by ' + (SORT_NAMES[data.sort] || data.sort));
    else parts.push('by ' + (SORT_NAMES[data.sort] || data.sort));
    setText(ui.statementsSummary, parts.join(' · '));

    ui.statements.dataset.window = str(data.window) || '';
    ui.statements.dataset.sort = str(data.sort) || '';
    ui.statements.dataset.own = String(data.include_own === true);
    ui.statements.setAttribute('aria-busy', 'false');
    ui.statementsPanel.classList.remove('stale');

    if (selectedQueryId !== null) {
      var s = findStatement(selectedQueryId);
      if (s) showDetail(s, false); else setText(ui.detailNote, '(not in the current list: figures as last shown)');
    }
  }

  function findRow(tbody, key, value) {
    var rows = tbody.children;
    for (var i = 0; i < rows.length; i++) if (rows[i].dataset[key] === value) return rows[i];
    return null;
  }

  function findStatement(id) {
    var list = arr(lastStatements && lastStatements.statements);
    for (var i = 0; i < list.length; i++) if (list[i] && String(list[i].queryid) === id) return list[i];
    return null;
  }

  // ---------------------------------------------------------------- detail

  function showDetail(s, scroll) {
    selectedQueryId = str(s.queryid) || String(s.queryid);
    var data = lastStatements || {};
    var q = str(s.query);
    setText(ui.detailQuery, q === null ? '(' + missingText(s) + ': ' + (missingWhy(s) || '') + ')' : q);
    ui.detailQuery.classList.toggle('pending', q === null);
    setText(ui.detailId, 'queryid ' + selectedQueryId);
    setText(ui.detailNote, s.own === true ? '(run by dbpulse itself to watch the server)' : '');

    var totals = data.totals || {};
    var share = num(totals.total_seconds) && num(s.total_seconds) !== null ? s.total_seconds / totals.total_seconds : null;
    var bw = str(data.baseline_window) || 'baseline';
    var ratio = baselineRatio(s);
    var figures = [
      ['database', str(s.datname) || '—'],
      ['user', str(s.user) || '—'],
      ['window', str(data.window) || '—'],
      ['calls', fmtExact(s.calls) || '—'],
      ['calls/s', fmtFloat(s.calls_per_second)],
      ['total time', fmtDuration(s.total_seconds)],
      ['share of total time', fmtPercent(share)],
      ['mean', fmtDuration(s.mean_seconds)],
      ['mean over ' + bw, fmtDuration(s.baseline_mean_seconds)],
      ['vs ' + bw, ratio === null ? '—' : round3(ratio) + '×', ratio !== null && ratio > REGRESSION_FACTOR],
      ['rows', fmtExact(s.rows) || '—'],
      ['rows/call', fmtFloat(s.rows_per_call)],
      ['shared blocks hit', fmtExact(s.shared_blocks_hit) || '—'],
      ['shared blocks read', fmtExact(s.shared_blocks_read) || '—'],
      ['hit ratio', fmtPercent(s.hit_ratio)],
      ['temp blocks written', fmtExact(s.temp_blocks_written) || '—'],
      ['I/O time', fmtDuration(s.io_seconds)],
      ['planning time', fmtDuration(s.plan_seconds)],
      ['WAL', fmtBytes(s.wal_bytes)]
    ];
    var frag = document.createDocumentFragment();
    figures.forEach(function (f) {
      var div = el('div', null, el('dt', null, f[0]), el('dd', null, f[1]));
      if (f[2]) div.classList.add('regressed');
      frag.appendChild(div);
    });
    ui.detailFigures.replaceChildren(frag);

    var wasHidden = ui.detail.hidden;
    ui.detail.hidden = false;
    Array.prototype.forEach.call(ui.statementsBody.children, function (tr) {
      var on = tr.dataset.queryid === selectedQueryId;
      tr.classList.toggle('selected', on);
      if (tr.dataset.queryid !== undefined) tr.setAttribute('aria-expanded', on ? 'true' : 'false');
    });
    drawPlan();
    if (scroll && wasHidden && ui.detail.scrollIntoView) ui.detail.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }

  function hideDetail() {
    selectedQueryId = null;
    ui.detail.hidden = true;
    Array.prototype.forEach.call(ui.statementsBody.children, function (tr) {
      tr.classList.remove('selected');
      if (tr.dataset.queryid !== undefined) tr.setAttribute('aria-expanded', 'false');
    });
  }

  function toggleRow(tr) {
    var id = tr.dataset.queryid;
    if (id === undefined) return;
    if (id === selectedQueryId && !ui.detail.hidden) { hideDetail(); return; }
    var s = findStatement(id);
    if (s) showDetail(s, true);
  }

  // ---------------------------------------------------------------- sessions

  function renderActivity(data) {
    var list = arr(data.sessions).filter(function (s) { return s && typeof s === 'object'; });
    var blockers = {};
    list.forEach(function (s) { arr(s.blocked_by).forEach(function (p) { blockers[p] = true; }); });

    var frag = document.createDocumentFragment();
    list.forEach(function (s) {
      var pid = num(s.pid);
      var blockedBy = arr(s.blocked_by).filter(function (p) { return num(p) !== null; });
      var st = str(s.state);
      var tr = el('tr', { dataset: { pid: pid === null ? '' : pid } });
      if (blockedBy.length) tr.classList.add('blocked');
      if (pid !== null && blockers[pid]) tr.classList.add('blocking');
      if (st && st.indexOf('idle in transaction') === 0) tr.classList.add('idle-tx');
      if (num(s.query_seconds) !== null && s.query_seconds >= 60 && st === 'active') tr.classList.add('long');

      tr.appendChild(el('td', { className: 'num' }, pid === null ? '—' : pid));
      tr.appendChild(el('td', { className: 'state' }, st || '—'));
      tr.appendChild(el('td', null, str(s.datname) || '—'));
      tr.appendChild(el('td', null, str(s.user) || '—'));
      tr.appendChild(el('td', { className: 'clip', title: str(s.application) }, str(s.application) || '—'));
      tr.appendChild(el('td', { className: 'clip', title: str(s.client) }, str(s.client) || '—'));
      var wait = [str(s.wait_event_type), str(s.wait_event)].filter(Boolean).join(': ');
      tr.appendChild(el('td', { className: wait ? 'wait' : null }, wait || '—'));
      tr.appendChild(el('td', { className: 'num', title: str(s.xact_start) }, fmtDuration(s.xact_seconds)));
      tr.appendChild(el('td', { className: 'num', title: str(s.query_start) }, fmtDuration(s.query_seconds)));
      var bcell = el('td', { className: 'blockers' });
      if (!blockedBy.length) bcell.textContent = '—';
      blockedBy.forEach(function (p, i) {
        if (i) bcell.appendChild(document.createTextNode(' '));
        bcell.appendChild(el('button', { type: 'button', className: 'pid-link', dataset: { blocker: p }, title: 'show session ' + p }, p));
      });
      tr.appendChild(bcell);
      tr.appendChild(queryCell(s, '(no query text)', 'not visible to the agent'));
      frag.appendChild(tr);
    });
    if (!list.length) {
      frag.appendChild(el('tr', { className: 'empty' }, el('td', { colspan: 11 }, 'No session is active right now.')));
    }
    ui.sessionsBody.replaceChildren(frag);
    ui.sessions.setAttribute('aria-busy', 'false');

    var sum = data.summary || {};
    var parts = [
      fmtCount(sum.sessions) + ' session' + (sum.sessions === 1 ? '' : 's'),
      fmtCount(sum.active) + ' active',
      fmtCount(sum.idle_in_transaction) + ' idle in transaction',
      fmtCount(sum.blocked) + ' blocked'
    ];
    if (data.truncated === true) parts.push('showing the oldest ' + list.length);
    setText(ui.activitySummary, parts.join(' · '));
    ui.activitySummary.classList.toggle('alert', num(sum.blocked) > 0);
    ui.activity.classList.remove('stale');
  }

  function jumpToSession(pid) {
    var tr = findRow(ui.sessionsBody, 'pid', pid);
    if (!tr) return;
    tr.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    tr.classList.remove('flash');
    void tr.offsetWidth;       // restart the animation
    tr.classList.add('flash');
  }

  // ---------------------------------------------------------------- redis slow log

  function renderSlowlog(data) {
    var list = arr(data).filter(function (e) { return e && typeof e === 'object'; });
    var frag = document.createDocumentFragment();
    list.forEach(function (e) {
      var t = num(e.time);
      var d = t === null ? null : new Date(t * 1000);
      var tr = el('tr', { dataset: { slowlogId: num(e.id) === null ? '' : e.id } });
      tr.appendChild(el('td', { className: 'num' }, num(e.id) === null ? '—' : e.id));
      tr.appendChild(el('td', { className: 'time', title: d ? d.toISOString() : null }, d ? localDateTime(d) : '—'));
      tr.appendChild(el('td', { className: 'num' }, fmtDuration(e.duration_seconds)));
      var cmd = str(e.command);
      var mark = e.own === true ? el('span', { className: 'own-mark', title: 'a command dbpulse sends itself' }, 'dbpulse') : null;
      if (e.own === true) tr.dataset.own = 'true';
      tr.appendChild(el('td', { className: 'query', title: cmd === null ? null : clip(cmd, 1000) }, mark, cmd === null ? '—' : cmd));
      tr.appendChild(el('td', { className: 'clip', title: str(e.client) }, str(e.client) || '—'));
      tr.appendChild(el('td', { className: 'clip', title: str(e.client_name) }, str(e.client_name) || '—'));
      frag.appendChild(tr);
    });
    if (!list.length) frag.appendChild(el('tr', { className: 'empty' }, el('td', { colspan: 6 }, 'The slow log is empty.')));
    ui.slowlogBody.replaceChildren(frag);
    ui.slowlogTable.setAttribute('aria-busy', 'false');

    var parts = [list.length + ' entr' + (list.length === 1 ? 'y' : 'ies') + ', newest first'];
    var slowest = list.reduce(function (m, e) { return num(e.duration_seconds) !== null && e.duration_seconds > m ? e.duration_seconds : m; }, 0);
    if (list.length) parts.push('slowest ' + fmtDuration(slowest));
    var own = list.filter(function (e) { return e.own === true; }).length;
    parts.push(state.own ? own + ' of them dbpulse\'s own' : 'dbpulse\'s own commands left out');
    setText(ui.slowlogSummary, parts.join(' · '));
    ui.slowlog.classList.remove('stale');
  }

  // ---------------------------------------------------------------- advice (api/advice)

  // The advisor's last pass changes every advice_interval (10 min by default): read it every
  // ADVICE_INTERVAL seconds and when the target changes, on a cycle of its own; every
  // ADVICE_RETRY seconds while the first pass has not ended (503) or after a failure.
  var ADVICE_INTERVAL = 30;
  var ADVICE_RETRY = 5;
  var ADVICE_GROUP_ROWS = 50;    // findings shown per severity before "show all"
  var PLAN_NODES = 400;          // plan nodes drawn at most
  var ESTIMATE_FAR = 10;         // estimated rows >= 10x or <= 0.1x the rows per call: said
  var SEVERITIES = ['critical', 'warning', 'info'];
  var INDEX_KINDS = { unused_index: 1, duplicate_index: 1, redundant_index: 1, invalid_index: 1, index_bloat: 1 };

  // state: 'none' (not a PostgreSQL target), 'loading', 'ok', 'pending' (503), 'off', 'error'
  var advice = { target: null, state: 'none', data: null, error: null, at: 0 };
  var adviceTimer = null;
  var adviceInflight = null;
  // the plans (kind=plan, listed only when asked for): read once per pass, when a detail is open;
  // key: the target and the pass they were asked for; state: 'loading', 'ok', 'error', 'unknown'
  // (an agent whose /api/advice has no kind=plan)
  var plans = { key: null, state: 'none', data: null, error: null, at: 0 };
  var plansInflight = null;
  var adviceDrawn = '';          // signature of the findings drawn (a new pass redraws them)
  var adviceOpen = { critical: true, warning: true, info: true };
  var adviceShowAll = {};
  var planOpen = false;          // the plan of the selected statement is unfolded

  function adviceOn(t) { return !!t && t.kind === 'postgres' && arr(t.views).indexOf('advice') >= 0; }

  // an identifier as quote_ident writes it (keywords aside)
  function ident(s) {
    s = String(s);
    return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : '"' + s.replace(/"/g, '""') + '"';
  }
  function qualified(schema, name) {
    if (str(name) === null) return null;
    return str(schema) === null ? ident(name) : ident(schema) + '.' + ident(name);
  }

  function planFindings() {
    if (plans.state !== 'ok' || !plans.data) return [];
    return arr(plans.data.findings).filter(function (f) { return f && f.kind === 'plan'; });
  }

  function plansKey() { return advice.target + '\n' + (advice.data && advice.data.started_at || ''); }

  // reads the plans of the pass the findings come from, once (again after a failure, with the
  // findings' next read)
  function ensurePlans() {
    if (advice.state !== 'ok' || !advice.data) return;
    var key = plansKey();
    if (plans.key === key && (plans.state !== 'error' || plans.at === advice.at)) return;
    if (plansInflight) plansInflight.abort();
    var at = advice.at;
    plans = { key: key, state: 'loading', data: null, error: null, at: at };
    var ctl = new AbortController();
    plansInflight = ctl;
    fetchJSON('api/advice', { target: advice.target, kind: 'plan' }, ctl.signal).then(function (d) {
      plans = { key: key, state: 'ok', data: d && typeof d === 'object' ? d : {}, error: null, at: at };
    }, function (e) {
      if (isAbort(e)) throw e;
      plans = { key: key, state: e && e.status === 400 ? 'unknown' : 'error', data: null,
        error: e && e.message ? e.message : String(e), at: at };
    }).then(function () {
      if (plansInflight !== ctl) return;
      plansInflight = null;
      ui.plan.dataset.drawn = '';
      drawPlan();
    }, function () { /* aborted */ });
  }

  function scheduleAdvice(seconds) {
    clearTimeout(adviceTimer);
    adviceTimer = setTimeout(function () {
      adviceTimer = null;
      if (!document.hidden) loadAdvice();            // else resumed by visibilitychange
    }, seconds * 1000);
  }

  function loadAdvice() {
    clearTimeout(adviceTimer);
    adviceTimer = null;
    if (adviceInflight) { adviceInflight.abort(); adviceInflight = null; }
    var t = currentTarget();
    if (!t || t.kind !== 'postgres') {
      advice = { target: t ? t.name : null, state: 'none', data: null, error: null, at: 0 };
      drawAdvice();
      return;
    }
    if (!adviceOn(t)) {
      // looked at again with /api/targets' next answer (a reload may turn it on)
      advice = { target: t.name, state: 'off', data: null, error: null, at: Date.now() };
      drawAdvice();
      drawPlan();
      scheduleAdvice(ADVICE_INTERVAL);
      return;
    }
    var name = t.name;
    if (advice.target !== name) {
      advice = { target: name, state: 'loading', data: null, error: null, at: 0 };
      drawAdvice();
      drawPlan();
    }
    var ctl = new AbortController();
    adviceInflight = ctl;
    fetchJSON('api/advice', { target: name }, ctl.signal).then(function (d) {
      advice = { target: name, state: 'ok', data: d && typeof d === 'object' ? d : {}, error: null, at: Date.now() };
    }, function (e) {
      if (isAbort(e)) throw e;
      var msg = e && e.message ? e.message : String(e);
      if (e && e.status === 503) advice = { target: name, state: 'pending', data: null, error: msg, at: Date.now() };
      else if (e && e.status === 404) advice = { target: name, state: 'off', data: null, error: msg, at: Date.now() };
      else if (advice.target === name && advice.data) advice.error = msg;   // keep the last pass on screen, marked stale
      else advice = { target: name, state: 'error', data: null, error: msg, at: Date.now() };
    }).then(function () {
      if (adviceInflight !== ctl) return;
      adviceInflight = null;
      drawAdvice();
      drawPlan();
      scheduleAdvice(advice.state === 'ok' && !advice.error ? ADVICE_INTERVAL :
        advice.state === 'off' ? ADVICE_INTERVAL : ADVICE_RETRY);
    }, function () { /* aborted: a newer load runs */ });
  }

  // after each /api/targets: a target switched, or its advisor turned on or off by a reload
  function adviceFollowTarget() {
    var t = currentTarget();
    var name = t ? t.name : null;
    var none = !t || t.kind !== 'postgres';
    // (the advisor turned on or off by a reload is seen by the next scheduled load)
    if (advice.target !== name || none !== (advice.state === 'none')) loadAdvice();
  }

  // evidence values: sizes, ratios, percents, durations and epoch times written for people
  function isTimeKey(k) { return /(^|_)(since|at|time|timestamp)$/.test(k); }
  function fmtEvidence(key, v) {
    if (v === null || v === undefined) return { text: '—' };
    if (typeof v === 'boolean') return { text: v ? 'yes' : 'no' };
    if (typeof v === 'number') {
      if (/_bytes$/.test(key)) return { text: fmtBytes(v), title: fmtExact(v) + ' bytes' };
      if (/(_ratio|_frac|_freq|^selectivity)$/.test(key)) return { text: fmtPercent(v), title: String(v) };
      if (/_percent$/.test(key)) return { text: fmtFloat(v) + ' %' };
      if (/_seconds$/.test(key)) return { text: fmtDuration(v), title: fmtExact(v) + ' s' };
      if (/_ms$/.test(key)) return { text: fmtDuration(v / 1000), title: v + ' ms' };
      if (isTimeKey(key) && v > 1e8) {
        var d = new Date(v * 1000);
        return { text: localDateTime(d), title: d.toISOString() };
      }
      return { text: Number.isInteger(v) ? fmtExact(v) : fmtFloat(v), title: Number.isInteger(v) ? null : String(v) };
    }
    if (typeof v === 'string') return { text: v };
    if (Array.isArray(v) && v.every(function (x) { return x === null || typeof x !== 'object'; })) {
      return { text: v.map(function (x) { return x === null ? '—' : String(x); }).join(', ') || '—' };
    }
    if (Array.isArray(v) && v.every(function (x) { return x && typeof x === 'object' && str(x.column) !== null; })) {
      // suggested_index's columns: name (use, selectivity)
      return { text: v.map(function (x) {
        var more = [str(x.use), num(x.selectivity) === null ? null : 'selectivity ' + fmtPercent(x.selectivity)].filter(Boolean);
        return ident(x.column) + (more.length ? ' (' + more.join(', ') + ')' : '');
      }).join(', ') };
    }
    if (Array.isArray(v) && v.every(function (x) { return x && typeof x === 'object' && str(x.queryid) !== null; })) {
      // the statements a finding rests on: how many, their texts in the title
      return { text: v.length + ' statement' + (v.length === 1 ? '' : 's') + ': ' + v.map(function (x) { return x.queryid; }).join(', '),
        title: v.slice(0, 10).map(function (x) {
          return x.queryid + (num(x.calls) !== null ? ' (' + fmtExact(x.calls) + ' calls)' : '') + ': ' + clip(str(x.query) || '', 300);
        }).join('\n') };
    }
    var j = JSON.stringify(v);
    return { text: clip(j, 200), title: j.length > 200 ? clip(j, 2000) : null };
  }

  function evidenceList(ev, skip) {
    var dl = el('dl', { className: 'evidence' });
    if (!ev || typeof ev !== 'object' || Array.isArray(ev)) return dl;
    Object.keys(ev).forEach(function (k) {
      if (skip && skip[k]) return;
      var f = fmtEvidence(k, ev[k]);
      dl.appendChild(el('div', { dataset: { key: k } },
        el('dt', { title: k }, k.replace(/_/g, ' ')),
        el('dd', { title: f.title || null, className: /_definition$/.test(k) ? 'mono' : null }, f.text)));
    });
    return dl;
  }

  // what a finding is about: "table public.t · index i", "sequence s", "database d"
  function objectParts(f) {
    var parts = [];
    var table = qualified(f.schema, f.table);
    var obj = str(f.object);
    var kind = str(f.kind) || '';
    if (table) parts.push(['table', table]);
    if (obj !== null) {
      var what = INDEX_KINDS[kind] ? 'index' : kind === 'fk_without_index' ? 'constraint' :
        kind === 'sequence_exhaustion' ? 'sequence' : kind === 'plan' ? 'queryid' :
        table ? 'object' : kind === 'wraparound' ? 'database' : 'object';
      // an index or sequence lives in the table's schema: qualify it when there is no table
      var shown = what === 'database' || what === 'queryid' ? obj :
        table ? ident(obj) : qualified(f.schema, obj);
      parts.push([what, shown]);
    }
    return parts;
  }

  function copyButton(text, pre, label) {
    var b = el('button', { type: 'button', className: 'copy small-button', title: 'copy the SQL' }, 'Copy');
    var timer = null;
    function done(ok) {
      setText(b, ok ? 'copied' : 'selected: press Ctrl+C');
      b.classList.toggle('copied', ok);
      setText(ui.adviceLive, ok ? 'copied the SQL of ' + label : 'the SQL of ' + label + ' is selected: press Ctrl+C to copy it');
      clearTimeout(timer);
      timer = setTimeout(function () { setText(b, 'Copy'); b.classList.remove('copied'); }, 2500);
    }
    function selectFallback() {
      var sel = window.getSelection && window.getSelection();
      if (!sel || !document.createRange) return false;
      var r = document.createRange();
      r.selectNodeContents(pre);
      sel.removeAllRanges();
      sel.addRange(r);
      try { return document.execCommand('copy') === true; } catch (e) { return false; }
    }
    b.addEventListener('click', function () {
      if (window.isSecureContext && navigator.clipboard && typeof navigator.clipboard.writeText === 'function') {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(selectFallback()); });
      } else {
        done(selectFallback());
      }
    });
    return b;
  }

  function findingItem(f) {
    var sev = SEVERITIES.indexOf(f.severity) >= 0 ? f.severity : 'info';
    var kind = str(f.kind) || '?';
    var li = el('li', { className: 'finding sev-' + sev, dataset: { kind: kind, severity: sev } });
    var head = el('div', { className: 'finding-head' },
      el('span', { className: 'kind', title: kind }, kind.replace(/_/g, ' ')),
      el('span', { className: 'db', title: 'database' }, str(f.datname) || '—'));
    var label = kind.replace(/_/g, ' ');
    objectParts(f).forEach(function (p) {
      head.appendChild(el('span', { className: 'obj' }, el('span', { className: 'muted' }, p[0] + ' '),
        el('span', { className: 'mono' }, p[1])));
      label += ' ' + p[1];
    });
    li.appendChild(head);
    if (str(f.summary)) li.appendChild(el('p', { className: 'finding-summary' }, f.summary));
    li.appendChild(evidenceList(f.evidence));
    var sql = str(f.action_sql);
    if (sql !== null && sql !== '') {
      var pre = el('pre', { className: 'action-sql' }, sql);
      li.appendChild(el('div', { className: 'sql' }, pre, copyButton(sql, pre, label)));
    }
    return li;
  }

  function drawAdviceGroups(findings) {
    var frag = document.createDocumentFragment();
    SEVERITIES.forEach(function (sev) {
      var list = findings.filter(function (f) { return (SEVERITIES.indexOf(f.severity) >= 0 ? f.severity : 'info') === sev; });
      if (!list.length) return;
      var details = el('details', { className: 'sev-group sev-' + sev, dataset: { severity: sev } });
      details.open = adviceOpen[sev] !== false;
      details.addEventListener('toggle', function () { adviceOpen[sev] = details.open; });
      details.appendChild(el('summary', null, el('span', { className: 'sev-name' }, sev),
        el('span', { className: 'muted' }, ' · ' + list.length + ' finding' + (list.length === 1 ? '' : 's'))));
      var ul = el('ul', { className: 'findings' });
      var shown = adviceShowAll[sev] ? list.length : Math.min(list.length, ADVICE_GROUP_ROWS);
      for (var i = 0; i < shown; i++) ul.appendChild(findingItem(list[i]));
      details.appendChild(ul);
      if (shown < list.length) {
        var more = el('button', { type: 'button', className: 'small-button more' }, 'show all ' + list.length);
        more.addEventListener('click', function () {
          adviceShowAll[sev] = true;
          adviceDrawn = '';
          drawAdvice();
          var again = ui.adviceGroups.querySelector('details[data-severity="' + sev + '"] li.finding:nth-child(' + (shown + 1) + ')');
          if (again) { again.tabIndex = -1; again.focus({ preventScroll: false }); }
        });
        details.appendChild(more);
      }
      frag.appendChild(details);
    });
    if (!findings.length) frag.appendChild(el('p', { className: 'panel-message' }, 'No finding: the last pass found nothing to act on.'));
    ui.adviceGroups.replaceChildren(frag);
  }

  function drawAdviceCounts(counts) {
    var frag = document.createDocumentFragment();
    SEVERITIES.forEach(function (sev) {
      var n = counts ? counts[sev] || 0 : null;
      var b = el('span', { className: 'count sev-' + sev + (n ? '' : ' zero'), dataset: { severity: sev } },
        n === null ? '' : String(n), el('span', { className: 'count-name' }, ' ' + sev));
      if (n !== null) frag.appendChild(b);
    });
    ui.adviceCounts.replaceChildren(frag);
  }

  function drawAdvice() {
    var t = currentTarget();
    var pg = !!t && t.kind === 'postgres';
    ui.advice.hidden = !pg || advice.state === 'none';
    if (ui.advice.hidden) return;
    ui.advice.dataset.state = advice.state;
    ui.advice.dataset.target = advice.target || '';
    ui.advice.classList.toggle('stale', !!advice.error && advice.state === 'ok');
    var message = null, data = advice.data;

    if (advice.state !== 'ok') {
      adviceDrawn = '';
      ui.adviceGroups.replaceChildren();
      ui.adviceNotes.replaceChildren();
      ui.adviceNotesWrap.hidden = true;
      drawAdviceCounts(null);
      ui.adviceSummary.className = 'summary';
      setText(ui.adviceSummary, '');
      message = advice.state === 'loading' ? 'Loading the advisor\'s findings…' :
        advice.state === 'pending' ? 'The advisor\'s first pass over ' + advice.target + ' has not finished yet: looking again every ' + ADVICE_RETRY + ' s.' :
        advice.state === 'off' ? 'The advisor is off for this target (advice = false in its section).' :
        'The advisor\'s findings could not be read: ' + (advice.error || 'unknown error') + ' (retrying every ' + ADVICE_RETRY + ' s).';
      ui.adviceMessage.hidden = false;
      ui.adviceMessage.className = 'panel-message' + (advice.state === 'error' ? ' error' : '');
      setText(ui.adviceMessage, message);
      return;
    }

    var findings = arr(data.findings).filter(function (f) { return f && typeof f === 'object' && f.kind !== 'plan'; });
    var counts = { critical: 0, warning: 0, info: 0 };
    findings.forEach(function (f) { counts[SEVERITIES.indexOf(f.severity) >= 0 ? f.severity : 'info']++; });
    drawAdviceCounts(counts);

    var sig = [advice.target, data.started_at, findings.length, arr(data.notes).length].join('\n');
    if (sig !== adviceDrawn) {
      adviceDrawn = sig;
      drawAdviceGroups(findings);
      var notes = arr(data.notes).filter(function (n) { return n && typeof n === 'object'; });
      var nfrag = document.createDocumentFragment();
      notes.forEach(function (n) {
        nfrag.appendChild(el('li', { dataset: { kind: str(n.kind) || '' } },
          str(n.datname) ? el('span', { className: 'db' }, n.datname) : null,
          str(n.kind) ? el('span', { className: 'kind' }, n.kind.replace(/_/g, ' ')) : null,
          el('span', null, str(n.text) || '')));
      });
      ui.adviceNotes.replaceChildren(nfrag);
      ui.adviceNotesWrap.hidden = !notes.length;
    }

    var started = parseTime(data.started_at);
    var dbs = arr(data.databases);
    var bad = dbs.filter(function (d) { return d && d.ok === false; }).map(function (d) { return str(d.datname) || '?'; });
    var parts = [];
    if (started) parts.push('pass at ' + clock(started) + ' (' + ago(started) + ')');
    if (num(data.duration_seconds) !== null) parts.push('took ' + fmtDuration(data.duration_seconds));
    parts.push(dbs.length + ' database' + (dbs.length === 1 ? '' : 's'));
    if (bad.length) parts.push('could not read ' + bad.join(', '));
    if (advice.error) parts.push('last read failed: ' + advice.error);
    setText(ui.adviceSummary, parts.join(' · '));
    ui.adviceSummary.className = 'summary' + (bad.length || advice.error ? ' alert' : '');
    ui.adviceSummary.title = started ? started.toISOString() : '';
    ui.adviceMessage.hidden = true;
  }

  // ---------------------------------------------------------------- TimescaleDB (api/timescaledb)

  // The agent reads TimescaleDB's jobs every slow_interval (5 min by default): read its view every
  // TSDB_INTERVAL seconds and when the target changes, on a cycle of its own as the advice is; every
  // TSDB_RETRY seconds after a failure.  Only for a PostgreSQL target whose api/targets views list
  // "timescaledb" (a database of it has the extension): for any other, no panel at all.
  var TSDB_INTERVAL = 30;
  var TSDB_RETRY = 5;

  // state: 'none' (no panel), 'loading', 'ok', 'error'; on: the views listed timescaledb when loaded
  var tsdb = { target: null, on: false, state: 'none', data: null, error: null };
  var tsdbTimer = null;
  var tsdbInflight = null;

  function tsdbOn(t) { return !!t && t.kind === 'postgres' && arr(t.views).indexOf('timescaledb') >= 0; }

  function scheduleTsdb(seconds) {
    clearTimeout(tsdbTimer);
    tsdbTimer = setTimeout(function () {
      tsdbTimer = null;
      if (!document.hidden) loadTsdb();              // else resumed by visibilitychange
    }, seconds * 1000);
  }

  function resetTsdb() {
    if (tsdbInflight) { tsdbInflight.abort(); tsdbInflight = null; }
    clearTimeout(tsdbTimer);
    tsdbTimer = null;
    tsdb = { target: null, on: false, state: 'none', data: null, error: null };
    drawTsdb();
  }

  function loadTsdb() {
    clearTimeout(tsdbTimer);
    tsdbTimer = null;
    if (tsdbInflight) { tsdbInflight.abort(); tsdbInflight = null; }
    var t = currentTarget();
    if (!tsdbOn(t)) {
      // looked at again when api/targets lists the view (tsdbFollowTarget)
      tsdb = { target: t ? t.name : null, on: false, state: 'none', data: null, error: null };
      drawTsdb();
      return;
    }
    var name = t.name;
    if (tsdb.target !== name || tsdb.state === 'none') {
      tsdb = { target: name, on: true, state: 'loading', data: null, error: null };
      drawTsdb();
    }
    var ctl = new AbortController();
    tsdbInflight = ctl;
    fetchJSON('api/timescaledb', { target: name }, ctl.signal).then(function (d) {
      tsdb = { target: name, on: true, state: 'ok', data: d && typeof d === 'object' ? d : {}, error: null };
    }, function (e) {
      if (isAbort(e)) throw e;
      var msg = e && e.message ? e.message : String(e);
      if (tsdb.target === name && tsdb.data) tsdb.error = msg;     // keep the last answer on screen, marked stale
      else tsdb = { target: name, on: true, state: 'error', data: null, error: msg };
    }).then(function () {
      if (tsdbInflight !== ctl) return;
      tsdbInflight = null;
      drawTsdb();
      scheduleTsdb(tsdb.state === 'ok' && !tsdb.error ? TSDB_INTERVAL : TSDB_RETRY);
    }, function () { /* aborted: a newer load runs */ });
  }

  // after each api/targets: a target switched, or the view came (the extension installed, its
  // first read) or went
  function tsdbFollowTarget() {
    var t = currentTarget();
    var name = t ? t.name : null;
    if (tsdb.target !== name || tsdb.on !== tsdbOn(t)) loadTsdb();
  }

  // "42 s ago", "7 min ago", "3 h ago", "2 d ago"
  function agoEpoch(epoch) {
    var s = Math.max(0, Math.round(Date.now() / 1000 - epoch));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 2 * 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  // "in 5 min", "in 2 h", "due" (past)
  function inEpoch(epoch) {
    var s = Math.round(epoch - Date.now() / 1000);
    if (s <= 0) return 'due ' + agoEpoch(epoch);
    if (s < 60) return 'in ' + s + ' s';
    if (s < 3600) return 'in ' + Math.floor(s / 60) + ' min';
    if (s < 2 * 86400) return 'in ' + Math.floor(s / 3600) + ' h';
    return 'in ' + Math.floor(s / 86400) + ' d';
  }
  // an epoch time: the clock for today, else the date too
  function shortTime(epoch) {
    var d = new Date(epoch * 1000);
    return d.toDateString() === new Date().toDateString() ? clock(d) : localDateTime(d);
  }
  function fullTime(epoch) {
    var d = new Date(epoch * 1000);
    return localDateTime(d) + ' (' + d.toISOString() + ')';
  }

  function jobId(x) { return num(x) === null ? '?' : String(x); }
  function failingJob(j) { return j.last_run === 'failure'; }

  // failing jobs first; otherwise the API's order (by database, then job id)
  function sortedJobs(jobs) {
    return jobs.map(function (j, i) { return { j: j, i: i }; }).sort(function (a, b) {
      return (failingJob(b.j) ? 1 : 0) - (failingJob(a.j) ? 1 : 0) || a.i - b.i;
    }).map(function (x) { return x.j; });
  }

  function jobRow(j) {
    var failing = failingJob(j);
    var tr = el('tr', { className: failing ? 'failing' : null, dataset: { jobId: jobId(j.job_id), datname: str(j.datname) || '' } });
    tr.appendChild(el('td', { className: 'num mono' }, jobId(j.job_id)));
    tr.appendChild(el('td', { className: 'text tsdb-db' }, str(j.datname) || '—'));
    var proc = str(j.proc_name);
    tr.appendChild(el('td', { className: 'text clip app', title: (str(j.application_name) || '') + (proc ? '\nprocedure ' + proc : '') },
      str(j.application_name) || '—',
      j.scheduled === false ? el('span', { className: 'paused-mark', title: 'not scheduled: it runs only when called' }, 'paused') : null));
    tr.appendChild(el('td', { className: 'text mono' }, str(j.hypertable) || '—'));
    tr.appendChild(j.last_run === 'success' ? el('td', { className: 'last-run ok', title: 'its last run succeeded' }, '✓') :
      failing ? el('td', { className: 'last-run bad', title: 'its last run failed' }, '✗', el('span', { className: 'failing-mark' }, 'failing')) :
      el('td', { className: 'last-run muted', title: 'it never ran' }, '—'));
    var ls = epochOf(j.last_success);
    tr.appendChild(ls === null ? el('td', { className: 'num muted', title: 'it never succeeded' }, 'never') :
      el('td', { className: 'num', title: fullTime(ls) }, agoEpoch(ls)));
    var ns = epochOf(j.next_start), every = num(j.schedule_interval_seconds);
    var nsTitle = ns === null ? null : inEpoch(ns);
    if (every !== null) nsTitle = (nsTitle ? nsTitle + ' · ' : '') + 'every ' + fmtDuration(every);
    tr.appendChild(ns === null ? el('td', { className: 'muted', title: nsTitle }, '—') :
      el('td', { title: nsTitle + '\n' + fullTime(ns) }, shortTime(ns)));
    var failures = num(j.failures), runs = num(j.runs);
    tr.appendChild(el('td', { className: 'num' + (failures ? ' bad' : ''), title: fmtExact(failures) + ' failed of ' + fmtExact(runs) + ' runs' },
      fmtCount(failures) + ' / ' + fmtCount(runs)));
    return tr;
  }

  function errorRow(e) {
    var at = epochOf(e.finish_time) !== null ? epochOf(e.finish_time) : epochOf(e.start_time);
    var proc = str(e.proc_name), ht = str(e.hypertable);
    var tr = el('tr', { dataset: { jobId: jobId(e.job_id), datname: str(e.datname) || '' } });
    tr.appendChild(at === null ? el('td', { className: 'time muted' }, '—') :
      el('td', { className: 'time', title: fullTime(at) + ' · ' + agoEpoch(at) }, shortTime(at)));
    tr.appendChild(el('td', { className: 'num mono', title: [proc ? 'procedure ' + proc : null, ht ? 'hypertable ' + ht : null].filter(Boolean).join('\n') || null },
      jobId(e.job_id)));
    tr.appendChild(el('td', { className: 'text tsdb-db' }, str(e.datname) || '—'));
    tr.appendChild(el('td', { className: 'message' }, str(e.message) === null ? '—' : e.message));
    tr.appendChild(el('td', { className: 'mono' }, str(e.sqlerrcode) || '—'));
    return tr;
  }

  function drawTsdbCounts(jobs, failing) {
    var frag = document.createDocumentFragment();
    if (jobs !== null) {
      frag.appendChild(el('span', { className: 'count zero', dataset: { count: 'jobs' } }, jobs + ' job' + (jobs === 1 ? '' : 's')));
      frag.appendChild(el('span', { className: 'count sev-critical' + (failing ? '' : ' zero'), dataset: { count: 'failing' } }, failing + ' failing'));
    }
    ui.tsdbCounts.replaceChildren(frag);
  }

  function drawTsdb() {
    var t = currentTarget();
    var data = tsdb.data;
    var dbs = data ? arr(data.databases).filter(function (d) { return d && typeof d === 'object'; }) : [];
    // nothing at all for a target without TimescaleDB (its answer lists no database)
    ui.tsdb.hidden = !tsdb.on || !t || t.name !== tsdb.target || tsdb.state === 'none' ||
      (tsdb.state === 'ok' && !dbs.length);
    ui.tsdb.dataset.state = tsdb.state;
    ui.tsdb.dataset.target = tsdb.target || '';
    if (ui.tsdb.hidden) {
      ui.tsdbJobsBody.replaceChildren();
      ui.tsdbErrorsBody.replaceChildren();
      return;
    }
    ui.tsdb.classList.toggle('stale', !!tsdb.error && tsdb.state === 'ok');
    if (tsdb.state !== 'ok') {
      ui.tsdbJobsBody.replaceChildren();
      ui.tsdbErrorsBody.replaceChildren();
      ui.tsdbJobs.hidden = true;
      ui.tsdbErrorsWrap.hidden = true;
      drawTsdbCounts(null, 0);
      setText(ui.tsdbSummary, '');
      ui.tsdbMessage.hidden = false;
      ui.tsdbMessage.className = 'panel-message' + (tsdb.state === 'error' ? ' error' : '');
      setText(ui.tsdbMessage, tsdb.state === 'loading' ? 'Loading TimescaleDB\'s jobs…' :
        'TimescaleDB\'s jobs could not be read: ' + (tsdb.error || 'unknown error') + ' (retrying every ' + TSDB_RETRY + ' s).');
      return;
    }
    ui.tsdbMessage.hidden = true;
    ui.tsdbJobs.hidden = false;
    ui.tsdbErrorsWrap.hidden = false;
    ui.tsdb.dataset.collectedAt = epochOf(data.collected_at) === null ? '' : String(epochOf(data.collected_at));
    var multi = dbs.length > 1;
    ui.tsdbJobs.classList.toggle('multi-db', multi);
    ui.tsdbErrors.classList.toggle('multi-db', multi);

    var jobs = sortedJobs(arr(data.jobs).filter(function (j) { return j && typeof j === 'object'; }));
    var failing = jobs.filter(failingJob).length;
    drawTsdbCounts(jobs.length, failing);
    var frag = document.createDocumentFragment();
    jobs.forEach(function (j) { frag.appendChild(jobRow(j)); });
    if (!jobs.length) frag.appendChild(el('tr', { className: 'empty' }, el('td', { colspan: 8 }, 'No background job.')));
    ui.tsdbJobsBody.replaceChildren(frag);

    var errors = arr(data.job_errors).filter(function (e) { return e && typeof e === 'object'; });
    var efrag = document.createDocumentFragment();
    errors.forEach(function (e) { efrag.appendChild(errorRow(e)); });
    ui.tsdbErrorsBody.replaceChildren(efrag);
    ui.tsdbErrors.hidden = !errors.length;
    setText(ui.tsdbErrorsCount, errors.length ? '· ' + errors.length : '');
    // TimescaleDB before 2.12 has no job_errors view
    var without = dbs.filter(function (d) { return d.job_errors === false && d.ok !== false; })
      .map(function (d) { return (str(d.datname) || '?') + (str(d.version) ? ' (' + d.version + ')' : ''); });
    var msg = errors.length ? null : 'No job error recorded.';
    if (without.length) msg = (msg ? msg + ' ' : '') + 'TimescaleDB keeps no job errors before 2.12: ' + without.join(', ') + '.';
    ui.tsdbErrorsMessage.hidden = msg === null;
    setText(ui.tsdbErrorsMessage, msg);

    var parts = [];
    var versions = dbs.map(function (d) { return (str(d.version) || '?') + ' in ' + (str(d.datname) || '?'); });
    parts.push('version ' + versions.join(', '));
    var at = epochOf(data.collected_at);
    if (at !== null) parts.push('read at ' + clock(new Date(at * 1000)) + ' (' + agoEpoch(at) + ')');
    var bad = dbs.filter(function (d) { return d.ok === false; }).map(function (d) { return str(d.datname) || '?'; });
    if (bad.length) parts.push('could not read ' + bad.join(', '));
    if (tsdb.error) parts.push('last read failed: ' + tsdb.error);
    setText(ui.tsdbSummary, parts.join(' · '));
    ui.tsdbSummary.className = 'summary' + (bad.length || tsdb.error ? ' alert' : '');
  }

  // ---------------------------------------------------------------- plan of the selected statement

  // the plan finding of a statement: same queryid (as text), its database when it has one
  function planFor(s) {
    var id = str(s.queryid) || String(s.queryid);
    var same = planFindings().filter(function (f) { return String(f.object) === id; });
    var here = same.filter(function (f) { return f.datname === s.datname; });
    return here[0] || same[0] || null;
  }

  function planMissingWhy(s) {
    var t = currentTarget();
    if (s.own === true) return 'dbpulse\'s own statements are not planned.';
    if (!adviceOn(t) || advice.state === 'off') return 'The advisor is off for this target (advice = false): it makes the plans.';
    if (advice.state === 'loading') return 'Reading the advisor\'s findings…';
    if (advice.state === 'pending') return 'The advisor\'s first pass has not finished yet: the plans come with it.';
    if (advice.state !== 'ok') return 'The advisor\'s findings could not be read' + (advice.error ? ': ' + advice.error : '.');
    if (plans.state === 'loading' || plans.key !== plansKey()) return 'Reading the advisor\'s plans…';
    if (plans.state === 'unknown') return 'This agent\'s advisor makes no plans (' + plans.error + ').';
    if (plans.state !== 'ok') return 'The advisor\'s plans could not be read: ' + plans.error + ' (tried again in ' + ADVICE_INTERVAL + ' s).';
    // the pass's notes about plans, those of the statement's database first
    var notes = arr(plans.data.notes).filter(function (n) { return n && n.kind === 'plan' && str(n.text); });
    var mine = notes.filter(function (n) { return !str(n.datname) || n.datname === s.datname; });
    var texts = mine.map(function (n) { return (str(n.datname) ? n.datname + ': ' : '') + n.text; });
    var started = parseTime(plans.data.started_at);
    var when = started ? ' (its last pass started at ' + clock(started) + ')' : '';
    var why;
    if (!planFindings().length && !notes.length) {
      why = 'The advisor made no plan' + when + ': advice_plans = true in the target\'s section turns plans on ' +
        '(the agent\'s role then needs SELECT on the tables: pg_read_all_data).';
    } else if (!planFindings().length) {
      why = 'The advisor made no plan' + when + '.';
    } else {
      why = 'No plan for this statement: each pass plans the costliest statements (advice_statements of them, by total ' +
        'time over the longest window)' + when + ', and this one was not among them, or came since.';
    }
    return texts.length ? why + ' ' + texts.join(' ') : why;
  }

  function planNode(node, hot, depth, budget) {
    var li = el('li', { className: 'plan-node' });
    var type = str(node['Node Type']) || '?';
    var line = el('div', { className: 'node-line' });
    var name = type;
    if (str(node.Strategy) && node.Strategy !== 'Plain' && type === 'Aggregate') name = node.Strategy + ' ' + name;
    if (str(node['Join Type']) && node['Join Type'] !== 'Inner') name += ' (' + node['Join Type'] + ')';
    line.appendChild(el('span', { className: 'node-type' }, name));
    var rel = str(node['Relation Name']);
    var relText = rel === null ? null : qualified(node.Schema, rel);
    var idx = str(node['Index Name']);
    if (idx !== null) line.appendChild(el('span', { className: 'node-rel' }, ' using ', el('span', { className: 'mono' }, ident(idx))));
    if (relText !== null) {
      line.appendChild(el('span', { className: 'node-rel' }, ' on ', el('span', { className: 'mono' }, relText)));
      if (str(node.Alias) && node.Alias !== rel) line.appendChild(el('span', { className: 'muted mono' }, ' ' + ident(node.Alias)));
    } else if (str(node['CTE Name'])) {
      line.appendChild(el('span', { className: 'node-rel' }, ' on CTE ', el('span', { className: 'mono' }, ident(node['CTE Name']))));
    } else if (str(node['Function Name'])) {
      line.appendChild(el('span', { className: 'node-rel' }, ' on ', el('span', { className: 'mono' }, node['Function Name'] + '()')));
    }
    if (str(node['Subplan Name'])) line.appendChild(el('span', { className: 'muted' }, ' (' + node['Subplan Name'] + ')'));
    var sc = num(node['Startup Cost']), tc = num(node['Total Cost']);
    line.appendChild(el('span', { className: 'node-cost', title: 'estimated cost: startup..total' },
      'cost ' + (sc === null ? '?' : sc.toFixed(2)) + '..' + (tc === null ? '?' : tc.toFixed(2))));
    line.appendChild(el('span', { className: 'node-rows', title: 'estimated rows' + (num(node['Plan Width']) !== null ? ', ' + node['Plan Width'] + ' bytes wide' : '') },
      'rows ' + fmtCount(node['Plan Rows'])));
    // (EXPLAIN names a relation's schema only with VERBOSE: without one, the table's name alone)
    var scan = /Seq Scan$/.test(type) && rel !== null ?
      hot[str(node.Schema) === null ? '\u0000' + rel : node.Schema + '\u0000' + rel] : null;
    if (scan) {
      li.classList.add('hot');
      li.dataset.hot = 'true';
      line.appendChild(el('span', { className: 'hot-mark', title: 'a sequential scan over a large table' },
        'sequential scan of ' + (num(scan.table_bytes) !== null ? fmtBytes(scan.table_bytes) : 'a large table')));
    }
    li.appendChild(line);
    ['Index Cond', 'Recheck Cond', 'Hash Cond', 'Merge Cond', 'Join Filter', 'Filter', 'Sort Key', 'Group Key'].forEach(function (k) {
      var v = node[k];
      if (Array.isArray(v)) v = v.filter(function (x) { return typeof x === 'string'; }).join(', ');
      if (str(v) !== null && v !== '') li.appendChild(el('div', { className: 'node-cond' }, el('span', { className: 'muted' }, k + ': '), v));
    });
    budget.n--;
    var kids = arr(node.Plans).filter(function (c) { return c && typeof c === 'object'; });
    if (kids.length && depth < 64) {
      var ul = el('ul');
      for (var i = 0; i < kids.length; i++) {
        if (budget.n <= 0) { ul.appendChild(el('li', { className: 'plan-node muted' }, '… (' + PLAN_NODES + ' nodes shown)')); break; }
        ul.appendChild(planNode(kids[i], hot, depth + 1, budget));
      }
      li.appendChild(ul);
    }
    return li;
  }

  function estimateLine(ev) {
    var r = num(ev.estimate_ratio), est = num(ev.plan_rows), real = num(ev.rows_per_call);
    if (r === null || r <= 0 || (r < ESTIMATE_FAR && r > 1 / ESTIMATE_FAR)) return null;
    var off = r >= 1 ? round3(r) + '× too many' : round3(1 / r) + '× too few';
    return 'Estimate vs reality: the planner expects ' + fmtCount(est) + ' row' + (est === 1 ? '' : 's') +
      ', the statement returns ' + fmtFloat(real) + ' per call on average (' + off + '). ' +
      'Stale statistics (ANALYZE), correlated columns or the generic plan\'s unknown parameters can make it.';
  }

  function drawPlan() {
    if (ui.detail.hidden || selectedQueryId === null) return;
    var s = findStatement(selectedQueryId);
    if (!s) return;
    ensurePlans();
    var f = planFor(s);
    ui.plan.dataset.queryid = selectedQueryId;
    ui.plan.dataset.state = f ? 'plan' : 'none';
    if (!f) {
      ui.planToggle.hidden = true;
      ui.planBody.hidden = true;
      ui.plan.dataset.drawn = '';
      ui.planTree.replaceChildren();
      setText(ui.planNote, planMissingWhy(s));
      return;
    }
    var ev = f.evidence && typeof f.evidence === 'object' ? f.evidence : {};
    var started = parseTime(plans.data.started_at);
    setText(ui.planNote, 'the generic plan' + (started ? ' from the advisor\'s pass at ' + clock(started) : '') +
      (num(ev.total_cost) !== null ? ' · total cost ' + grouped.format(ev.total_cost) : '') +
      (arr(ev.seq_scans).length ? ' · ' + arr(ev.seq_scans).length + ' sequential scan' + (arr(ev.seq_scans).length === 1 ? '' : 's') + ' of a large table' : ''));
    ui.planToggle.hidden = false;
    ui.planToggle.setAttribute('aria-expanded', planOpen ? 'true' : 'false');
    setText(ui.planToggle, planOpen ? 'hide the plan' : 'show the plan');
    ui.planBody.hidden = !planOpen;

    var sig = selectedQueryId + '\n' + (plans.data.started_at || '') + '\n' + (f.datname || '');
    if (ui.plan.dataset.drawn === sig) return;
    ui.plan.dataset.drawn = sig;
    var facts = [];
    if (str(f.summary)) facts.push(f.summary);
    var how = str(ev.method) === 'generic_plan' ? 'generic plan: parameters unknown (as NULL), as a prepared statement would get' : str(ev.method);
    if (how) facts.push('(' + how + ')');
    setText(ui.planSummary, facts.join(' '));
    var est = estimateLine(ev);
    ui.planEstimate.hidden = est === null;
    setText(ui.planEstimate, est);
    var hot = {};
    arr(ev.seq_scans).forEach(function (x) {
      if (!x || str(x.table) === null) return;
      hot[(str(x.schema) || '') + '\u0000' + x.table] = x;
      hot['\u0000' + x.table] = x;
    });
    var plan = ev.plan && typeof ev.plan === 'object' ? ev.plan : null;
    ui.planTree.replaceChildren(plan ? planNode(plan, hot, 0, { n: PLAN_NODES }) :
      el('li', { className: 'muted' }, num(ev.plan_omitted_bytes) !== null ?
        'The plan was too large to keep (' + fmtBytes(ev.plan_omitted_bytes) + ' of JSON): its figures are above.' :
        'The finding carries no plan.'));
  }

  // ---------------------------------------------------------------- refresh cycle

  function setStatus(errors, t, collectedAt) {
    var now = new Date();
    if (errors.length) {
      ui.status.className = 'error';
      setText(ui.status, clock(now) + ' — ' + errors.join('; '));
      return;
    }
    var parts = ['Updated ' + clock(now)];
    var c = parseTime(collectedAt);
    if (c) parts.push('collected ' + clock(c) + ' (' + ago(c) + ')');
    if (t) parts.push('every ' + intervalOf(t) + ' s');
    ui.status.className = t && t.up === false ? 'warn' : '';
    if (t && t.up === false) parts.push(t.name + ' is down');
    if (t && t.up === null) parts.push(t.name + ' not collected yet');
    setText(ui.status, parts.join(' · '));
  }

  function intervalOf(t) {
    var s = t ? num(t.interval_seconds) : null;
    return Math.max(MIN_INTERVAL, s === null ? DEFAULT_INTERVAL : s);
  }

  function schedule(seconds) {
    clearTimeout(timer);
    timer = setTimeout(tick, seconds * 1000);
  }

  function tick() {
    if (document.hidden) { timer = null; return; }   // resumed by visibilitychange
    refresh();
  }

  function refresh() {
    clearTimeout(timer);
    if (inflight) inflight.abort();
    var ctl = new AbortController();
    inflight = ctl;
    var errors = [];
    var collectedAt = null;
    var failed = false;

    function note(what, panel) {
      return function (e) {
        if (isAbort(e)) throw e;
        failed = true;
        errors.push(what + ': ' + (e && e.message ? e.message : String(e)));
        if (panel) panel.classList.add('stale');
      };
    }

    var p = loadTargets(ctl.signal).catch(note('targets')).then(function () {
      if (ctl.signal.aborted) return;
      var t = currentTarget();
      applyTarget();
      if (!t) {
        if (!errors.length && !targets.length) errors.push('no PostgreSQL or Redis target is configured');
        return;
      }
      if (t.kind === 'postgres') {
        if (ui.statements.dataset.window !== state.window || ui.statements.dataset.sort !== state.sort ||
            ui.statements.dataset.target !== t.name || ui.statements.dataset.own !== String(state.own)) {
          ui.statements.setAttribute('aria-busy', 'true');
        }
        return Promise.all([
          fetchJSON('api/queries', { target: t.name, window: state.window, sort: state.sort, limit: LIMIT,
            include_own: state.own ? 1 : null }, ctl.signal)
            .then(function (d) {
              if (ctl.signal.aborted) return;
              renderStatements(d || {});
              ui.statements.dataset.target = t.name;
              collectedAt = d && d.collected_at;
            }).catch(note('statements', ui.statementsPanel)),
          fetchJSON('api/activity', { target: t.name }, ctl.signal)
            .then(function (d) {
              if (ctl.signal.aborted) return;
              renderActivity(d || {});
              collectedAt = collectedAt || (d && d.collected_at);
            }).catch(note('sessions', ui.activity))
        ]);
      }
      return fetchJSON('api/slowlog', { target: t.name, include_own: state.own ? 1 : null }, ctl.signal)
        .then(function (d) {
          if (ctl.signal.aborted) return;
          renderSlowlog(d);
          ui.slowlogTable.dataset.target = t.name;
          ui.slowlogTable.dataset.own = String(state.own);
          collectedAt = t.last_collect;
        }).catch(note('slow log', ui.slowlog));
    });

    p.then(function () {
      if (ctl.signal.aborted) return;
      setStatus(errors, currentTarget(), collectedAt);
    }, function (e) {
      if (!isAbort(e)) {
        ui.status.className = 'error';
        setText(ui.status, clock(new Date()) + ' — ' + (e && e.message ? e.message : String(e)));
        failed = true;
      }
    }).then(function () {
      if (inflight !== ctl) return;          // superseded by a newer refresh
      inflight = null;
      var t = currentTarget();
      schedule(failed ? Math.min(intervalOf(t), RETRY_INTERVAL) : intervalOf(t));
    });
  }

  // another target's figures must not stay on screen under this one's name (its fetch may fail)
  function clearPanels() {
    hideDetail();
    lastStatements = null;
    if (adviceInflight) { adviceInflight.abort(); adviceInflight = null; }
    clearTimeout(adviceTimer);
    adviceTimer = null;
    advice = { target: null, state: 'none', data: null, error: null, at: 0 };
    if (plansInflight) { plansInflight.abort(); plansInflight = null; }
    plans = { key: null, state: 'none', data: null, error: null, at: 0 };
    adviceDrawn = '';
    adviceShowAll = {};
    ui.advice.hidden = true;
    resetTsdb();
    [ui.statementsBody, ui.sessionsBody, ui.slowlogBody].forEach(function (b) { b.replaceChildren(); });
    [ui.statementsSummary, ui.activitySummary, ui.slowlogSummary].forEach(function (p) { setText(p, ''); });
    [ui.statements, ui.sessions, ui.slowlogTable].forEach(function (t) {
      delete t.dataset.target; delete t.dataset.window; delete t.dataset.sort; delete t.dataset.own;
      t.setAttribute('aria-busy', 'true');
    });
  }

  // ---------------------------------------------------------------- events

  function bind() {
    ui.target.addEventListener('change', function () {
      if (ui.target.value === state.target) return;
      state.target = ui.target.value || null;
      clearPanels();
      applyTarget();
      refresh();
    });

    ui.windows.addEventListener('click', function (ev) {
      var b = ev.target.closest('button[data-window]');
      if (!b || b.dataset.window === state.window) return;
      state.window = b.dataset.window;
      applyTarget();
      refresh();
    });

    // one switch, shown on the statements and on the slow log
    [ui.includeOwn, ui.includeOwnSlowlog].forEach(function (box) {
      box.addEventListener('change', function () {
        if (box.checked === state.own) return;
        state.own = box.checked;
        ui.includeOwn.checked = ui.includeOwnSlowlog.checked = state.own;
        writeHash();
        refresh();
      });
    });

    ui.statements.tHead.addEventListener('click', function (ev) {
      var th = ev.target.closest('th[data-sort]');
      if (!th) return;
      var sort = th.dataset.sort;
      if (SORTS.indexOf(sort) < 0) return;
      if (sort === state.sort && ui.statements.dataset.sort === sort) return;
      state.sort = sort;
      drawSortHeaders();
      writeHash();
      refresh();
    });

    ui.statementsBody.addEventListener('click', function (ev) {
      if (window.getSelection && String(window.getSelection()).length) return;   // selecting text, not clicking
      var tr = ev.target.closest('tr');
      if (tr) toggleRow(tr);
    });
    ui.statementsBody.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      var tr = ev.target.closest('tr');
      if (!tr || tr !== ev.target) return;
      ev.preventDefault();
      toggleRow(tr);
    });

    ui.detailClose.addEventListener('click', function () {
      var id = selectedQueryId;
      hideDetail();
      var tr = id === null ? null : findRow(ui.statementsBody, 'queryid', id);
      if (tr) tr.focus({ preventScroll: true });
    });
    document.addEventListener('keydown', function (ev) {
      if (ev.key === 'Escape' && !ui.detail.hidden) hideDetail();
    });

    ui.planToggle.addEventListener('click', function () {
      planOpen = !planOpen;
      drawPlan();
    });

    ui.sessionsBody.addEventListener('click', function (ev) {
      var b = ev.target.closest('button[data-blocker]');
      if (b) jumpToSession(b.dataset.blocker);
    });

    window.addEventListener('hashchange', function () {
      var h = readHash();
      if (h.target === state.target && h.window === state.window && h.sort === state.sort && h.own === state.own) return;
      if (h.target !== state.target) clearPanels();
      state = { target: h.target || state.target, window: h.window, sort: h.sort, own: h.own };
      ui.includeOwn.checked = ui.includeOwnSlowlog.checked = state.own;
      refresh();
    });

    document.addEventListener('visibilitychange', function () {
      if (!document.hidden && timer === null && inflight === null) refresh();
      if (!document.hidden && adviceTimer === null && adviceInflight === null && advice.state !== 'none') loadAdvice();
      if (!document.hidden && tsdbTimer === null && tsdbInflight === null && tsdb.on) loadTsdb();
    });
  }

  function init() {
    ui = {
      target: $('target'), targetState: $('target-state'), status: $('status'),
      windows: $('windows'), includeOwn: $('include-own'), includeOwnSlowlog: $('include-own-slowlog'),
      statementsPanel: $('statements-panel'), statements: $('statements'),
      statementsBody: $('statements').tBodies[0], statementsSummary: $('statements-summary'),
      baselineHead: $('baseline-head'),
      detail: $('detail'), detailQuery: $('detail-query'), detailFigures: $('detail-figures'),
      detailId: $('detail-id'), detailNote: $('detail-note'), detailClose: $('detail-close'),
      activity: $('activity'), sessions: $('sessions'), sessionsBody: $('sessions').tBodies[0],
      activitySummary: $('activity-summary'),
      slowlog: $('slowlog'), slowlogTable: $('slowlog-table'), slowlogBody: $('slowlog-table').tBodies[0],
      slowlogSummary: $('slowlog-summary'),
      advice: $('advice'), adviceCounts: $('advice-counts'), adviceSummary: $('advice-summary'),
      adviceMessage: $('advice-message'), adviceGroups: $('advice-groups'), adviceNotes: $('advice-notes'),
      adviceNotesWrap: $('advice-notes-wrap'), adviceLive: $('advice-live'),
      plan: $('plan'), planToggle: $('plan-toggle'), planNote: $('plan-note'), planBody: $('plan-body'),
      planSummary: $('plan-summary'), planEstimate: $('plan-estimate'), planTree: $('plan-tree'),
      tsdb: $('timescaledb'), tsdbCounts: $('tsdb-counts'), tsdbSummary: $('tsdb-summary'),
      tsdbMessage: $('tsdb-message'), tsdbJobs: $('tsdb-jobs'), tsdbJobsBody: $('tsdb-jobs').tBodies[0],
      tsdbErrorsWrap: $('tsdb-errors-wrap'), tsdbErrorsCount: $('tsdb-errors-count'),
      tsdbErrorsMessage: $('tsdb-errors-message'), tsdbErrors: $('tsdb-errors'),
      tsdbErrorsBody: $('tsdb-errors').tBodies[0]
    };
    state = readHash();
    ui.includeOwn.checked = ui.includeOwnSlowlog.checked = state.own;
    drawSortHeaders();
    bind();
    refresh();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();

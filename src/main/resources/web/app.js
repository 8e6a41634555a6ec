'use strict';
// The status page: reads /api/status and /api/points, draws them, and browses restore points through /api/ls.
// Every value from the server goes into the page as text (never as HTML): file names are not to be trusted.

const token = new URLSearchParams(location.search).get('token');
const state = { point: null, path: '', browse: false, points: [] };

function api(path) {
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  return fetch(path, { headers, cache: 'no-store' }).then(async (r) => {
    const body = await r.json();
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  });
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function bytes(n) {
  if (n == null || n < 0) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

function ago(iso, now) {
  if (!iso || iso === 'null') return 'never';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const a = Math.abs(s);
  const t = a < 90 ? a + ' s' : a < 5400 ? Math.round(a / 60) + ' min' : a < 172800 ? (a / 3600).toFixed(1) + ' h' : (a / 86400).toFixed(1) + ' d';
  return s >= 0 ? t + ' ago' : 'in ' + t;
}

function card(label, value, bad) {
  return el('div', { class: 'card' + (bad ? ' bad' : '') }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value));
}

function fill(dl, rows) {
  dl.replaceChildren();
  for (const [k, v, bad] of rows) {
    dl.append(el('dt', {}, k), el('dd', bad ? { class: 'bad' } : {}, v));
  }
}

function renderStatus(s) {
  const now = Date.parse(s.now);
  const d = s.daemon;
  const health = document.getElementById('health');
  health.textContent = d.healthy ? 'healthy' : 'needs attention';
  health.className = 'badge ' + (d.healthy ? 'ok' : 'bad');
  document.getElementById('updated').textContent = 'updated ' + new Date(now).toLocaleTimeString();

  const latest = s.repository.latest;
  const rpoBad = !latest || (now - Date.parse(latest.time)) / 1000 > 2 * s.pointInterval;
  const m = d.maintenance || {};
  document.getElementById('cards').replaceChildren(
    card('last restore point (RPO now)', latest ? ago(latest.time, now) : 'none yet', rpoBad),
    card('next point', ago(d.nextPoint, now)),
    card('last change made durable', ago(d.lastDurable, now)),
    card('changes waiting', d.waiting, d.waiting > 10000),
    card('change → durable p99', d.latencyP99Millis == null ? '–' : Math.round(d.latencyP99Millis) + ' ms'),
    card('watcher overflows', d.watcherOverflows, false),
    card('restore points', s.repository.points),
    card('repository packs', m.packBytes == null ? 'not measured yet' : bytes(m.packBytes)),
    card('prune would reclaim', m.reclaimableBytes == null ? '–' : bytes(m.reclaimableBytes)));

  const tb = document.querySelector('#trees tbody');
  tb.replaceChildren();
  for (const t of d.trees) {
    const alarm = t.alarm || (t.unreadableCount ? t.unreadableCount + ' unreadable' : '');
    tb.append(el('tr', {}, el('td', {}, t.name), el('td', {}, t.path), el('td', {}, t.mode), el('td', {}, ago(t.since, now)),
      el('td', alarm ? { class: 'bad' } : {}, alarm || '–')));
  }

  const b = d.binlog;
  const dbRows = [];
  if (latest && latest.databaseBytes != null) dbRows.push(['last dump', bytes(latest.databaseBytes) + ' of SQL']);
  if (b) for (const [k, v] of Object.entries(b)) dbRows.push([k, typeof v === 'object' ? JSON.stringify(v) : v, k === 'gaps' && v && v.length]);
  if (!dbRows.length) dbRows.push(['database', 'none configured']);
  fill(document.getElementById('database'), dbRows);

  fill(document.getElementById('repository'), [
    ['location', s.repository.location],
    ['encrypted', s.repository.encrypted ? 'yes' : 'no'],
    ['retention', s.retention || 'keeps every point (no retention section)'],
    ['last prune', m.lastPrune ? ago(m.lastPrune, now) + ': ' + m.lastPruneResult : 'none since start'],
    ['maintenance', (m.journalMerges || 0) + ' journal merges, ' + (m.packMerges || 0) + ' pack merges, ' + (m.objectsDeleted || 0) + ' objects deleted'],
    ...(m.lastMaintenanceError ? [['maintenance error', m.lastMaintenanceError, true]] : []),
    ['daemon memory', bytes(d.residentBytes)]]);

  const v = s.verify;
  fill(document.getElementById('checks'), [
    ['last verify', v ? ago(v.at, now) + (v.readData ? ', data read (' + v.packsRead + ' of ' + v.packs + ' packs)' : ', structure only') : 'never on this host', !v],
    ['its result', v ? (v.ok ? 'no damage' : v.damage + ' problems: ' + v.firstDamage) : '–', v && !v.ok],
    ['last drill', s.drill ? ago(s.drill.at, now) + ' (point ' + s.drill.point + ')' : 'none recorded (tidemark drill)', !s.drill],
    ['its result', s.drill ? (s.drill.ok ? 'passed: ' + s.drill.files + ' files; a whole restore ≈ ' + Math.round(s.drill.expectedRestoreSeconds) + ' s'
      : 'FAILED: ' + s.drill.problems[0]) : '–', s.drill && !s.drill.ok],
    ['alerts raised', d.alerts ? (Object.keys(d.alerts).join(', ') || 'none') : 'no alerts section in the config',
      d.alerts && Object.keys(d.alerts).length > 0]]);

  const rs = d.replicas || [];
  document.getElementById('replicas-section').hidden = rs.length === 0;
  const rb = document.querySelector('#replicas tbody');
  rb.replaceChildren();
  for (const r of rs) {
    rb.append(el('tr', {}, el('td', {}, r.name), el('td', {}, r.location), el('td', r.state === 'failing' ? { class: 'bad' } : {}, r.state),
      el('td', {}, ago(r.syncedAt, now)), el('td', { class: 'num' }, r.lagSeconds == null ? '–' : r.lagSeconds + ' s')));
  }

  state.browse = s.browse;
  document.getElementById('browse-off').hidden = s.browse;
  document.getElementById('browser').hidden = !s.browse;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text != null) e.textContent = text;
  return e;
}

// Bars over [label, value] pairs, the largest value at the top.
function bars(id, data, format) {
  const chart = document.getElementById(id);
  chart.replaceChildren();
  const W = 600, H = 160, left = 56, bottom = 18;
  if (!data.length) {
    chart.append(svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'no restore points yet'));
    return;
  }
  const max = Math.max(...data.map((d) => d[1]), 1e-9);
  const w = (W - left) / data.length;
  chart.append(svg('line', { x1: left, y1: H - bottom, x2: W, y2: H - bottom }));
  chart.append(svg('text', { x: left - 4, y: 10, 'text-anchor': 'end' }, format(max)));
  chart.append(svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end' }, '0'));
  data.forEach(([label, value], i) => {
    const h = (H - bottom - 6) * (value / max);
    const r = svg('rect', { class: 'bar', x: left + i * w + w * 0.1, y: H - bottom - h, width: Math.max(w * 0.8, 1), height: Math.max(h, 0) });
    r.append(svg('title', {}, label + ': ' + format(value)));
    chart.append(r);
  });
  chart.append(svg('text', { x: left, y: H - 4 }, data[0][0]));
  chart.append(svg('text', { x: W, y: H - 4, 'text-anchor': 'end' }, data[data.length - 1][0]));
}

function renderPoints(points) {
  state.points = points;
  const recent = points.slice(-60);
  const perDay = new Map();
  for (const p of points) perDay.set(p.time.slice(0, 10), (perDay.get(p.time.slice(0, 10)) || 0) + 1);
  bars('chart-days', [...perDay.entries()].slice(-30), (v) => String(Math.round(v)));
  bars('chart-bytes', recent.map((p) => [p.id, p.newBytes]), bytes);
  bars('chart-durations', recent.map((p) => [p.id, p.durationMillis / 1000]), (v) => v.toFixed(1) + ' s');

  const sel = document.getElementById('point');
  const chosen = sel.value;
  sel.replaceChildren(...points.slice().reverse().map((p) =>
    el('option', { value: p.id }, p.id + (p.tags.length ? ' [' + p.tags.join(', ') + ']' : ''))));
  if (chosen && points.some((p) => p.id === chosen)) sel.value = chosen;
  if (state.browse && points.length && state.point == null) browse(sel.value, '');
}

function browse(point, path) {
  state.point = point;
  state.path = path;
  api('/api/ls?point=' + encodeURIComponent(point) + '&path=' + encodeURIComponent(path)).then((r) => {
    const crumbs = document.getElementById('crumbs');
    crumbs.replaceChildren(el('a', { onclick: () => browse(point, '') }, r.point));
    let acc = '';
    for (const part of r.path ? r.path.split('/') : []) {
      acc = acc ? acc + '/' + part : part;
      const to = acc;
      crumbs.append(' / ', el('a', { onclick: () => browse(point, to) }, part));
    }
    const tb = document.querySelector('#entries tbody');
    tb.replaceChildren();
    for (const e of r.entries) {
      const full = e.path === '.' ? e.tree : e.tree + '/' + e.path;
      const name = e.path === '.' ? e.tree + '/' : e.path.split('/').pop() + (e.type === 'dir' ? '/' : '');
      let link;
      if (e.type === 'dir') {
        link = el('a', { onclick: () => browse(point, full) }, name);
      } else if (e.type === 'file') {
        const href = '/api/file?point=' + encodeURIComponent(r.point) + '&path=' + encodeURIComponent(full) + (token ? '&token=' + encodeURIComponent(token) : '');
        link = el('a', { href, download: name, class: 'download' }, name);
      } else {
        link = el('span', {}, name + ' → ' + e.target);
      }
      tb.append(el('tr', {}, el('td', {}, link), el('td', { class: 'num' }, e.type === 'file' ? bytes(e.size) : ''),
        el('td', {}, e.mtime ? e.mtime.replace('T', ' ').slice(0, 19) : ''), el('td', {}, e.mode == null ? '' : e.mode.toString(8))));
    }
    if (r.truncated) tb.append(el('tr', {}, el('td', { colspan: 4 }, 'first entries only: use tidemark ls for the rest')));
  }).catch(showError);
}

function showError(e) {
  const p = document.getElementById('error');
  p.textContent = e.message;
  p.hidden = false;
}

function refresh() {
  return api('/api/status').then((s) => {
    document.getElementById('error').hidden = true;
    renderStatus(s);
    return api('/api/points');
  }).then((r) => renderPoints(r.points)).catch(showError);
}

document.getElementById('point').addEventListener('change', (ev) => browse(ev.target.value, ''));
window.tidemarkReady = refresh();
setInterval(refresh, 10000);

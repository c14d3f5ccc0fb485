// The dashboard: signs in with a bearer token, loads the views from the JSON API and draws the
// live map from the Server-Sent-Events stream. No build step: plain ES modules.
import { get, stream, token, setToken } from './api.js';
import { LiveMap, CLASS_COLOURS } from './live_map.js';

const $ = s => document.querySelector(s);
const fmt = n => typeof n === 'number' ? n.toLocaleString('en') : n;

/** Fills <table> with the rows' `cols` ([key, heading, numeric?]). */
function table(el, rows, cols) {
  const head = '<tr>' + cols.map(([, h, num]) => `<th${num ? ' class="num"' : ''}>${h}</th>`).join('') + '</tr>';
  const esc = v => String(v ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const body = rows.map(r => '<tr>' + cols.map(([k, , num]) => `<td${num ? ' class="num"' : ''}>${esc(fmt(r[k]))}</td>`).join('') + '</tr>').join('');
  el.innerHTML = `<thead>${head}</thead><tbody>${body || `<tr><td colspan="${cols.length}" class="muted">none</td></tr>`}</tbody>`;
}

function showError(where, e) {
  where.innerHTML = `<tr><td class="error">${e.message}</td></tr>`;
}

let chart;
async function loadSeries(health) {
  const s = await get('series', { width: $('#width').value });
  const data = [s.bins, ...health.classes.map(c => s.packets[c] || [])];
  const series = [{}, ...health.classes.map(c => ({ label: c, stroke: CLASS_COLOURS[c], width: 1.5 }))];
  const el = $('#chart');
  if (chart) chart.destroy();
  chart = new uPlot({ width: Math.max(400, el.clientWidth - 10), height: 260, series, axes: [{ stroke: '#8a96a3' }, { stroke: '#8a96a3' }] }, data, el);
  el.dataset.bins = s.bins.length;
}

// Colours for the per-port lines (enough for the API's maximum of 10 ports).
const PORT_COLOURS = ['#ff6b6b', '#ffa94d', '#ffd43b', '#51cf66', '#3bc9db', '#4dabf7', '#9775fa', '#f783ac', '#ced4da', '#a9e34b'];
let portChart;
/** Per-port series (unique sources or packets per bin) for the ports in #ports. */
async function loadPortSeries() {
  const el = $('#port-chart');
  if (!$('#ports').value.trim()) {
    const top = await get('top/ports', { proto: 'tcp', top: 5 });
    $('#ports').value = top.rows.map(r => r.port).join(',');
  }
  const wanted = $('#ports').value.replace(/\s+/g, '');
  if (!wanted) { el.textContent = 'no TCP ports in the store'; return; }
  const s = await get('series/ports', { width: $('#width').value, ports: wanted });
  const metric = $('#port-metric').value;
  const names = Object.keys(s.ports);
  const data = [s.bins, ...names.map(n => s.ports[n][metric])];
  const series = [{}, ...names.map((n, i) => ({ label: n, stroke: PORT_COLOURS[i % PORT_COLOURS.length], width: 1.5 }))];
  if (portChart) portChart.destroy();
  el.textContent = '';
  portChart = new uPlot({ width: Math.max(400, el.clientWidth - 10), height: 220, series, axes: [{ stroke: '#8a96a3' }, { stroke: '#8a96a3' }] }, data, el);
  el.dataset.bins = s.bins.length;
  el.dataset.ports = names.join(',');
  el.dataset.total = data.slice(1).reduce((t, col) => t + col.reduce((a, b) => a + b, 0), 0);
}

/** Survey campaigns (progress, outcome counts) and the monthly summary of the chosen month. */
async function loadSurvey() {
  const camps = await get('survey/campaigns');
  const rows = camps.rows.map(c => ({
    ...c,
    state: c.finished ? 'finished' : 'not finished',
    progress_bar: `${Math.round(c.progress * 100)}%`,
    done: `${fmt(c.completed)} / ${fmt(c.targets)}`,
    login_ok: c.outcomes['login-ok'], auth_prompt: c.outcomes['auth-prompt'], no_auth: c.outcomes['no-auth'],
    closed: c.outcomes.closed, other: c.outcomes['open-no-service'] + c.outcomes.error + c.outcomes.timeout,
  }));
  table($('#survey-campaigns'), rows, [['id', 'campaign'], ['created', 'started'], ['progress_bar', 'progress'], ['done', 'results / targets', 1],
    ['state', 'state'], ['login_ok', 'login-ok', 1], ['auth_prompt', 'id/password prompt', 1], ['no_auth', 'no auth', 1],
    ['closed', 'closed', 1], ['other', 'other', 1], ['source_address', 'scanner'], ['contact', 'opt-out contact']]);
  // Progress as a bar in its cell.
  $('#survey-campaigns').querySelectorAll('tbody tr').forEach((tr, i) => {
    const cell = tr.children[2];
    if (!rows[i] || !cell) return;
    cell.innerHTML = `<span class="bar"><span style="width:${Math.round(rows[i].progress * 100)}%"></span></span>${rows[i].progress_bar}`;
  });
  const month = $('#survey-month');
  if (!month.value) month.value = (camps.rows.length ? camps.rows[camps.rows.length - 1].created : new Date().toISOString()).slice(0, 7);
  const sm = await get('survey/summary', { month: month.value });
  table($('#survey-summary'), sm.rows.map(r => ({ ...r, org: r.org === 'all' ? 'all (national)' : r.org })),
    [['org', 'organisation'], ['protocol', 'protocol'], ['surveyed', 'surveyed', 1], ['responded', 'answered', 1],
     ['auth_prompt', 'id/password could be entered', 1], ['login_ok', 'login-ok (weak)', 1], ['no_auth', 'no auth', 1]]);
}

/** Remote sensors' health (iotwatch center writes it with every checkpoint). */
async function loadSensors() {
  const s = await get('sensors');
  const ago = x => x < 0 ? 'never' : x < 90 ? `${Math.round(x)} s ago` : x < 5400 ? `${Math.round(x / 60)} min ago` : `${(x / 3600).toFixed(1)} h ago`;
  const rows = s.rows.map(r => ({ ...r, contact: ago(r.seconds_since_contact), lag: r.lag_seconds < 0 ? '' : `${r.lag_seconds.toFixed(1)} s` }));
  table($('#sensors'), rows, [['sensor', 'sensor'], ['status', 'status'], ['contact', 'last contact'], ['packets', 'packets', 1],
    ['batches', 'batches', 1], ['duplicates', 'resent', 1], ['drops', 'drops', 1], ['lag', 'lag'], ['backlog_batches', 'backlog', 1],
    ['spool_batches', 'sensor spool', 1], ['watermark', 'data up to']]);
  $('#sensors').querySelectorAll('tbody tr').forEach((tr, i) => { if (rows[i]) tr.dataset.status = rows[i].status; });
}

async function loadTables() {
  const jobs = [
    ['top/countries', {}, '#top-countries', [['rank', '#', 1], ['country', 'country'], ['unique_hosts', 'unique hosts', 1], ['share', 'share', 1], ['packets', 'packets', 1]]],
    ['top/ports', { proto: 'tcp' }, '#top-tcp', [['rank', '#', 1], ['port', 'port'], ['service', 'service'], ['unique_hosts', 'unique hosts', 1], ['packets', 'packets', 1]]],
    ['top/ports', { proto: 'udp' }, '#top-udp', [['rank', '#', 1], ['port', 'port'], ['service', 'service'], ['unique_hosts', 'unique hosts', 1], ['packets', 'packets', 1]]],
    ['scans', {}, '#scans', [['src', 'source'], ['proto', 'proto'], ['dport', 'port', 1], ['start', 'start'], ['end', 'end'], ['packets', 'packets', 1], ['unique_dsts', 'destinations', 1], ['est_rate', 'est. pps', 1], ['tool', 'tool'], ['iot_category', 'IoT category']]],
    ['dos', {}, '#dos', [['victim', 'victim'], ['proto', 'proto'], ['start', 'start'], ['end', 'end'], ['packets', 'packets', 1], ['max_ppm', 'max/min', 1], ['est_rate', 'est. pps', 1], ['attackers', 'spoofed', 1], ['victim_ports', 'victim ports']]],
  ];
  await Promise.all(jobs.map(async ([path, params, sel, cols]) => {
    try { table($(sel), (await get(path, params)).rows, cols); } catch (e) { showError($(sel), e); }
  }));
  try {
    const st = await get('alerts/stats');
    const line = (name, s) => `<tr><td>${name}</td><td class="num">${s.average.toFixed(1)}</td><td class="num">${fmt(s.min)}</td><td class="num">${fmt(s.max)}</td></tr>`;
    $('#alert-stats').innerHTML = `<table id="alert-summary"><thead><tr><th>alerted addresses/day</th><th class="num">average</th><th class="num">min</th><th class="num">max</th></tr></thead><tbody>` +
      line('national', st.national) + Object.entries(st.per_organisation).map(([o, s]) => line(o, s)).join('') + '</tbody></table>';
    table($('#alerts-daily'), st.national.daily, [['day', 'day'], ['addresses', 'addresses', 1]]);
  } catch (e) { showError($('#alerts-daily'), e); }
}

async function startLive(health) {
  const legend = $('#legend');
  const counts = Object.fromEntries(health.classes.map(c => [c, 0]));
  legend.innerHTML = health.classes.map(c => `<li data-class="${c}"><span class="swatch" style="background:${CLASS_COLOURS[c]}"></span>${c} <span class="muted count">0</span>/s</li>`).join('');
  const [atlas, codes] = await Promise.all([fetch('vendor/countries-110m.json').then(r => r.json()), fetch('vendor/iso3166-codes.json').then(r => r.json())]);
  const map = new LiveMap($('#map'), atlas, codes, health.darknet_location);
  window.iotwatchMap = map;  // for the browser test and the curious
  $('#pause').onclick = () => { map.paused = !map.paused; $('#pause').textContent = map.paused ? 'Resume' : 'Pause'; };
  $('#speed').onchange = e => { map.speed = Number(e.target.value); };
  if (!health.live) { $('#live-info').textContent = '(no live feed: start iotwatch serve with --replay CAPTURE)'; return; }
  stream('live', (type, data) => {
    if (type === 'packet') map.add(data);
    else if (type === 'stats') {
      for (const c of health.classes) legend.querySelector(`[data-class="${c}"] .count`).textContent = fmt(data.classes[c] || 0);
      $('#live-counts').textContent = `${fmt(data.packets)} packets/s (${fmt(data.shown)} drawn)` + (data.capture_ts ? ` at ${new Date(data.capture_ts).toISOString().slice(0, 19)}Z` : '');
    } else if (type === 'error') $('#live-info').textContent = `(${data.error})`;
  });
}

async function main() {
  const health = await fetch('/api/v1/health').then(r => r.json());
  if (!token()) {
    $('#login').hidden = false;
    $('#login').onsubmit = ev => { ev.preventDefault(); setToken($('#token').value.trim()); location.reload(); };
    $('#status').textContent = 'sign in with an API token';
    return;
  }
  try {
    const who = await get('whoami');
    $('#who').textContent = who.role === 'admin' ? 'admin' : `organisation ${who.organisation}`;
  } catch (e) {
    $('#status').textContent = e.message;
    $('#status').className = 'error';
    $('#login').hidden = false;
    $('#login').onsubmit = ev => { ev.preventDefault(); setToken($('#token').value.trim()); location.reload(); };
    return;
  }
  const ports = () => loadPortSeries().catch(e => { $('#port-chart').textContent = e.message; $('#port-chart').className = 'error'; });
  const survey = () => loadSurvey().catch(e => showError($('#survey-summary'), e));
  const sensors = () => loadSensors().catch(e => showError($('#sensors'), e));
  $('#width').onchange = () => { loadSeries(health).catch(e => { $('#chart').textContent = e.message; }); ports(); };
  $('#port-metric').onchange = ports;
  $('#ports-apply').onclick = () => { $('#port-chart').className = ''; ports(); };
  $('#survey-month').onchange = survey;
  await Promise.all([loadSeries(health).catch(e => { $('#chart').textContent = e.message; }), ports(), survey(), sensors(), loadTables(), startLive(health)]);
  setInterval(sensors, 15000);  // health changes while the page is open
  document.body.dataset.ready = '1';
}

main().catch(e => { $('#status').textContent = e.message; $('#status').className = 'error'; });

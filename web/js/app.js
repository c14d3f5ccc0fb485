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
  $('#width').onchange = () => loadSeries(health).catch(e => { $('#chart').textContent = e.message; });
  await Promise.all([loadSeries(health).catch(e => { $('#chart').textContent = e.message; }), loadTables(), startLive(health)]);
  document.body.dataset.ready = '1';
}

main().catch(e => { $('#status').textContent = e.message; $('#status').className = 'error'; });

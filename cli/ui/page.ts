/**
 * The `sluice ui` page: plain HTML and one script, charts drawn by uPlot (served from
 * node_modules: the page works offline). Per query and shard, like Spark's Structured Streaming
 * tab: input rate vs processing rate, batch duration by phase, watermark gap to the newest event,
 * state rows per operator, dead letters and late rows; the latest progress JSON one click away.
 * It polls `/api/progress` every second.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>sluice ui</title>
<link rel="stylesheet" href="/vendor/uPlot.min.css">
<style>
  body { font: 14px system-ui, sans-serif; margin: 16px 24px; color: #1d232a; background: #fafbfc; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 17px; margin: 24px 0 4px; }
  h3 { font-size: 15px; margin: 16px 0 6px; color: #3a4652; }
  .meta { color: #667; margin-bottom: 12px; }
  .stats { border-collapse: collapse; margin: 6px 0 10px; }
  .stats td, .stats th { border: 1px solid #dde; padding: 3px 10px; text-align: right; }
  .stats th { background: #eef1f5; font-weight: 600; }
  .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 12px; }
  .chart { background: #fff; border: 1px solid #e3e6ea; border-radius: 6px; padding: 6px; }
  .chart .title { font-weight: 600; margin: 2px 4px 4px; }
  details pre { background: #fff; border: 1px solid #e3e6ea; padding: 8px; max-height: 360px; overflow: auto; }
</style>
</head>
<body>
<h1>sluice ui</h1>
<div class="meta" id="meta">loading…</div>
<div id="queries"></div>
<script src="/vendor/uPlot.iife.min.js"></script>
<script src="/app.js"></script>
</body>
</html>
`;

/** The page's script (plain browser JavaScript). `window.sluiceUi` exposes the charts to tests. */
export const PAGE_SCRIPT = String.raw`
'use strict';
const PHASES = ['walCommit', 'getBatch', 'queryPlanning', 'addBatch', 'commitState', 'commitOffsets', 'triggerExecution'];
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const charts = new Map();
window.sluiceUi = { charts, snapshot: undefined, updates: 0 };

const ms = (iso) => (iso === undefined ? undefined : Date.parse(iso));
const sum = (values) => values.reduce((a, b) => a + b, 0);

/** Chart series of one shard's progress records (x: batch time in seconds). */
function seriesOf(progress) {
  const x = progress.map((p) => ms(p.timestamp) / 1000);
  const inputRate = progress.map((p, i) => {
    if (i === 0) return null;
    const seconds = (ms(p.timestamp) - ms(progress[i - 1].timestamp)) / 1000;
    return seconds > 0 ? p.numInputRows / seconds : null;
  });
  const operators = [...new Set(progress.flatMap((p) => p.stateOperators.map((op) => op.operatorId)))];
  return {
    rates: { x, series: [['input rows/s', inputRate], ['processed rows/s', progress.map((p) => p.processedRowsPerSecond)]] },
    duration: { x, series: PHASES.map((phase) => [phase, progress.map((p) => p.durationMs[phase] ?? null)]) },
    watermark: {
      x,
      series: [['newest event − watermark (s)', progress.map((p) => {
        const max = ms(p.eventTime.max);
        const watermark = ms(p.eventTime.watermark);
        // No gap before the first watermark (it starts at the epoch).
        return max === undefined || !(watermark > 0) ? null : (max - watermark) / 1000;
      })]],
    },
    state: {
      x,
      series: operators.map((id) => [
        'state rows ' + id,
        progress.map((p) => p.stateOperators.find((op) => op.operatorId === id)?.numRowsTotal ?? null),
      ]),
    },
    bad: {
      x,
      series: [
        ['dead letters', progress.map((p) => p.numDeadLetters)],
        ['late rows', progress.map((p) => sum(p.stateOperators.map((op) => (op.numLateInputRows ?? op.numRowsDroppedByWatermark))))],
      ],
    },
  };
}

const CHARTS = [
  ['rates', 'Input rate vs processing rate (rows/s)'],
  ['duration', 'Batch duration by phase (ms)'],
  ['watermark', 'Watermark gap to the newest event (s)'],
  ['state', 'State rows per operator'],
  ['bad', 'Dead letters and late rows per batch'],
];

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function shardSection(id, query, shard) {
  const section = el('section', { id, 'data-query': query, 'data-shard': shard });
  section.append(el('h3', {}, 'shard ' + shard));
  section.append(el('table', { class: 'stats' }));
  const grid = el('div', { class: 'charts' });
  for (const [name, title] of CHARTS) {
    const box = el('div', { class: 'chart', 'data-chart': name });
    box.append(el('div', { class: 'title' }, title));
    box.append(el('div', { class: 'plot' }));
    grid.append(box);
  }
  section.append(grid);
  const details = el('details');
  details.append(el('summary', {}, 'latest progress JSON'));
  details.append(el('pre', { class: 'progress-json' }));
  section.append(details);
  return section;
}

function renderStats(table, progress) {
  const last = progress[progress.length - 1];
  const rows = [
    ['batches', 'last batch', 'input rows (all)', 'output rows (all)', 'dead letters (all)', 'late rows (all)', 'watermark', 'state rows'],
    [
      String(progress.length),
      String(last.batchId),
      String(sum(progress.map((p) => p.numInputRows))),
      String(sum(progress.map((p) => p.sink.numOutputRows))),
      String(sum(progress.map((p) => p.numDeadLetters))),
      String(sum(progress.map((p) => sum(p.stateOperators.map((op) => (op.numLateInputRows ?? op.numRowsDroppedByWatermark)))))),
      last.eventTime.watermark ?? '—',
      String(sum(last.stateOperators.map((op) => op.numRowsTotal))),
    ],
  ];
  table.replaceChildren(...rows.map((cells, i) => {
    const tr = el('tr');
    for (const cell of cells) tr.append(el(i === 0 ? 'th' : 'td', {}, cell));
    return tr;
  }));
}

function draw(key, box, spec) {
  const data = [spec.x, ...spec.series.map(([, values]) => values)];
  const existing = charts.get(key);
  if (existing && existing.series.length === spec.series.length + 1) {
    existing.setData(data);
    return;
  }
  if (existing) existing.destroy();
  const plot = new uPlot({
    width: Math.max(420, box.clientWidth - 12),
    height: 220,
    series: [{}, ...spec.series.map(([label], i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))],
    scales: { x: { time: true } },
    axes: [{}, { size: 72 }],
  }, data, box.querySelector('.plot'));
  charts.set(key, plot);
}

function render(snapshot) {
  document.getElementById('meta').textContent = snapshot.where + ' · updated ' + new Date(snapshot.generatedAt).toLocaleTimeString();
  const root = document.getElementById('queries');
  for (const view of snapshot.queries) {
    let block = document.getElementById('q-' + view.query);
    if (!block) {
      block = el('div', { id: 'q-' + view.query });
      block.append(el('h2', {}, 'query ' + view.query));
      root.append(block);
    }
    if (view.shards.length === 0 && !block.querySelector('.empty')) block.append(el('p', { class: 'empty' }, 'no committed batch yet'));
    for (const shard of view.shards) {
      if (shard.progress.length === 0) continue;
      block.querySelector('.empty')?.remove();
      const id = 's-' + view.query + '-' + shard.shard;
      let section = document.getElementById(id);
      if (!section) {
        section = shardSection(id, view.query, shard.shard);
        block.append(section);
      }
      renderStats(section.querySelector('.stats'), shard.progress);
      section.querySelector('.progress-json').textContent = JSON.stringify(shard.progress[shard.progress.length - 1], null, 2);
      const series = seriesOf(shard.progress);
      for (const [name] of CHARTS) draw(view.query + '/' + shard.shard + '/' + name, section.querySelector('[data-chart="' + name + '"]'), series[name]);
    }
  }
}

async function poll() {
  try {
    const response = await fetch('/api/progress');
    if (response.ok) {
      const snapshot = await response.json();
      render(snapshot);
      window.sluiceUi.snapshot = snapshot;
      window.sluiceUi.updates++;
    }
  } catch (error) {
    document.getElementById('meta').textContent = 'cannot reach sluice ui: ' + error;
  }
  setTimeout(poll, 1000);
}
poll();
`;

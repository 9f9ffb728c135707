// The live sale dashboard: reads GET /api/admin/dashboard/stream with fetch (so that the admin
// token goes in the Authorization header), shows every product and the sale-wide rates, and
// reconnects by itself whenever the stream drops or stalls. Plain browser JavaScript, no build.
'use strict';

(() => {
  const STREAM_URL = '/api/admin/dashboard/stream';
  const TOKEN_KEY = 'flashsale.adminToken';
  /** A stream that sends nothing for this long is taken for dead (events come every second). */
  const STALL_MS = 5000;
  /** How much of the past the charts keep, in seconds. */
  const HISTORY_SECONDS = 300;
  /** Products drawn in the stock chart: the ones with the most stock taken. */
  const STOCK_SERIES = 6;
  const COLORS = ['#4f9dff', '#ff6b6b', '#ffb347', '#7bd88f', '#c792ea', '#f78c6c', '#89ddff', '#e5c07b'];
  const REFUSALS = {
    insufficient_stock_mirror: 'sold out (mirror)',
    insufficient_stock_db: 'sold out (database)',
    product_not_found: 'unknown product',
    sale_window: 'outside the sale window',
    customer_required: 'no customer',
    purchase_limit: 'over the limit per customer',
    rate_limited: 'rate limited',
  };

  const $ = (selector) => document.querySelector(selector);
  const form = $('#token-form');
  const alertBox = $('#alert');
  const connection = $('#connection');
  const signOut = $('#sign-out');
  const live = $('#live');
  const tbody = $('#products tbody');
  const warnings = $('#warnings');
  const figuresAt = $('#figures-at');

  /** The current session: its token, its attempt count and its open request. */
  let session = null;

  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function start(token) {
    stop();
    alertBox.textContent = '';
    session = { token, attempt: 0, stopped: false, controller: null, retry: undefined };
    void connect(session);
  }

  function stop() {
    if (!session) return;
    session.stopped = true;
    session.controller?.abort();
    clearTimeout(session.retry);
    session = null;
  }

  function showForm() {
    form.hidden = false;
    live.hidden = true;
    signOut.hidden = true;
    form.elements.token.value = '';
    form.elements.token.focus();
  }

  async function connect(s) {
    if (s.stopped) return;
    setConnection(s.attempt === 0 ? 'connecting' : 'reconnecting', s.attempt === 0 ? 'connecting…' : 'reconnecting…');
    const controller = new AbortController();
    s.controller = controller;
    let watchdog;
    const stillAlive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), STALL_MS);
    };
    try {
      stillAlive();
      const res = await fetch(STREAM_URL, {
        headers: { authorization: `Bearer ${s.token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (res.status === 401 || res.status === 403) {
        clearTimeout(watchdog);
        await refused(s, res);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      form.hidden = true;
      live.hidden = false;
      signOut.hidden = false;
      await readEvents(res.body, (event) => {
        if (event.type !== 'sale') return;
        stillAlive();
        s.attempt = 0;
        setConnection('live', 'live');
        try {
          render(JSON.parse(event.data));
        } catch (err) {
          // A page bug must show, not pass for a dropped connection.
          console.error('dashboard: could not show a snapshot', err);
        }
      });
    } catch {
      // Dropped, refused at the network level, or stalled: all end in a reconnect below.
    } finally {
      clearTimeout(watchdog);
    }
    if (s.stopped) return;
    s.attempt += 1;
    connection.dataset.reconnects = String(Number(connection.dataset.reconnects) + 1);
    const delay = Math.min(5000, 250 * 2 ** Math.min(s.attempt - 1, 5));
    setConnection('reconnecting', `connection lost; reconnecting in ${(delay / 1000).toFixed(1)} s`);
    s.retry = setTimeout(() => void connect(s), delay);
  }

  /** A wrong or missing token: say why, forget it, and ask again. */
  async function refused(s, res) {
    let problem = {};
    try {
      problem = await res.json();
    } catch {
      // not a problem document
    }
    const why = [problem.title, problem.detail].filter(Boolean).join(': ') || `HTTP ${res.status}`;
    alertBox.textContent =
      res.status === 401 ? `The admin token was refused (401). ${why}` : `The dashboard is not available (${res.status}). ${why}`;
    sessionStorage.removeItem(TOKEN_KEY);
    s.stopped = true;
    session = null;
    setConnection('signed-out', 'not connected');
    showForm();
  }

  /** Server-sent events from a fetch body: calls `onEvent({type, data, id})` for each complete event. */
  async function readEvents(body, onEvent) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { type: 'message', data: [], id: null };
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon === 0) continue; // a comment
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event.type = text;
          else if (field === 'data') event.data.push(text);
          else if (field === 'id') event.id = text;
        }
        if (event.data.length > 0) onEvent({ ...event, data: event.data.join('\n') });
      }
    }
  }

  // ---- rendering ----

  const rows = new Map();
  const FIELDS = ['total_stock', 'available', 'held', 'ordered', 'paid'];

  function render(snapshot) {
    renderProducts(snapshot.products);
    renderRates(snapshot);
    warnings.textContent = snapshot.warnings.length ? `Not current: ${snapshot.warnings.join('; ')}` : '';
    figuresAt.textContent = snapshot.figures_at ? `at ${new Date(snapshot.figures_at).toLocaleTimeString()}` : '';
    recordHistory(snapshot);
  }

  function setText(el, text) {
    if (el.textContent !== text) el.textContent = text;
  }

  function renderProducts(products) {
    const seen = new Set();
    for (const p of products) {
      seen.add(p.id);
      let row = rows.get(p.id);
      if (!row) {
        row = productRow(p);
        rows.set(p.id, row);
        tbody.append(row.tr);
      }
      setText(row.name, p.name);
      for (const f of FIELDS) setText(row.cells[f], String(p[f]));
      const pct = (n) => (p.total_stock > 0 ? `${((100 * n) / p.total_stock).toFixed(2)}%` : '0%');
      row.bar.paid.style.width = pct(p.paid);
      row.bar.ordered.style.width = pct(p.ordered - p.paid);
      row.bar.held.style.width = pct(p.held);
      row.bar.available.style.width = pct(p.available);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        rows.delete(id);
      }
    }
  }

  function productRow(p) {
    const tr = document.createElement('tr');
    tr.dataset.productId = String(p.id);
    const cell = (cls) => {
      const td = document.createElement('td');
      if (cls) td.className = cls;
      tr.append(td);
      return td;
    };
    cell().textContent = String(p.id);
    const name = cell('name');
    const cells = {};
    for (const f of FIELDS) {
      cells[f] = cell('num');
      cells[f].dataset.field = f;
    }
    const barCell = cell('bar-col');
    const track = document.createElement('div');
    track.className = 'bar';
    const bar = {};
    for (const part of ['paid', 'ordered', 'held', 'available']) {
      bar[part] = document.createElement('span');
      bar[part].className = `seg ${part}`;
      bar[part].title = part;
      track.append(bar[part]);
    }
    barCell.append(track);
    return { tr, name, cells, bar };
  }

  function renderRates({ second, rates, hold_latency_ms: latency }) {
    // The epoch second the tiles show, so that a reader can tell one second's figures from the next.
    $('.tiles').dataset.second = String(second);
    for (const key of ['holds_placed', 'holds_expired', 'orders_created', 'payments_paid', 'payments_failed']) {
      setText(document.querySelector(`[data-rate="${key}"]`), String(rates[key]));
    }
    const refusals = Object.entries(rates.holds_refused);
    setText($('[data-rate="holds_refused"]'), String(refusals.reduce((sum, [, n]) => sum + n, 0)));
    setText(
      $('[data-rate="refused_detail"]'),
      refusals
        .filter(([, n]) => n > 0)
        .map(([reason, n]) => `${REFUSALS[reason] ?? reason} ${n}`)
        .join(' · '),
    );
    const ms = (v) => (v === null ? '-' : v < 10 ? v.toFixed(1) : String(Math.round(v)));
    setText($('[data-rate="hold_latency"]'), `${ms(latency.p50)} / ${ms(latency.p99)} ms`);
    setText($('[data-rate="latency_detail"]'), `${latency.samples} answers, last 5 s`);
  }

  // ---- charts (uPlot) ----

  const history = { rates: [[], [], [], [], [], [], []], latency: [[], [], []], stock: null, lastSecond: 0 };
  const charts = { rates: null, latency: null, stock: null, stockIds: null };

  function trim(columns, now) {
    while (columns[0].length > 0 && columns[0][0] < now - HISTORY_SECONDS) for (const c of columns) c.shift();
  }

  function recordHistory(snapshot) {
    if (typeof uPlot === 'undefined') return;
    if (snapshot.second > history.lastSecond) {
      history.lastSecond = snapshot.second;
      const r = snapshot.rates;
      const refused = Object.values(r.holds_refused).reduce((a, b) => a + b, 0);
      const values = [
        snapshot.second,
        r.holds_placed,
        refused,
        r.holds_expired,
        r.orders_created,
        r.payments_paid,
        r.payments_failed,
      ];
      values.forEach((v, i) => history.rates[i].push(v));
      const l = snapshot.hold_latency_ms;
      [snapshot.second, l.p50, l.p99].forEach((v, i) => history.latency[i].push(v));
      trim(history.rates, snapshot.second);
      trim(history.latency, snapshot.second);
      charts.rates ??= lineChart('#chart-rates', ['holds placed', 'refused', 'expired', 'orders', 'paid', 'failed']);
      charts.latency ??= lineChart('#chart-latency', ['p50', 'p99']);
      charts.rates.setData(history.rates);
      charts.latency.setData(history.latency);
    }
    recordStock(snapshot);
  }

  /** Stock over time for the products with the most stock taken; the chart is rebuilt when that set changes. */
  function recordStock(snapshot) {
    const t = Math.floor(Date.parse(snapshot.at) / 1000);
    const top = [...snapshot.products]
      .sort((a, b) => b.total_stock - b.available - (a.total_stock - a.available) || a.id - b.id)
      .slice(0, STOCK_SERIES);
    const ids = top.map((p) => p.id).join(',');
    if (ids !== charts.stockIds) {
      charts.stock?.destroy();
      charts.stockIds = ids;
      history.stock = { ids: top.map((p) => p.id), columns: [[], ...top.map(() => [])] };
      charts.stock = lineChart(
        '#chart-stock',
        top.map((p) => `${p.id} ${p.name}`),
      );
    }
    const byId = new Map(snapshot.products.map((p) => [p.id, p]));
    const { columns } = history.stock;
    if (columns[0].length > 0 && columns[0][columns[0].length - 1] >= t) return;
    columns[0].push(t);
    history.stock.ids.forEach((id, i) => columns[i + 1].push(byId.get(id)?.available ?? null));
    trim(columns, t);
    charts.stock.setData(columns);
  }

  function lineChart(selector, names) {
    const el = $(selector);
    el.replaceChildren();
    const chart = new uPlot(
      {
        width: Math.max(280, el.clientWidth),
        height: 200,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' } },
          { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, size: 60 },
        ],
        series: [{}, ...names.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
      },
      [[], ...names.map(() => [])],
      el,
    );
    return chart;
  }

  window.addEventListener('resize', () => {
    for (const [key, chart] of Object.entries(charts)) {
      if (!chart || typeof chart === 'string') continue;
      const el = $(`#chart-${key}`);
      chart.setSize({ width: Math.max(280, el.clientWidth), height: 200 });
    }
  });

  // ---- the token ----

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = form.elements.token.value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    start(token);
  });

  signOut.addEventListener('click', () => {
    stop();
    sessionStorage.removeItem(TOKEN_KEY);
    setConnection('signed-out', 'not connected');
    showForm();
  });

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) start(saved);
  else form.elements.token.focus();
})();

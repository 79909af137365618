// The status page: polls /status.json (the session cookie authenticates it) every 5 s and draws the
// last 15 minutes as SVG charts with a time axis, a y axis and the value under the pointer. Nothing is loaded from anywhere but this origin.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const number = new Intl.NumberFormat('en');
  const rate = (v) => (v >= 100 ? number.format(Math.round(v)) : v.toFixed(v >= 10 ? 1 : 2));

  function text(id, value) { $(id).textContent = value; }

  function seconds(s) {
    if (s == null) return '–';
    if (s < 120) return `${s.toFixed(1)} s`;
    if (s < 7200) return `${(s / 60).toFixed(1)} min`;
    return `${(s / 3600).toFixed(1)} h`;
  }

  function bytes(b) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (b >= 1024 && i < units.length - 1) { b /= 1024; i++; }
    return `${i === 0 ? b : b.toFixed(1)} ${units[i]}`;
  }

  function list(id, entries, label) {
    const ul = $(id);
    ul.replaceChildren(...entries.map(([key, count]) => {
      const li = document.createElement('li');
      li.textContent = `${label(key)}: ${number.format(count)}`;
      return li;
    }));
  }

  const STATUS = { 400: 'invalid', 401: 'write key', 408: 'too slow', 413: 'too large', 415: 'encoding', 429: 'rate limited', 503: 'full or busy' };

  // What each series is called under the pointer, and its unit.
  const SERIES = {
    inPerSecond: ['in', '/s'],
    acceptedPerSecond: ['accepted', '/s'],
    deliveredPerSecond: ['delivered', '/s'],
    failedPerSecond: ['failed', '/s'],
    recoveredPerSecond: ['recovered', '/s'],
    queueDepth: ['events', ''],
    oldestAgeSeconds: ['oldest', ' s'],
  };
  const WIDTH = 300;
  const HEIGHT = 120;
  const PLOT = { left: 38, right: 6, top: 8, bottom: 18 };
  const charts = {};

  /** The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `value` (1 for a flat zero line). */
  function niceCeiling(value) {
    if (!(value > 0)) return 1;
    const power = 10 ** Math.floor(Math.log10(value));
    return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value * (1 - 1e-9));
  }

  function compact(v) {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
    if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
    return a >= 10 ? String(Math.round(v)) : String(+v.toFixed(2));
  }

  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

  function el(name, attributes, content) {
    const node = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
    if (content != null) node.textContent = content;
    return node;
  }

  /**
   * Draws each series of `samples` over the 15-minute window ending `now`: a time axis with a label at every
   * 5 minutes, a y axis from 0 to a round number at or above the largest value (0 to 1 when everything is 0),
   * and, under the pointer, the time and each series' value at the nearest sample.
   */
  function chart(id, samples, fields, windowSeconds, now) {
    const svg = $(id);
    const state = charts[id] ?? (charts[id] = { pointer: null });
    Object.assign(state, { samples, fields, windowSeconds, now });
    const top = niceCeiling(Math.max(0, ...samples.flatMap((s) => fields.map((f) => s[f] ?? 0))));
    const plotWidth = WIDTH - PLOT.left - PLOT.right;
    const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
    const x = (ms) => PLOT.left + (1 - (now - ms) / 1000 / windowSeconds) * plotWidth;
    const y = (v) => PLOT.top + (1 - v / top) * plotHeight;
    Object.assign(state, { x, y, top, plotWidth });

    svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    const children = [];
    for (const tick of [0, top / 2, top]) {
      children.push(el('line', { x1: PLOT.left, x2: WIDTH - PLOT.right, y1: y(tick), y2: y(tick), class: tick === 0 ? 'axis' : 'grid' }));
      children.push(el('text', { x: PLOT.left - 4, y: y(tick) + 3, 'text-anchor': 'end', class: 'y-label' }, compact(tick)));
    }
    const step = 5 * 60 * 1000;
    for (let t = Math.ceil((now - windowSeconds * 1000) / step) * step; t <= now; t += step) {
      children.push(el('line', { x1: x(t), x2: x(t), y1: PLOT.top, y2: HEIGHT - PLOT.bottom, class: 'grid' }));
      children.push(el('text', { x: x(t), y: HEIGHT - 5, 'text-anchor': 'middle', class: 'x-label' }, clock(t)));
    }
    fields.forEach((field, i) => {
      const points = samples.map((s) => `${x(Date.parse(s.at)).toFixed(1)},${y(s[field] ?? 0).toFixed(1)}`);
      children.push(el('polyline', { points: points.join(' '), class: `series-${i}`, 'data-field': field }));
    });
    const hover = el('g', { class: 'hover' });
    state.hover = hover;
    children.push(hover);
    const area = el('rect', { x: PLOT.left, y: PLOT.top, width: plotWidth, height: plotHeight, class: 'pointer-area' });
    children.push(area);
    svg.replaceChildren(...children);

    if (!state.listening) {
      state.listening = true;
      svg.addEventListener('pointermove', (event) => {
        const box = svg.getBoundingClientRect();
        state.pointer = ((event.clientX - box.left) / box.width) * WIDTH;
        showValue(id);
      });
      svg.addEventListener('pointerleave', () => {
        state.pointer = null;
        showValue(id);
      });
    }
    // A refresh redraws the chart under a pointer that has not moved: keep showing its value.
    showValue(id);
  }

  function showValue(id) {
    const state = charts[id];
    const tip = $(`${id}-value`);
    state.hover.replaceChildren();
    if (state.pointer == null || state.samples.length === 0 || state.pointer < PLOT.left) {
      tip.hidden = true;
      return;
    }
    const at = state.now - (1 - (state.pointer - PLOT.left) / state.plotWidth) * state.windowSeconds * 1000;
    const nearest = state.samples.reduce((best, s) => (Math.abs(Date.parse(s.at) - at) < Math.abs(Date.parse(best.at) - at) ? s : best));
    const sx = state.x(Date.parse(nearest.at));
    state.hover.append(el('line', { x1: sx, x2: sx, y1: PLOT.top, y2: HEIGHT - PLOT.bottom, class: 'cursor' }));
    state.fields.forEach((field, i) => state.hover.append(el('circle', { cx: sx, cy: state.y(nearest[field] ?? 0), r: 2.5, class: `dot-${i}` })));
    const values = state.fields.map((field) => {
      const [name, unit] = SERIES[field] ?? [field, ''];
      const v = nearest[field];
      return `${name} ${v == null ? '–' : field === 'queueDepth' ? number.format(v) : rate(v)}${unit}`;
    });
    tip.textContent = `${new Date(nearest.at).toLocaleTimeString()}: ${values.join(', ')}`;
    tip.hidden = false;
  }

  function render(status) {
    const last = status.samples.at(-1);
    const t = status.totals;
    const badge = $('readiness');
    badge.textContent = status.readiness === 'Healthy' ? 'ready' : 'not ready';
    badge.className = `badge ${status.readiness === 'Healthy' ? 'ok' : 'bad'}`;
    text('updated', `updated ${new Date(status.at).toLocaleTimeString()}, up ${seconds(status.uptimeSeconds)}`);
    text('in-rate', last ? rate(last.inPerSecond) : '–');
    text('in-detail', last ? `accepted ${rate(last.acceptedPerSecond)}/s, rejected ${rate(last.rejectedPerSecond)}/s` : `first sample after ${status.intervalSeconds} s`);
    text('accepted', number.format(t.accepted));
    text('accepted-rate', 'events since start');
    text('rejected', number.format(t.rejectedTotal));
    list('rejected-reasons', Object.entries(t.rejected), (reason) => reason.replace('_', ' '));
    text('suppressed', number.format(t.suppressed));
    text('bots', number.format(Object.values(t.bots ?? {}).reduce((sum, n) => sum + n, 0)));
    list('bot-actions', Object.entries(t.bots ?? {}), (action) => action);
    text('refused', number.format(t.refusedTotal));
    list('refused-statuses', Object.entries(t.refused), (code) => `${code} ${STATUS[code] ?? ''}`.trim());
    text('delivered', number.format(t.delivered));
    text('delivered-rate', last ? `${rate(last.deliveredPerSecond)}/s to the sink` : 'events since start');
    text('failed', number.format(t.failed));
    text('recovered', number.format(t.recovered));
    text('dropped', t.dropped ? `${number.format(t.dropped)} dropped at shutdown` : 'deliveries retried until stored');
    const q = status.queue;
    text('depth', number.format(q.events));
    text('spool-detail', `${q.kind}, ${bytes(q.bytes)} of ${bytes(q.capacityBytes)}; oldest ${seconds(q.oldestAgeSeconds)}${q.full ? '; FULL (503)' : ''}`);
    text('sink', `${status.sink.name} ${status.sink.healthy ? 'healthy' : 'failing'}`);
    $('sink-card').classList.toggle('bad', !status.sink.healthy);
    $('sink-error').classList.toggle('error-text', !status.sink.healthy);
    text('sink-error', status.sink.lastError ? `${status.sink.lastError} (since ${new Date(status.sink.failingSince).toLocaleTimeString()})` : 'no error');

    clientAddresses(status.clientAddresses);
    trackingPlans(status.trackingPlans);

    $('checks').replaceChildren(...Object.entries(status.checks).map(([name, check]) => row([name, check.status, check.description ?? ''])));
    const c = status.consumer;
    text('consumer-state', c.state === 'reachable'
      ? `reachable at ${c.url}: worker ${c.status.workerId}, ${c.status.leasesHeld} leases`
      : c.state === 'unreachable' ? `unreachable: ${c.error}` : 'not configured (Tracking:Status:ConsumerUrl)');
    $('shards').replaceChildren(...(c.status?.shards ?? []).map((s) => row([s.shardId, `${number.format(s.millisBehindLatest)} ms`])));
    // Consumers older than the stuckShards field send none: read as none stuck.
    const stuck = c.status?.stuckShards ?? [];
    text('stuck-state', c.state !== 'reachable' ? '–' : stuck.length === 0 ? 'none: every shard advancing' : `${stuck.length} shard(s) not moving`);
    $('stuck-state').classList.toggle('error-text', stuck.length > 0);
    $('stuck').replaceChildren(...stuck.map((s) => row([
      s.shardId,
      s.state,
      new Date(s.since).toLocaleTimeString(),
      s.retryAt ? new Date(s.retryAt).toLocaleTimeString() : '–',
      s.unready ? 'fails /health/ready' : 'retrying',
      s.reason,
    ])));

    const now = Date.parse(status.at);
    const window = status.intervalSeconds * 180;
    chart('chart-in', status.samples, ['inPerSecond', 'acceptedPerSecond'], window, now);
    chart('chart-delivered', status.samples, ['deliveredPerSecond'], window, now);
    chart('chart-failed', status.samples, ['failedPerSecond', 'recoveredPerSecond'], window, now);
    chart('chart-depth', status.samples, ['queueDepth'], window, now);
    chart('chart-age', status.samples, ['oldestAgeSeconds'], window, now);
  }

  const CLIENT_MODES = {
    listed: ['listed proxies', 'X-Forwarded-For believed from Tracking:ClientIp:TrustedProxies only'],
    'private-networks': ['private networks', 'X-Forwarded-For believed from loopback and private-network peers (the default)'],
    none: ['connection', 'X-Forwarded-For is ignored: the connection\'s address is the client\'s'],
  };

  function clientAddresses(c) {
    const [mode, detail] = CLIENT_MODES[c.mode] ?? [c.mode, ''];
    text('client-mode', mode);
    const untrusted = c.untrustedForwardedFrom
      ? `; ignored X-Forwarded-For from ${c.untrustedForwardedFrom} (since ${new Date(c.untrustedForwardedAt).toLocaleTimeString()}): if that is your proxy, add it to TrustedProxies`
      : '';
    text('client-detail', `${detail}${c.mode === 'listed' ? `: ${c.trustedProxies.join(', ')}` : ''}${untrusted}`);
    $('client-card').classList.toggle('bad', Boolean(c.untrustedForwardedFrom));
    $('client-detail').classList.toggle('error-text', Boolean(c.untrustedForwardedFrom));
  }

  function trackingPlans(p) {
    const rows = Object.entries(p.sources).flatMap(([source, names]) => Object.entries(names)
      .map(([name, n]) => [source, name, n])
      // Those breaking the plan first: they are what the table is looked at for.
      .sort((a, b) => (b[2].flagged + b[2].quarantined) - (a[2].flagged + a[2].quarantined) || a[1].localeCompare(b[1])));
    text('plans-state', Object.keys(p.sources).length === 0
      ? 'no event checked yet (Tracking:TrackingPlans)'
      : `quarantine ${bytes(p.quarantineBytes)} on this instance`);
    $('plans').replaceChildren(...rows.map(([source, name, n]) => row([source, name, number.format(n.passed), number.format(n.flagged), number.format(n.quarantined)])));
  }

  function row(cells) {
    const tr = document.createElement('tr');
    tr.replaceChildren(...cells.map((value) => {
      const td = document.createElement('td');
      td.textContent = value;
      return td;
    }));
    return tr;
  }

  async function refresh() {
    try {
      const response = await fetch('/status.json', { credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 401) {
        location.assign('/admin/login?returnUrl=/status');
        return;
      }
      if (!response.ok) throw new Error(`status.json answered ${response.status}`);
      render(await response.json());
      document.body.dataset.loaded = 'true';
    } catch (error) {
      text('updated', `could not load the status: ${error.message}`);
    }
  }

  refresh();
  setInterval(refresh, 5000);
})();

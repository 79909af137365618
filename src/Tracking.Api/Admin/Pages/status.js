// The status page: polls /status.json (the session cookie authenticates it) every 5 s and draws the
// last 15 minutes as SVG polylines. Nothing is loaded from anywhere but this origin.
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

  /** Draws each series of `samples` as a polyline scaled to the largest value; the x axis is the 15-minute window ending now. */
  function chart(id, samples, fields, windowSeconds, now) {
    const svg = $(id);
    const values = samples.flatMap((s) => fields.map((f) => s[f]));
    const max = Math.max(1, ...values);
    const children = [];
    const axis = document.createElementNS(SVG, 'line');
    for (const [k, v] of Object.entries({ x1: 0, y1: 79, x2: 300, y2: 79, class: 'axis' })) axis.setAttribute(k, v);
    children.push(axis);
    fields.forEach((field, i) => {
      const line = document.createElementNS(SVG, 'polyline');
      const points = samples.map((s) => {
        const x = 300 - ((now - Date.parse(s.at)) / 1000 / windowSeconds) * 300;
        const y = 78 - (s[field] / max) * 72;
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      });
      line.setAttribute('points', points.join(' '));
      line.setAttribute('class', `series-${i}`);
      line.setAttribute('data-field', field);
      children.push(line);
    });
    const label = document.createElementNS(SVG, 'text');
    label.setAttribute('x', 2);
    label.setAttribute('y', 9);
    label.textContent = `max ${rate(max)}`;
    children.push(label);
    svg.replaceChildren(...children);
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

    $('checks').replaceChildren(...Object.entries(status.checks).map(([name, check]) => row([name, check.status, check.description ?? ''])));
    const c = status.consumer;
    text('consumer-state', c.state === 'reachable'
      ? `reachable at ${c.url}: worker ${c.status.workerId}, ${c.status.leasesHeld} leases`
      : c.state === 'unreachable' ? `unreachable: ${c.error}` : 'not configured (Tracking:Status:ConsumerUrl)');
    $('shards').replaceChildren(...(c.status?.shards ?? []).map((s) => row([s.shardId, `${number.format(s.millisBehindLatest)} ms`])));

    const now = Date.parse(status.at);
    const window = status.intervalSeconds * 180;
    chart('chart-in', status.samples, ['inPerSecond', 'acceptedPerSecond'], window, now);
    chart('chart-delivered', status.samples, ['deliveredPerSecond'], window, now);
    chart('chart-failed', status.samples, ['failedPerSecond', 'recoveredPerSecond'], window, now);
    chart('chart-depth', status.samples, ['queueDepth'], window, now);
    chart('chart-age', status.samples, ['oldestAgeSeconds'], window, now);
  }

  const CLIENT_MODES = {
    listed: ['listed proxies', 'X-Forwarded-For is believed from Tracking:ClientIp:TrustedProxies only'],
    'private-networks': ['private networks', 'X-Forwarded-For is believed from loopback and private-network peers (the default)'],
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

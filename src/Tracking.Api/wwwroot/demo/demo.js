// Wires the demo's buttons to the tracker and renders demo.sends (filled by the onSend hook).
(function () {
  'use strict';

  var $ = function (id) {
    return document.getElementById(id);
  };
  var clicks = 0;
  var views = 1;

  function text(id, value) {
    $(id).textContent = value;
  }

  function refreshStatus() {
    text('write-key', demo.writeKey);
    text('network', navigator.onLine ? 'online' : 'offline: events wait in localStorage');
    text('view', location.pathname + location.search);
    // Before tracker.js arrives, window.tracker is the snippet's queue, without these getters.
    if (typeof tracker.anonymousId === 'function' && tracker.initialized) {
      text('anonymous-id', tracker.anonymousId());
      text('user-id', tracker.userId() || 'none');
    }
  }

  function short(value) {
    return value.length > 60 ? value.slice(0, 57) + '…' : value;
  }

  function summary(event) {
    if (event.type === 'track') return 'track “' + short(event.event) + '”';
    if (event.type === 'page') {
      return 'page ' + (event.name ? '“' + short(event.name) + '” ' : '') + short(event.properties.path + event.properties.search);
    }
    if (event.type === 'identify') return 'identify ' + (event.userId || '(traits only)');
    return event.type;
  }

  function outcome(info) {
    if (info.transport === 'beacon') return { label: 'beacon queued', tone: 'ok' };
    if (info.status === 0) return { label: 'network error: will retry', tone: 'warn' };
    if (info.status >= 200 && info.status < 300) {
      var rejected = (info.response && info.response.rejected) || [];
      return rejected.length
        ? { label: info.status + ', ' + rejected.length + ' rejected', tone: 'warn' }
        : { label: String(info.status), tone: 'ok' };
    }
    if (info.status === 429 || info.status >= 500) return { label: info.status + ': will retry', tone: 'warn' };
    return { label: info.status + ': dropped', tone: 'error' };
  }

  function block(title, value) {
    var details = document.createElement('details');
    var heading = document.createElement('summary');
    var pre = document.createElement('pre');
    heading.textContent = title;
    pre.textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
    details.append(heading, pre);
    return details;
  }

  function render(info) {
    var item = document.createElement('li');
    var head = document.createElement('div');
    var result = outcome(info);
    var badge = document.createElement('span');
    badge.className = 'badge ' + result.tone;
    badge.textContent = result.label;
    head.className = 'send-head';
    head.append(
      badge,
      ' ' + new Date().toLocaleTimeString() + ' · ' + info.transport + ' · ' + info.events.length + ' event(s): ' +
        info.events.map(summary).join(', ')
    );
    item.append(head, block('events sent', info.events));
    if (info.transport === 'fetch') item.append(block('server answer', info.response == null ? String(info.error) : info.response));
    $('sends').prepend(item);
    $('empty').hidden = true;
    refreshStatus();
  }

  $('track').addEventListener('click', function () {
    tracker.track('Demo Button Clicked', { clicks: ++clicks, button: 'track' });
  });

  $('identify-form').addEventListener('submit', function (e) {
    e.preventDefault();
    tracker.identify($('user-id-input').value, { email: $('email-input').value });
    setTimeout(refreshStatus, 0);
  });

  $('page').addEventListener('click', function () {
    tracker.page('Pricing', { plan: 'pro' });
  });

  $('spa').addEventListener('click', function () {
    var query = new URLSearchParams(location.search);
    query.set('view', String(++views));
    history.pushState({ view: views }, '', location.pathname + '?' + query);
    refreshStatus();
  });

  $('leave').addEventListener('click', function () {
    // No preventDefault, no delay: the tracker hands the queue to sendBeacon on pagehide.
    tracker.track('Outbound Link Clicked', { href: this.href });
  });

  $('flush').addEventListener('click', function () {
    tracker.flush();
  });

  $('reset').addEventListener('click', function () {
    tracker.reset();
    refreshStatus();
  });

  window.addEventListener('online', refreshStatus);
  window.addEventListener('offline', refreshStatus);
  window.addEventListener('popstate', refreshStatus);
  text('interval', demo.options.flushInterval + ' ms');

  demo.render = render;
  demo.sends.forEach(render);
  refreshStatus();
  // tracker.js loads asynchronously: show the ids once it has run.
  if (!tracker.initialized) document.querySelector('script[src="/tracker.js"]').addEventListener('load', refreshStatus);
})();

/*
 * tracker.js: a small, dependency-free browser tracker for the Tracking API.
 *
 * Events are built at call time, kept in a queue that is mirrored to localStorage, sent in
 * batches to POST {apiHost}/v1/batch as text/plain (no CORS preflight) with the write key in
 * the body, retried with backoff, and handed to navigator.sendBeacon when the page goes away.
 * Nothing here may throw into the host page: every entry point goes through guard().
 */
(function (win) {
  'use strict';

  var VERSION = '1.0.0';
  var KEY = 'tracker_';
  var QUEUE_KEY = KEY + 'q_';
  // Server limits are 32 KB per event and 500 KB per request; keep room for the envelope.
  var MAX_EVENT_BYTES = 32000;
  var MAX_REQUEST_BYTES = 490000;
  // Beacons and keepalive fetches share a 64 KiB in-flight quota per page.
  var MAX_BEACON_BYTES = 60000;
  // A queue left by a page that never said goodbye (crash, killed tab) is taken over after a day.
  var STALE_MS = 864e5;

  var doc = win.document;
  var nav = win.navigator || {};
  var defaults = {
    apiHost: '',
    flushAt: 20,
    flushInterval: 2000,
    autoPage: true,
    maxBackoff: 60000,
    maxQueue: 1000,
    onSend: null
  };

  var existing = win.tracker;
  if (existing && existing.initialized) return;

  var opts = assign({}, defaults);
  var writeKey = '';
  var scriptOrigin = '';
  var pageId = uuid();
  var queue = [];
  var inflight = [];
  var timer = 0;
  var retrying = false;
  var failures = 0;
  var cap = 0;
  var backlog = 0;
  var callTime = 0;
  var referrer = doc.referrer;
  var lastPath = null;
  var lastHref = '';
  var memory = {};
  var ls = probeStorage();
  var cookies = probeCookies();

  try {
    scriptOrigin = new URL(doc.currentScript.src).origin;
  } catch (e) {}

  function noop() {}

  function warn() {
    try {
      win.console.warn.apply(win.console, ['[tracker]'].concat([].slice.call(arguments)));
    } catch (e) {}
  }

  // Wraps an entry point so that a bug or bad input is logged, never thrown at the host page.
  function guard(fn) {
    return function () {
      try {
        return fn.apply(null, arguments);
      } catch (e) {
        warn(e);
      }
    };
  }

  function assign(target, source) {
    for (var k in source) {
      if (Object.prototype.hasOwnProperty.call(source, k)) target[k] = source[k];
    }
    return target;
  }

  function parse(text) {
    try {
      return JSON.parse(text);
    } catch (e) {
      return null;
    }
  }

  function bytes(text) {
    try {
      return new TextEncoder().encode(text).length;
    } catch (e) {
      return unescape(encodeURIComponent(text)).length;
    }
  }

  function uuid() {
    try {
      return win.crypto.randomUUID();
    } catch (e) {}
    var r = [];
    try {
      r = win.crypto.getRandomValues(new Uint8Array(16));
    } catch (e) {}
    var s = '';
    for (var i = 0; i < 16; i++) {
      var x = r[i] != null ? r[i] : (Math.random() * 256) | 0;
      if (i == 6) x = (x & 15) | 64;
      if (i == 8) x = (x & 63) | 128;
      s += (x + 256).toString(16).slice(1) + (i == 3 || i == 5 || i == 7 || i == 9 ? '-' : '');
    }
    return s;
  }

  // --- storage: localStorage, else a first-party cookie, else this page's memory ---

  function probeStorage() {
    try {
      var s = win.localStorage;
      s.setItem(KEY + 't', '1');
      s.removeItem(KEY + 't');
      return s;
    } catch (e) {
      return null;
    }
  }

  function probeCookies() {
    try {
      writeCookie(KEY + 't', '1');
      var ok = readCookie(KEY + 't') == '1';
      writeCookie(KEY + 't', null);
      return ok;
    } catch (e) {
      return false;
    }
  }

  function readCookie(name) {
    var m = doc.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }

  function writeCookie(name, value) {
    doc.cookie =
      name + '=' + encodeURIComponent(value || '') + '; path=/; SameSite=Lax; max-age=' + (value == null ? 0 : 31536000);
  }

  function get(name) {
    var v = null;
    try {
      v = ls && ls.getItem(KEY + name);
    } catch (e) {}
    if (v == null && cookies) v = readCookie(KEY + name);
    return v != null ? v : memory[name] != null ? memory[name] : null;
  }

  function set(name, value) {
    memory[name] = value;
    try {
      if (ls) value == null ? ls.removeItem(KEY + name) : ls.setItem(KEY + name, value);
    } catch (e) {}
    try {
      if (cookies) writeCookie(KEY + name, value);
    } catch (e) {}
  }

  function anonymousId() {
    var id = get('aid');
    if (!id) set('aid', (id = uuid()));
    return id;
  }

  // Mirrors what is not yet acknowledged, so the next page load can send it if this one cannot.
  function save(closing) {
    if (!ls || !writeKey) return;
    var all = inflight.concat(queue);
    try {
      if (all.length) ls.setItem(QUEUE_KEY + pageId, JSON.stringify({ k: writeKey, t: +new Date(), d: closing ? 1 : 0, q: all }));
      else ls.removeItem(QUEUE_KEY + pageId);
    } catch (e) {}
  }

  // Takes over queues of pages that closed (or died) with events unsent, once each.
  function reclaim() {
    if (!ls) return;
    var seen = {};
    var found = [];
    var i, k, rec;
    for (i = 0; i < queue.length; i++) seen[queue[i].messageId] = 1;
    for (i = ls.length - 1; i >= 0; i--) {
      k = ls.key(i);
      if (!k || k.indexOf(QUEUE_KEY) || k == QUEUE_KEY + pageId) continue;
      rec = parse(ls.getItem(k));
      if (!rec || !rec.q) ls.removeItem(k);
      else if (rec.k == writeKey && (rec.d || +new Date() - rec.t > STALE_MS)) {
        ls.removeItem(k);
        for (var j = 0; j < rec.q.length; j++) {
          if (!seen[rec.q[j].messageId]) {
            seen[rec.q[j].messageId] = 1;
            found.push(rec.q[j]);
          }
        }
      }
    }
    found.sort(function (a, b) {
      return a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0;
    });
    queue = found.concat(queue);
  }

  // --- building events ---

  function pageInfo() {
    var l = win.location;
    return { path: l.pathname, referrer: referrer, search: l.search, title: doc.title, url: l.href };
  }

  function context(page) {
    var s = win.screen || {};
    var tz;
    try {
      tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {}
    return {
      library: { name: 'tracker.js', version: VERSION },
      locale: nav.language,
      page: page || pageInfo(),
      screen: { width: s.width, height: s.height, density: win.devicePixelRatio },
      timezone: tz,
      userAgent: nav.userAgent
    };
  }

  function enqueue(type, msg, options, page) {
    options = options || {};
    var userId = get('uid');
    msg.type = type;
    msg.messageId = uuid();
    msg.anonymousId = anonymousId();
    if (msg.userId == null && userId) msg.userId = userId;
    msg.timestamp = new Date(options.timestamp || callTime || new Date()).toISOString();
    msg.context = assign(context(page), options.context);
    if (options.integrations) msg.integrations = options.integrations;
    var size = bytes(JSON.stringify(msg));
    if (size > MAX_EVENT_BYTES) return warn('event dropped: ' + size + ' bytes is over the 32 KB limit', msg);
    queue.push(msg);
    if (queue.length > opts.maxQueue) warn('queue full, oldest event dropped', queue.shift());
    save();
    schedule();
  }

  // --- sending ---

  function endpoint() {
    var host = opts.apiHost || scriptOrigin;
    if (host && !/^https?:\/\//.test(host)) host = 'https://' + host;
    return host.replace(/\/+$/, '') + '/v1/batch';
  }

  // How many events from the head of the list fit in one request (always at least one),
  // counting the envelope and the sentAt that body() adds to each event.
  function fit(list, maxBytes, maxCount) {
    var size = 100 + writeKey.length;
    var n = 0;
    while (n < list.length && n < maxCount) {
      size += bytes(JSON.stringify(list[n])) + 40;
      if (size > maxBytes && n) break;
      n++;
    }
    return n;
  }

  function body(events) {
    var now = new Date().toISOString();
    for (var i = 0; i < events.length; i++) events[i].sentAt = now;
    return JSON.stringify({ batch: events, sentAt: now, writeKey: writeKey });
  }

  function notify(info) {
    if (typeof opts.onSend == 'function') guard(opts.onSend)(info);
  }

  function later(ms, retry) {
    win.clearTimeout(timer);
    retrying = retry;
    timer = win.setTimeout(guard(flush), ms);
  }

  function schedule() {
    if (retrying || inflight.length || !queue.length) return;
    if (queue.length >= opts.flushAt) flush();
    else if (!timer) later(opts.flushInterval, false);
  }

  function flush() {
    win.clearTimeout(timer);
    timer = 0;
    retrying = false;
    // Offline: wait for the 'online' event rather than burn retries.
    if (!writeKey || inflight.length || !queue.length || nav.onLine === false) return;
    var sent = (inflight = queue.splice(0, fit(queue, MAX_REQUEST_BYTES, cap || opts.flushAt)));
    backlog = queue.length;
    var text = body(sent);
    var request;
    try {
      // text/plain keeps this a simple request: no CORS preflight. keepalive lets a send that
      // starts just before the user leaves finish (browsers allow it up to 64 KiB). Without
      // credentials a 401 cannot make the browser show the visitor a login dialog.
      request = win.fetch(endpoint(), {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: text,
        credentials: 'omit',
        keepalive: bytes(text) < MAX_BEACON_BYTES
      });
    } catch (e) {
      request = Promise.reject(e);
    }
    request
      .then(
        function (res) {
          return res
            .text()
            .catch(noop)
            .then(function (answer) {
              done(sent, res.status, answer, res.headers.get('Retry-After'));
            });
        },
        function (error) {
          done(sent, 0, null, null, error);
        }
      )
      .catch(warn);
  }

  function done(sent, status, answer, retryAfter, error) {
    var response = parse(answer);
    var rejected = (response && response.rejected) || [];
    inflight = [];
    notify({ transport: 'fetch', events: sent, status: status, response: response || answer, error: error });
    if (!status || status == 429 || status >= 500) {
      queue = sent.concat(queue);
      // Offline, the 'online' event resumes sending; otherwise back off and try again.
      if (nav.onLine !== false) later(delay(retryAfter, ++failures), true);
      return save();
    }
    failures = 0;
    if (status >= 200 && status < 300) {
      cap = 0;
      for (var i = 0; i < rejected.length; i++) warn('event rejected by the server', sent[rejected[i].index], rejected[i].errors);
    } else if (status == 413 && sent.length > 1) {
      cap = Math.ceil(sent.length / 2);
      queue = sent.concat(queue);
    } else {
      warn('batch dropped: HTTP ' + status, response || answer);
    }
    save();
    // What was already waiting behind this request goes now; newer events wait their turn.
    backlog ? flush() : schedule();
  }

  function delay(retryAfter, attempt) {
    var seconds = parseFloat(retryAfter);
    var ms = seconds >= 0 ? seconds * 1000 : Date.parse(retryAfter) - new Date();
    if (ms >= 0) return ms;
    return Math.min(opts.maxBackoff, 1000 * Math.pow(2, attempt - 1)) * (0.5 + Math.random() / 2);
  }

  function beacon(url, text) {
    try {
      if (nav.sendBeacon) return nav.sendBeacon(url, text);
      win
        .fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: text, credentials: 'omit', keepalive: true })
        .catch(noop);
      return true;
    } catch (e) {
      return false;
    }
  }

  // The page is hidden or going away: hand the queue to the browser. Offline, or while the
  // server is failing, a beacon would be lost, so the queue stays in storage for the next load.
  function leave(closing) {
    if (!writeKey) return;
    while (queue.length && nav.onLine !== false && !failures) {
      var n = fit(queue, MAX_BEACON_BYTES, queue.length);
      var text = body(queue.slice(0, n));
      if (!beacon(endpoint(), text)) break;
      notify({ transport: 'beacon', events: queue.splice(0, n) });
    }
    save(closing);
  }

  // --- automatic page views, including single-page-app navigation ---

  // The URL may have changed. Its address and time are taken now, so quick successive
  // navigations each get their own page view; the title a task later, once the app has set it.
  function navigated(initial) {
    var l = win.location;
    var path = l.pathname + l.search;
    if (path == lastPath) return;
    if (lastPath != null) referrer = lastHref;
    lastPath = path;
    lastHref = l.href;
    var info = pageInfo();
    var time = initial ? 0 : new Date();
    var send = function () {
      info.title = doc.title;
      enqueue('page', { properties: assign({}, info) }, { timestamp: time }, info);
    };
    initial ? send() : win.setTimeout(guard(send), 0);
  }

  function watchHistory() {
    var h = win.history;
    var changed = guard(function () {
      navigated();
    });
    ['pushState', 'replaceState'].forEach(function (name) {
      var original = h && h[name];
      if (typeof original != 'function') return;
      h[name] = function () {
        var result = original.apply(this, arguments);
        changed();
        return result;
      };
    });
    win.addEventListener('popstate', changed);
  }

  // --- public API ---

  var api = {
    load: function (key, options) {
      if (writeKey) return warn('load() called twice');
      if (!key) return warn('load() needs a write key');
      writeKey = String(key);
      assign(opts, options);
      reclaim();
      save();
      win.addEventListener('online', guard(flush));
      win.addEventListener('pagehide', guard(function () {
        leave(true);
      }));
      win.addEventListener('pageshow', guard(function (e) {
        // Back from the back/forward cache: another page may have taken our queue meanwhile.
        if (e.persisted && ls && !ls.getItem(QUEUE_KEY + pageId)) queue = [];
        save();
      }));
      doc.addEventListener('visibilitychange', guard(function () {
        if (doc.visibilityState == 'hidden') leave(false);
      }));
      if (opts.autoPage) {
        watchHistory();
        navigated(true);
      }
      schedule();
    },
    track: function (event, properties, options) {
      if (typeof event != 'string' || !event) return warn('track() needs an event name');
      enqueue('track', { event: event, properties: properties || {} }, options);
    },
    identify: function (userId, traits, options) {
      if (userId && typeof userId == 'object') {
        options = traits;
        traits = userId;
        userId = null;
      }
      if (userId != null) set('uid', String(userId));
      enqueue('identify', { traits: traits || {} }, options);
    },
    page: function (name, properties, options) {
      if (name && typeof name == 'object') {
        options = properties;
        properties = name;
        name = null;
      }
      var msg = { properties: assign(pageInfo(), properties) };
      if (name != null) msg.name = String(name);
      enqueue('page', msg, options);
    },
    group: function (groupId, traits, options) {
      if (groupId == null) return warn('group() needs a group id');
      enqueue('group', { groupId: String(groupId), traits: traits || {} }, options);
    },
    alias: function (newId, previousId, options) {
      if (newId == null) return warn('alias() needs a new id');
      enqueue('alias', { userId: String(newId), previousId: String(previousId || get('uid') || anonymousId()) }, options);
    },
    reset: function () {
      set('uid', null);
      set('aid', null);
    },
    flush: flush,
    anonymousId: anonymousId,
    userId: function () {
      return get('uid');
    }
  };

  var tracker = { initialized: true, VERSION: VERSION };
  for (var name in api) tracker[name] = guard(api[name]);
  win.tracker = tracker;

  // Replays calls the snippet queued before this script arrived, at the time they were made.
  if (existing && existing.length) {
    for (var i = 0; i < existing.length; i++) {
      var call = existing[i];
      if (call && tracker[call[0]]) {
        callTime = call.t || 0;
        tracker[call[0]].apply(null, [].slice.call(call, 1));
      }
    }
    callTime = 0;
  }
})(window);

// Small fakes of the browser globals tracker.js touches, and a loader that runs the tracker
// source in a fresh VM context whose global object is the fake window: one "page load".
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { paths } from '../build.mjs';

const trackerSource = readFileSync(paths.source, 'utf8');

export class FakeStorage {
  constructor({ quota = Infinity } = {}) {
    this.items = new Map();
    this.quota = quota;
  }
  get length() {
    return this.items.size;
  }
  key(i) {
    return [...this.items.keys()][i] ?? null;
  }
  getItem(k) {
    return this.items.has(k) ? this.items.get(k) : null;
  }
  setItem(k, v) {
    const used = [...this.items].reduce((n, [key, val]) => n + (key === k ? 0 : key.length + val.length), 0);
    if (used + k.length + String(v).length > this.quota) throw new Error('QuotaExceededError');
    this.items.set(k, String(v));
  }
  removeItem(k) {
    this.items.delete(k);
  }
  queue() {
    return [...this.items].filter(([k]) => k.startsWith('tracker_q_')).map(([k, v]) => ({ key: k, ...JSON.parse(v) }));
  }
}

// document.cookie semantics: reads give "a=1; b=2", writes set one cookie, max-age=0 deletes.
export class CookieJar {
  constructor() {
    this.cookies = new Map();
  }
  read() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  write(text) {
    const [pair, ...attrs] = text.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (attrs.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
    else this.cookies.set(name, pair.slice(eq + 1));
  }
}

// Timers that run only when the test advances the clock.
export class FakeClock {
  constructor() {
    this.now = 0;
    this.timers = new Map();
    this.nextId = 1;
  }
  setTimeout = (fn, ms = 0) => {
    const id = this.nextId++;
    this.timers.set(id, { fn, at: this.now + ms, ms });
    return id;
  };
  clearTimeout = (id) => {
    this.timers.delete(id);
  };
  pending() {
    return [...this.timers.values()].sort((a, b) => a.at - b.at);
  }
  async tick(ms) {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
      await settle();
    }
    this.now = until;
  }
}

export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

// A fetch that records requests and answers from a script of responses (default: 200 accepted).
export function fakeFetch() {
  const requests = [];
  const script = [];
  const fetch = (url, init) => {
    const request = { url, init, body: JSON.parse(init.body) };
    requests.push(request);
    const next = script.length ? script.shift() : { status: 200 };
    if (next.networkError) return Promise.reject(new TypeError('Failed to fetch'));
    const json = next.json ?? { success: true, accepted: request.body.batch.length, rejected: [] };
    return Promise.resolve({
      status: next.status,
      ok: next.status >= 200 && next.status < 300,
      headers: { get: (name) => next.headers?.[name.toLowerCase()] ?? null },
      text: () => Promise.resolve(typeof json === 'string' ? json : JSON.stringify(json)),
    });
  };
  return { fetch, requests, respond: (...responses) => script.push(...responses) };
}

class FakeEventTarget {
  constructor() {
    this.listeners = {};
  }
  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }
  dispatch(type, event = {}) {
    for (const fn of this.listeners[type] || []) fn({ type, ...event });
  }
}

/**
 * Runs tracker.js once in a fake window. Options pick the environment: `storage` is a
 * FakeStorage, `'throws'` (access raises, as with blocked storage) or `null`; `cookies: false`
 * makes document.cookie ignore writes; `stub` is the snippet's pre-load array.
 */
export function loadTracker({
  storage = new FakeStorage(),
  cookies = new CookieJar(),
  fetch = fakeFetch(),
  clock = new FakeClock(),
  href = 'https://shop.example/products?sort=price',
  referrer = 'https://search.example/',
  title = 'Products',
  online = true,
  sendBeacon,
  randomUUID = true,
  stub,
  source = trackerSource,
} = {}) {
  const warnings = [];
  const beacons = [];
  const location = {};
  const setLocation = (url) => {
    const u = new URL(url, location.href || undefined);
    Object.assign(location, { href: u.href, pathname: u.pathname, search: u.search, hash: u.hash });
  };
  setLocation(href);

  const document = new FakeEventTarget();
  Object.assign(document, {
    title,
    referrer,
    visibilityState: 'visible',
    currentScript: { src: 'https://api.example/tracker.js' },
  });
  Object.defineProperty(document, 'cookie', {
    get: () => (cookies ? cookies.read() : ''),
    set: (text) => cookies && cookies.write(text),
  });

  const navigator = { userAgent: 'FakeBrowser/1.0', language: 'en-GB', onLine: online };
  if (sendBeacon !== null) {
    navigator.sendBeacon = sendBeacon ?? ((url, body) => (beacons.push({ url, body: JSON.parse(body) }), true));
  }

  const win = new FakeEventTarget();
  const history = {
    pushState: (state, unused, url) => setLocation(url),
    replaceState: (state, unused, url) => setLocation(url),
  };
  const crypto = randomUUID ? { randomUUID: () => globalThis.crypto.randomUUID() } : {};
  Object.assign(win, {
    document,
    navigator,
    location,
    history,
    crypto,
    screen: { width: 1280, height: 800 },
    devicePixelRatio: 2,
    console: { warn: (...args) => warnings.push(args) },
    fetch: fetch.fetch,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    URL,
    TextEncoder,
  });
  if (storage === 'throws') {
    Object.defineProperty(win, 'localStorage', {
      get() {
        throw new Error('SecurityError: access is denied');
      },
    });
  } else if (storage) {
    win.localStorage = storage;
  }
  win.window = win;
  if (stub) win.tracker = stub;

  vm.createContext(win);
  vm.runInContext(source, win);

  return {
    win,
    tracker: win.tracker,
    storage,
    cookies,
    fetch,
    clock,
    warnings,
    beacons,
    navigate(url) {
      setLocation(url);
    },
    setOnline(value) {
      navigator.onLine = value;
      if (value) win.dispatch('online');
    },
    hide() {
      document.visibilityState = 'hidden';
      document.dispatch('visibilitychange');
    },
    pagehide() {
      win.dispatch('pagehide', { persisted: false });
    },
    /** All events the fake server has received so far, in order. */
    sent() {
      return fetch.requests.flatMap((r) => r.body.batch);
    },
  };
}

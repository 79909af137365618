// The event debugger: accepted events and refused messages from /debugger/events (server-sent events; the
// session cookie authenticates it), newest first, filtered here in the page by outcome, type, event or name,
// user and source. A refusal is marked with its status and reason; an event that breaks its source's tracking
// plan with its violations, and as quarantined when the plan blocks it.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const KEEP = 500;
  const list = $('events');
  const seen = new Set();
  let paused = false;
  let waiting = [];

  const filters = () => ({
    outcome: $('filter-outcome').value,
    type: $('filter-type').value,
    event: $('filter-event').value.trim().toLowerCase(),
    user: $('filter-user').value.trim().toLowerCase(),
    source: $('filter-source').value.trim().toLowerCase(),
  });

  const nameOf = (e) => e.event ?? e.name ?? e.groupId ?? e.previousId ?? '';
  const userOf = (e) => e.userId ?? e.anonymousId ?? '';

  function matches(e, f) {
    if (f.outcome === 'accepted' && e.refused) return false;
    if (f.outcome === 'refused' && !e.refused) return false;
    if (f.outcome === 'violations' && !(e.violations?.length > 0)) return false;
    if (f.type && e.type !== f.type) return false;
    if (f.event && !String(nameOf(e)).toLowerCase().includes(f.event)) return false;
    if (f.user && ![e.userId, e.anonymousId].some((id) => id != null && String(id).toLowerCase().includes(f.user))) return false;
    if (f.source && !String(e.source ?? '').toLowerCase().includes(f.source)) return false;
    return true;
  }

  function span(cls, value) {
    const s = document.createElement('span');
    s.className = cls;
    s.textContent = value;
    s.title = value;
    return s;
  }

  function item(e, id) {
    const li = document.createElement('li');
    li.dataset.id = id;
    li.dataset.type = e.type ?? '';
    li.event = e;
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    const at = e.receivedAt ? new Date(e.receivedAt).toLocaleTimeString() : '';
    summary.append(span('time', at), span('type', e.type ?? '?'), span('name', String(nameOf(e))), span('user', String(userOf(e))), span('source', e.source ?? ''));
    if (e.refused) {
      li.classList.add('refused');
      const where = e.index != null ? ` item ${e.index}` : e.messages != null ? ` batch of ${e.messages}` : '';
      const reason = span('reason', `refused ${e.status}${where}: ${e.title ?? ''}${e.errors ? ` (${Object.keys(e.errors).join(', ')})` : ''}`);
      summary.append(reason);
    } else if (e.violations?.length > 0) {
      li.classList.add('violations');
      const rules = e.violations.map((v) => `${v.rule} ${v.path}`).join(', ');
      summary.append(span('reason', `${e.quarantined ? 'quarantined, ' : ''}${e.violations.length} tracking plan violation${e.violations.length === 1 ? '' : 's'}: ${rules}`));
    }
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify(e, null, 2);
    details.append(summary, pre);
    li.append(details);
    return li;
  }

  function apply() {
    const f = filters();
    let shown = 0;
    for (const li of list.children) {
      li.hidden = !matches(li.event, f);
      if (!li.hidden) shown++;
    }
    const refused = [...list.children].filter((li) => li.event.refused).length;
    const broken = [...list.children].filter((li) => li.event.violations?.length > 0).length;
    $('shown').textContent = `${shown} of ${list.children.length} events (${refused} refused${broken > 0 ? `, ${broken} with plan violations` : ''})${paused ? ` (paused, ${waiting.length} waiting)` : ''}`;
  }

  function add(e, id) {
    const li = item(e, id);
    li.hidden = !matches(e, filters());
    list.prepend(li);
    while (list.children.length > KEEP) list.lastElementChild.remove();
  }

  function connect() {
    const source = new EventSource('/debugger/events');
    const badge = $('connection');
    source.addEventListener('connected', () => {
      badge.textContent = 'live';
      badge.className = 'badge ok';
    });
    const receive = (message) => {
      // A reconnect replays the kept events: show each once.
      if (seen.has(message.lastEventId)) return;
      seen.add(message.lastEventId);
      let e;
      try {
        e = JSON.parse(message.data);
      } catch {
        return;
      }
      if (message.type === 'refused') e.refused = true;
      // Not a member of the event: the page's own mark, shown beside its violations.
      if (message.type === 'quarantined') Object.defineProperty(e, 'quarantined', { value: true });
      if (paused) waiting.push([e, message.lastEventId]);
      else add(e, message.lastEventId);
      apply();
    };
    source.addEventListener('event', receive);
    source.addEventListener('refused', receive);
    source.addEventListener('quarantined', receive);
    source.addEventListener('error', async () => {
      badge.textContent = source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…';
      badge.className = 'badge bad';
      if (source.readyState === EventSource.CLOSED) {
        // Closed for good: an expired session (401) sends the browser to the login form, anything else retries.
        const probe = await fetch('/status.json', { credentials: 'same-origin', cache: 'no-store' }).catch(() => null);
        if (probe?.status === 401) location.assign('/admin/login?returnUrl=/debugger');
        else setTimeout(connect, 3000);
      }
    });
  }

  $('filters').addEventListener('input', apply);
  $('filters').addEventListener('submit', (event) => event.preventDefault());
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    if (!paused) {
      for (const [e, id] of waiting) add(e, id);
      waiting = [];
    }
    apply();
  });
  $('clear').addEventListener('click', () => {
    list.replaceChildren();
    waiting = [];
    apply();
  });
  connect();
})();

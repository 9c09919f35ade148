// The live dashboard of the playground. Plain browser JavaScript: it reads the backend's
// GraphQL API and Segment API through the playground server (which adds the secret key), and
// refreshes whenever the GraphQL subscription says a new batch of events is durable.
'use strict';

const WINDOW_MIN = 30;
const QUERIES = {
  overview: `query Overview($from: DateTime!, $to: DateTime!, $today: DateTime!) {
    timeseries(from: $from, to: $to, bucket: MINUTE) { start count uniqueVisitors }
    today: timeseries(from: $today, to: $to, bucket: DAY) { uniqueVisitors }
    topPages(from: $from, to: $to, limit: 8) { page count }
    liveVisitors
    recentEvents(limit: 25) { eventType eventName visitorId userId page timestamp }
  }`,
  live: 'subscription { eventCounts { events } }',
};

const $ = (id) => document.getElementById(id);
const text = (value) => document.createTextNode(String(value));
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const child of children) node.append(child instanceof Node ? child : text(child));
  return node;
};

async function graphql(query, variables) {
  const res = await fetch('/dashboard/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors && body.errors.length)
    throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

async function rest(path) {
  const res = await fetch(`/dashboard/api${path}`);
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

const chart = new Chart($('chart'), {
  type: 'bar',
  data: {
    labels: [],
    datasets: [
      { label: 'events', data: [], backgroundColor: '#6366f1' },
      { label: 'unique visitors', data: [], type: 'line', borderColor: '#4ade80', tension: 0.3 },
    ],
  },
  options: {
    animation: false,
    scales: {
      x: { ticks: { color: '#9a9cc8' } },
      y: { beginAtZero: true, ticks: { color: '#9a9cc8', precision: 0 } },
    },
    plugins: { legend: { labels: { color: '#e8e9ff' } } },
  },
});

function minuteLabels(to) {
  const labels = [];
  const end = Math.floor(to / 60000) * 60000;
  for (let t = end - (WINDOW_MIN - 1) * 60000; t <= end; t += 60000) labels.push(t);
  return labels;
}

async function refreshOverview() {
  const to = Date.now() + 60000;
  const from = to - (WINDOW_MIN + 1) * 60000;
  const data = await graphql(QUERIES.overview, {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    // One DAY bucket from UTC midnight: distinct visitors cannot be added across buckets.
    today: new Date(Math.floor(Date.now() / 86400000) * 86400000).toISOString(),
  });
  const byMinute = new Map(data.timeseries.map((b) => [Date.parse(b.start), b]));
  const minutes = minuteLabels(Date.now());
  chart.data.labels = minutes.map((t) => new Date(t).toTimeString().slice(0, 5));
  chart.data.datasets[0].data = minutes.map((t) => byMinute.get(t)?.count ?? 0);
  chart.data.datasets[1].data = minutes.map((t) => byMinute.get(t)?.uniqueVisitors ?? 0);
  chart.update();
  // Event counts do add up across minutes (each event is in one bucket).
  $('total-events').textContent = data.timeseries.reduce((n, b) => n + b.count, 0);
  $('total-visitors').textContent = data.today[0]?.uniqueVisitors ?? 0;
  $('live-visitors').textContent = data.liveVisitors;
  $('top-pages').tBodies[0].replaceChildren(
    ...data.topPages.map((p) => el('tr', {}, el('td', {}, p.page), el('td', {}, p.count))),
  );
  $('stream').replaceChildren(
    ...data.recentEvents.map((e) =>
      el(
        'li',
        {},
        new Date(e.timestamp).toTimeString().slice(0, 8),
        ' ',
        el('span', { class: 'type' }, e.eventType),
        ' ',
        e.eventName || e.page || '',
        ' · ',
        e.userId || e.visitorId,
      ),
    ),
  );
}

async function refreshSegments() {
  const { segments } = await rest('/v1/segments');
  const blocks = await Promise.all(
    segments.map(async (segment) => {
      const page = await rest(`/v1/segments/${encodeURIComponent(segment.id)}/members?limit=50`);
      const members = page.members.map((id) => {
        const button = el('button', { type: 'button', 'data-member': id }, id);
        button.addEventListener('click', () => showProfile(id));
        return button;
      });
      const rule = segment.rule;
      const what = [rule.event_type, rule.event_name, rule.where && JSON.stringify(rule.where)]
        .filter(Boolean)
        .join(' ');
      return el(
        'div',
        { class: 'segment', 'data-segment': segment.id },
        el('h3', {}, segment.name || segment.id),
        el(
          'p',
          {},
          `${rule.min_count}+ × ${what} in ${rule.window} · ${page.members.length} members`,
        ),
        el('div', { class: 'members' }, ...members),
      );
    }),
  );
  $('segments').replaceChildren(...(blocks.length ? blocks : [el('p', {}, 'No segments yet.')]));
}

async function showProfile(id) {
  $('profile-id').value = id;
  try {
    const profile = await rest(`/v1/profiles/${encodeURIComponent(id)}`);
    $('profile').replaceChildren(
      el(
        'dl',
        { id: 'profile-details' },
        el('dt', {}, 'canonical id'),
        el('dd', {}, profile.id),
        el('dt', {}, 'user id'),
        el('dd', {}, profile.user_id || '—'),
        el('dt', {}, 'visitor ids'),
        el('dd', {}, (profile.visitor_ids || []).join(', ') || '—'),
        el('dt', {}, 'segments'),
        el('dd', {}, (profile.segments || []).map((s) => s.id || s).join(', ') || '—'),
      ),
    );
  } catch (error) {
    $('profile').replaceChildren(el('p', {}, `No profile: ${error.message}`));
  }
}
$('profile-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if ($('profile-id').value) void showProfile($('profile-id').value.trim());
});

let pending;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(() => void refreshAll(), 150);
}
async function refreshAll() {
  try {
    await Promise.all([refreshOverview(), refreshSegments()]);
    document.body.dataset.updated = String(Date.now());
    if ($('status').dataset.state !== 'live') setStatus('error', 'updated (no live connection)');
  } catch (error) {
    setStatus('error', error.message);
  }
}
function setStatus(state, message) {
  $('status').dataset.state = state;
  $('status').textContent = message;
}

// Live: the subscription pushes on every durable batch; polling every 10 s is the fallback.
const source = new EventSource(`/dashboard/graphql?query=${encodeURIComponent(QUERIES.live)}`);
source.addEventListener('open', () => setStatus('live', 'live'));
source.addEventListener('next', refreshSoon);
source.addEventListener('message', refreshSoon);
source.addEventListener('error', () => setStatus('error', 'live updates lost, retrying…'));
setInterval(() => void refreshAll(), 10000);
void refreshAll();

// The playground dashboard. Plain browser JavaScript, no framework: it reads only the
// backend's public GraphQL API and Segment API (through the playground server, which adds the
// secret key), so it doubles as their example client. Four views behind the header's links:
// an overview of a time range (totals, chart, breakdowns; click a value to filter by it),
// funnels, segments (edit with a live preview) and profiles (search, timeline, decide).
'use strict';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The API's longest range for summaries, breakdowns and funnels (INPUT_BOUNDS.listRangeMs). */
const MAX_RANGE = 31 * DAY;
/** Live pushes refresh at most this often, however many batches arrive. */
const LIVE_REFRESH_MS = 2_000;

/** Breakdown panels: the GraphQL Dimension, its title, and the filter a click on a value sets. */
const PANELS = [
  { dimension: 'PAGE', title: 'Pages', filter: 'page', views: true },
  { dimension: 'ENTRY_PAGE', title: 'Entry pages', filter: 'page', unit: 'sessions' },
  { dimension: 'EXIT_PAGE', title: 'Exit pages', filter: 'page', unit: 'sessions' },
  { dimension: 'REFERRER', title: 'Referrers', filter: 'referrer' },
  { dimension: 'UTM_SOURCE', title: 'UTM sources', filter: 'utmSource' },
  { dimension: 'UTM_CAMPAIGN', title: 'UTM campaigns', filter: 'utmCampaign' },
  { dimension: 'COUNTRY', title: 'Countries', filter: 'country' },
  { dimension: 'DEVICE', title: 'Devices', filter: 'device' },
  { dimension: 'BROWSER', title: 'Browsers', filter: 'browser' },
  { dimension: 'EVENT_NAME', title: 'Event names', filter: 'eventName' },
];
const FILTER_NAMES = {
  page: 'page',
  referrer: 'referrer',
  utmSource: 'utm source',
  utmCampaign: 'utm campaign',
  country: 'country',
  device: 'device',
  browser: 'browser',
  eventName: 'event',
  eventType: 'type',
};

const QUERIES = {
  totals: `query Totals($from: DateTime!, $to: DateTime!, $pfrom: DateTime!, $filter: EventFilter) {
    now: summary(from: $from, to: $to, filter: $filter) { events uniqueVisitors sessions pageViews }
    before: summary(from: $pfrom, to: $from, filter: $filter) { events uniqueVisitors sessions pageViews }
    liveVisitors
  }`,
  series: `query Series($from: DateTime!, $to: DateTime!, $pfrom: DateTime!, $bucket: Bucket!, $filter: EventFilter) {
    now: timeseries(from: $from, to: $to, bucket: $bucket, filter: $filter) { start count uniqueVisitors }
    before: timeseries(from: $pfrom, to: $from, bucket: $bucket, filter: $filter) { start count }
  }`,
  breakdown: `query Breakdown($from: DateTime!, $to: DateTime!, $dimension: Dimension!, $filter: EventFilter) {
    breakdown(from: $from, to: $to, dimension: $dimension, filter: $filter, limit: 10) { value count uniqueVisitors }
  }`,
  recent: `{ recentEvents(limit: 25) { eventType eventName visitorId userId page timestamp } }`,
  funnel: `query Funnel($from: DateTime!, $to: DateTime!, $steps: [FunnelStepInput!]!, $window: Int!) {
    funnel(from: $from, to: $to, steps: $steps, windowSeconds: $window) {
      steps { index eventType eventName page count conversion }
    }
  }`,
  activity: `query Activity($ids: [String!]!) { profileActivity(ids: $ids) { id count lastSeen } }`,
  search: `query Search($q: String!) { profileSearch(query: $q) { id identified count visitors lastSeen } }`,
  timeline: `query Timeline($id: String!) {
    profileTimeline(id: $id, limit: 100) { eventId eventType eventName visitorId userId page timestamp }
  }`,
  live: 'subscription { eventCounts { events } }',
};

// ---------------------------------------------------------------------------------------
// Small helpers

const $ = (id) => document.getElementById(id);
const text = (value) => document.createTextNode(String(value));
const el = (tag, attrs, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children) node.append(child instanceof Node ? child : text(child));
  return node;
};
const iso = (ms) => new Date(ms).toISOString();
const number = (n) => n.toLocaleString('en-US');
const time = (value) => new Date(value).toISOString().replace('T', ' ').slice(0, 19);

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

/** A Segment API call; resolves with { ok, status, body }. */
async function rest(path, method = 'GET', payload) {
  const res = await fetch(`/dashboard/api${path}`, {
    method,
    headers: payload ? { 'content-type': 'application/json' } : {},
    body: payload ? JSON.stringify(payload) : undefined,
  });
  const body = res.status === 204 ? null : await res.json();
  return { ok: res.ok, status: res.status, body };
}
async function restOk(path) {
  const answer = await rest(path);
  if (!answer.ok) throw new Error(`${path}: ${answer.body?.error?.message ?? answer.status}`);
  return answer.body;
}

function setStatus(state, message) {
  $('status').dataset.state = state;
  $('status').textContent = message;
}

// ---------------------------------------------------------------------------------------
// State: the range, the filters, the view. The body's data attributes say what is on screen,
// so a test (or a curious user) can ask the API the same question.

const state = { range: 'live', from: 0, to: 0, bucket: 'MINUTE', compare: false, filters: {} };

/** [from, to) and the bucket width of a range choice, at `now`. */
function rangeOf(choice, now) {
  const nextMinute = Math.ceil((now + 1) / MINUTE) * MINUTE;
  switch (choice) {
    case 'live':
      return { from: nextMinute - 30 * MINUTE, to: nextMinute, bucket: 'MINUTE' };
    case 'today':
      return { from: Math.floor(now / DAY) * DAY, to: nextMinute, bucket: 'HOUR' };
    case '24h':
      return { from: nextMinute - DAY, to: nextMinute, bucket: 'HOUR' };
    case '7d':
      return { from: nextMinute - 7 * DAY, to: nextMinute, bucket: 'HOUR' };
    case '30d':
      return { from: nextMinute - 30 * DAY, to: nextMinute, bucket: 'DAY' };
    default: {
      const from = Date.parse(`${$('range-from').value}T00:00:00Z`);
      const to = Date.parse(`${$('range-to').value}T00:00:00Z`) + DAY;
      if (!(from < to)) throw new Error('pick a start day on or before the end day');
      if (to - from > MAX_RANGE) throw new Error('a range may span at most 31 days');
      return { from, to, bucket: to - from <= 2 * DAY ? 'HOUR' : 'DAY' };
    }
  }
}

function applyRange() {
  try {
    Object.assign(state, rangeOf(state.range, Date.now()));
    $('range-error').textContent = '';
  } catch (error) {
    $('range-error').textContent = error.message;
    return false;
  }
  document.body.dataset.range = JSON.stringify({ from: iso(state.from), to: iso(state.to) });
  document.body.dataset.bucket = state.bucket;
  $('range-label').textContent = `${time(state.from)} – ${time(state.to)} UTC`;
  return true;
}

const filterArg = () => (Object.keys(state.filters).length ? { ...state.filters } : null);

function renderFilters() {
  document.body.dataset.filters = JSON.stringify(state.filters);
  $('filters').replaceChildren(
    ...Object.entries(state.filters).map(([field, value]) => {
      const chip = el(
        'button',
        {
          type: 'button',
          class: 'chip',
          'data-filter': field,
          'aria-label': `Remove filter ${FILTER_NAMES[field]} ${value}`,
        },
        `${FILTER_NAMES[field]}: ${value || '(none)'} ×`,
      );
      chip.addEventListener('click', () => {
        delete state.filters[field];
        renderFilters();
        void refreshView();
      });
      return chip;
    }),
  );
}

function addFilter(field, value) {
  state.filters[field] = value;
  renderFilters();
  void refreshView();
}

// ---------------------------------------------------------------------------------------
// Overview

let chart;
function ensureChart() {
  if (chart) return chart;
  chart = new Chart($('chart'), {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'events', data: [], backgroundColor: '#6366f1' },
        { label: 'unique visitors', data: [], type: 'line', borderColor: '#4ade80', tension: 0.3 },
        { label: 'events, previous period', data: [], type: 'line', borderColor: '#9a9cc8' },
      ],
    },
    options: {
      animation: false,
      scales: {
        x: { ticks: { color: '#9a9cc8', maxTicksLimit: 12 } },
        y: { beginAtZero: true, ticks: { color: '#9a9cc8', precision: 0 } },
      },
      plugins: { legend: { labels: { color: '#e8e9ff' } } },
    },
  });
  return chart;
}

const BUCKET_MS = { MINUTE, HOUR, DAY };
function bucketStarts(from, to, bucket) {
  const step = BUCKET_MS[bucket];
  const starts = [];
  for (let t = Math.floor(from / step) * step; t < to; t += step) starts.push(t);
  return starts;
}
function bucketLabel(t, bucket) {
  const s = iso(t);
  return bucket === 'DAY'
    ? s.slice(5, 10)
    : bucket === 'HOUR'
      ? s.slice(5, 13) + 'h'
      : s.slice(11, 16);
}

function change(now, before) {
  if (!state.compare) return '';
  if (before === 0) return now === 0 ? '±0% vs previous' : 'new vs previous (0)';
  const pct = Math.round(((now - before) / before) * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '' : '±'}${pct}% vs previous (${number(before)})`;
}

async function refreshTotals(variables) {
  const data = await graphql(QUERIES.totals, variables);
  const tiles = [
    ['total-visitors', 'uniqueVisitors'],
    ['total-pageviews', 'pageViews'],
    ['total-events', 'events'],
    ['total-sessions', 'sessions'],
  ];
  for (const [id, field] of tiles) {
    $(id).textContent = data.now[field];
    $(`${id}-change`).textContent = change(data.now[field], data.before[field]);
  }
  $('live-visitors').textContent = data.liveVisitors;
}

async function refreshSeries(variables) {
  const data = await graphql(QUERIES.series, { ...variables, bucket: state.bucket });
  const byStart = new Map(data.now.map((b) => [Date.parse(b.start), b]));
  const span = state.to - state.from;
  const before = new Map(data.before.map((b) => [Date.parse(b.start) + span, b.count]));
  const starts = bucketStarts(state.from, state.to, state.bucket);
  const c = ensureChart();
  c.data.labels = starts.map((t) => bucketLabel(t, state.bucket));
  c.data.datasets[0].data = starts.map((t) => byStart.get(t)?.count ?? 0);
  c.data.datasets[1].data = starts.map((t) => byStart.get(t)?.uniqueVisitors ?? 0);
  c.data.datasets[2].data = state.compare ? starts.map((t) => before.get(t) ?? 0) : [];
  c.data.datasets[2].hidden = !state.compare;
  c.update();
  $('chart-title').textContent = `Events per ${state.bucket.toLowerCase()}`;
}

function buildPanels() {
  $('breakdowns').replaceChildren(
    ...PANELS.map((panel) =>
      el(
        'section',
        { class: 'breakdown', 'data-dimension': panel.dimension },
        el('h2', {}, panel.title),
        el(
          'table',
          panel.dimension === 'PAGE' ? { id: 'top-pages' } : {},
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'value'),
              el('th', {}, 'visitors'),
              el('th', {}, panel.unit ?? (panel.views ? 'views' : 'events')),
            ),
          ),
          el('tbody'),
        ),
      ),
    ),
  );
}

async function refreshPanel(panel, variables) {
  let filter = variables.filter;
  // Pages are ranked by page views unless the filter picks an event type.
  if (panel.views && !filter?.eventType) filter = { ...(filter ?? {}), eventType: 'page_view' };
  const { breakdown } = await graphql(QUERIES.breakdown, {
    ...variables,
    filter,
    dimension: panel.dimension,
  });
  const section = document.querySelector(`[data-dimension="${panel.dimension}"]`);
  const rows = breakdown.map((row) => {
    const button = el(
      'button',
      {
        type: 'button',
        class: 'value',
        'data-value': row.value,
        title: `Filter by ${FILTER_NAMES[panel.filter]} ${row.value}`,
      },
      row.value || '(none)',
    );
    button.addEventListener('click', () => addFilter(panel.filter, row.value));
    return el(
      'tr',
      {},
      el('td', {}, button),
      el('td', {}, row.uniqueVisitors),
      el('td', {}, row.count),
    );
  });
  if (!rows.length)
    rows.push(el('tr', {}, el('td', { colspan: '3', class: 'muted' }, 'Nothing in this range.')));
  section.querySelector('tbody').replaceChildren(...rows);
}

async function refreshStream() {
  const { recentEvents } = await graphql(QUERIES.recent);
  $('stream').replaceChildren(
    ...recentEvents.map((e) =>
      el(
        'li',
        {},
        time(e.timestamp).slice(11),
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

async function refreshOverview() {
  const plain = { from: iso(state.from), to: iso(state.to), filter: filterArg() };
  // The previous period: as long as the range, ending where it starts.
  const compared = { ...plain, pfrom: iso(state.from - (state.to - state.from)) };
  await Promise.all([
    refreshTotals(compared),
    refreshSeries(compared),
    refreshStream(),
    ...PANELS.map((panel) => refreshPanel(panel, plain)),
  ]);
}

// ---------------------------------------------------------------------------------------
// Funnels

function addStep(step = { eventType: 'page_view', value: '' }) {
  const index = $('funnel-steps').children.length;
  const type = el(
    'select',
    { 'aria-label': `Step ${index + 1} event type`, class: 'step-type' },
    ...['page_view', 'click', 'custom', 'identify', 'alias'].map((t) =>
      el('option', t === step.eventType ? { selected: true } : {}, t),
    ),
  );
  const value = el('input', {
    'aria-label': `Step ${index + 1} page or event name`,
    class: 'step-value',
    placeholder: 'page (page views) or event name; empty for any',
    value: step.value,
  });
  const remove = el('button', { type: 'button', 'aria-label': `Remove step ${index + 1}` }, '×');
  const item = el('li', {}, type, value, remove);
  remove.addEventListener('click', () => item.remove());
  $('funnel-steps').append(item);
}

function funnelSteps() {
  return [...$('funnel-steps').children].map((item) => {
    const eventType = item.querySelector('.step-type').value;
    const value = item.querySelector('.step-value').value.trim();
    if (!value) return { eventType };
    return eventType === 'page_view' ? { eventType, page: value } : { eventType, eventName: value };
  });
}

async function refreshFunnel() {
  const steps = funnelSteps();
  const data = await graphql(QUERIES.funnel, {
    from: iso(state.from),
    to: iso(state.to),
    steps,
    window: Number($('funnel-window').value),
  });
  $('funnel-result').tBodies[0].replaceChildren(
    ...data.funnel.steps.map((step) =>
      el(
        'tr',
        { 'data-step': step.index },
        el('td', {}, `${step.index + 1}. ${step.eventType} ${step.page ?? step.eventName ?? ''}`),
        el('td', {}, step.count),
        el(
          'td',
          {},
          el('span', { class: 'bar', style: `width:${Math.round(step.conversion * 100)}%` }),
          `${(step.conversion * 100).toFixed(1)}%`,
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Segments

function describeRule(rule) {
  const what = [
    rule.event_type ?? 'any event',
    rule.event_name,
    rule.where && JSON.stringify(rule.where),
  ]
    .filter(Boolean)
    .join(' ');
  return `${rule.min_count}+ × ${what} in ${rule.window}`;
}

async function refreshSegments() {
  const { segments } = await restOk('/v1/segments');
  const blocks = await Promise.all(
    segments.map(async (segment) => {
      const page = await restOk(`/v1/segments/${encodeURIComponent(segment.id)}/members?limit=50`);
      const activity = page.members.length
        ? (await graphql(QUERIES.activity, { ids: page.members })).profileActivity
        : [];
      const seen = new Map(activity.map((a) => [a.id, a]));
      const rows = page.members.map((id) => {
        const button = el('button', { type: 'button', 'data-member': id }, id);
        button.addEventListener('click', () => openProfile(id));
        const last = seen.get(id);
        return el(
          'tr',
          {},
          el('td', {}, button),
          el('td', {}, last ? time(last.lastSeen) : '—'),
          el('td', {}, last?.count ?? 0),
        );
      });
      const edit = el('button', { type: 'button', class: 'edit', 'data-edit': segment.id }, 'Edit');
      edit.addEventListener('click', () => editSegment(segment));
      return el(
        'div',
        { class: 'segment', 'data-segment': segment.id },
        el('h3', {}, segment.name || segment.id, ' ', edit),
        el(
          'p',
          {},
          `${describeRule(segment.rule)} · `,
          el('span', { class: 'member-count' }, page.members.length),
          page.next_cursor ? '+ members' : ' members',
        ),
        el(
          'table',
          { class: 'members' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', {}, 'member'),
              el('th', {}, 'last seen (UTC)'),
              el('th', {}, 'events, 31 d'),
            ),
          ),
          el('tbody', {}, ...rows),
        ),
      );
    }),
  );
  $('segments').replaceChildren(...(blocks.length ? blocks : [el('p', {}, 'No segments yet.')]));
}

let editing = null;
function editSegment(segment) {
  editing = segment ? segment.id : null;
  const rule = segment?.rule ?? { min_count: 1, window: '7d' };
  $('segment-form-title').textContent = segment ? `Edit ${segment.id}` : 'New segment';
  $('segment-id').value = segment?.id ?? '';
  $('segment-id').disabled = Boolean(segment);
  $('segment-name').value = segment?.name ?? '';
  $('segment-event-type').value = rule.event_type ?? '';
  $('segment-event-name').value = rule.event_name ?? '';
  $('segment-where').value = rule.where ? JSON.stringify(rule.where) : '';
  $('segment-min-count').value = rule.min_count;
  $('segment-window').value = rule.window;
  $('segment-backfill').textContent = '';
  if (segment) $('segment-id').focus();
  void previewSegment();
}

/** The rule as typed, or the errors that keep it from being one. */
function readRule() {
  const rule = {
    min_count: Number($('segment-min-count').value),
    window: $('segment-window').value.trim(),
  };
  if ($('segment-event-type').value) rule.event_type = $('segment-event-type').value;
  if ($('segment-event-name').value.trim()) rule.event_name = $('segment-event-name').value.trim();
  const where = $('segment-where').value.trim();
  if (where) {
    try {
      rule.where = JSON.parse(where);
    } catch {
      return { errors: [{ path: 'rule.where', message: 'not JSON' }] };
    }
  }
  return { rule };
}

function showErrors(issues) {
  $('segment-errors').replaceChildren(
    ...issues.map((issue) =>
      el('li', { 'data-path': issue.path }, `${issue.path}: ${issue.message}`),
    ),
  );
}

let previewSeq = 0;
async function previewSegment() {
  const seq = ++previewSeq;
  const { rule, errors } = readRule();
  if (errors) {
    showErrors(errors);
    $('segment-preview').textContent = '';
    return;
  }
  const answer = await rest('/v1/segments/preview', 'POST', { rule });
  if (seq !== previewSeq) return; // a newer keystroke's preview is on its way
  if (!answer.ok) {
    showErrors(
      answer.body?.error?.issues ?? [
        { path: 'rule', message: answer.body?.error?.message ?? String(answer.status) },
      ],
    );
    $('segment-preview').textContent = '';
    return;
  }
  showErrors([]);
  const p = answer.body;
  $('segment-preview').dataset.members = p.members;
  $('segment-preview').textContent =
    `Would hold ${number(p.members)} profiles now: ${number(p.events_matched)} of ${number(p.events_scanned)} events since ${time(p.from)} match` +
    (p.complete ? '.' : ' (first 100,000 events read).');
}

let previewTimer;
function previewSoon() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => void previewSegment(), 250);
}

async function saveSegment(event) {
  event.preventDefault();
  const { rule, errors } = readRule();
  if (errors) return showErrors(errors);
  const id = $('segment-id').value.trim();
  const body = { id, rule };
  if ($('segment-name').value.trim()) body.name = $('segment-name').value.trim();
  const started = Date.now();
  const progress = $('segment-backfill');
  progress.dataset.state = 'running';
  progress.textContent = 'Saving, then backfilling from the warehouse…';
  const ticker = setInterval(() => {
    progress.textContent = `Backfilling from the warehouse… ${Math.round((Date.now() - started) / 1000)} s`;
  }, 1000);
  const answer = editing
    ? await rest(`/v1/segments/${encodeURIComponent(editing)}`, 'PUT', body)
    : await rest('/v1/segments', 'POST', body);
  clearInterval(ticker);
  if (!answer.ok) {
    progress.dataset.state = 'error';
    progress.textContent = answer.body?.error?.message ?? `failed: ${answer.status}`;
    showErrors(answer.body?.error?.issues ?? []);
    return;
  }
  const backfill = answer.body.backfill;
  progress.dataset.state = 'done';
  progress.dataset.members = backfill ? backfill.members : '';
  progress.textContent = backfill
    ? `Saved. Backfilled since ${time(backfill.from)}: ${number(backfill.events_scanned)} events read, ${number(backfill.events_replayed)} replayed, ${number(backfill.members)} members` +
      (backfill.exited ? `, ${backfill.exited} left.` : '.')
    : 'Saved (the rule did not change: members kept).';
  editing = id;
  $('segment-id').disabled = true;
  await refreshSegments();
}

// ---------------------------------------------------------------------------------------
// Profiles

async function searchProfiles(query) {
  $('profile-id').value = query;
  const { profileSearch } = await graphql(QUERIES.search, { q: query });
  $('profile-results').replaceChildren(
    ...(profileSearch.length
      ? profileSearch.map((p) => {
          const button = el('button', { type: 'button', 'data-profile': p.id }, p.id);
          button.addEventListener('click', () => void showProfile(p.id));
          return el(
            'li',
            {},
            button,
            ` ${p.identified ? 'user' : 'anonymous'} · ${p.count} events · ${p.visitors} devices · last seen ${time(p.lastSeen)}`,
          );
        })
      : [el('li', { class: 'muted' }, `No profile matches ${query} in the last 31 days.`)]),
  );
  if (profileSearch.length === 1) await showProfile(profileSearch[0].id);
}

async function showProfile(id) {
  const answer = await rest(`/v1/profiles/${encodeURIComponent(id)}`);
  if (!answer.ok) {
    $('profile').replaceChildren(
      el('p', {}, `No profile: ${answer.body?.error?.message ?? answer.status}`),
    );
    $('profile-timeline').replaceChildren();
    return;
  }
  const profile = answer.body;
  const [decide, timeline] = await Promise.all([
    restOk(`/v1/profiles/${encodeURIComponent(id)}/decide`),
    graphql(QUERIES.timeline, { id }),
  ]);
  $('profile').replaceChildren(
    el(
      'dl',
      { id: 'profile-details', 'data-profile': profile.id },
      el('dt', {}, 'canonical id'),
      el('dd', {}, profile.id),
      el('dt', {}, 'user id'),
      el('dd', {}, profile.user_id || '—'),
      el('dt', {}, 'devices (visitor ids)'),
      el('dd', { id: 'profile-visitors' }, (profile.visitor_ids || []).join(', ') || '—'),
      el('dt', {}, 'events'),
      el('dd', { id: 'profile-events' }, profile.events),
      el('dt', {}, 'segments'),
      el('dd', { id: 'profile-segments' }, profile.segments.map((s) => s.id).join(', ') || '—'),
      el('dt', {}, 'decide answers'),
      el(
        'dd',
        { id: 'profile-decide' },
        `segments: ${decide.segments.join(', ') || '—'}; actions: ${decide.actions.map((a) => a.name).join(', ') || '—'}`,
      ),
    ),
  );
  $('profile-timeline').replaceChildren(
    ...timeline.profileTimeline.map((e) =>
      el(
        'li',
        { 'data-event': e.eventId },
        `${time(e.timestamp)} `,
        el('span', { class: 'type' }, e.eventType),
        ` ${e.page || e.eventName} · device ${e.visitorId}${e.userId ? ` as ${e.userId}` : ''}`,
      ),
    ),
  );
}

function openProfile(id) {
  location.hash = '#profiles';
  void searchProfiles(id);
}

// ---------------------------------------------------------------------------------------
// Migration: the parity report of the range (GET /v1/parity), alerting rows first

/** Most report rows shown; the summary counts them all. */
const PARITY_ROWS = 100;

async function refreshParity() {
  const query = `from=${encodeURIComponent(iso(state.from))}&to=${encodeURIComponent(iso(state.to))}`;
  const answer = await rest(`/v1/parity?${query}`);
  const summary = $('parity-summary');
  if (answer.status === 404) {
    summary.dataset.state = 'none';
    summary.textContent = 'No legacy count endpoint yet: set it above to compare.';
    $('parity-rows').tBodies[0].replaceChildren();
    showVisitorParity(undefined);
    return;
  }
  if (!answer.ok) throw new Error(`parity: ${answer.body?.error?.message ?? answer.status}`);
  const report = answer.body;
  const alerting = report.rows.filter((row) => row.alert);
  summary.dataset.state = report.alert ? 'alert' : 'ok';
  summary.dataset.alerts = alerting.length;
  summary.textContent =
    `${report.alert ? 'ALERT' : 'OK'}: legacy ${number(report.totals.legacy)}, Pulse ${number(report.totals.pulse)} events ` +
    `(${percent(report.totals.discrepancy)} apart); ${alerting.length} of ${report.rows.length} hour × type rows above ${percent(report.threshold)}.`;
  showParityRows($('parity-rows'), report.rows, (row) => [row.event_type]);
  showVisitorParity(report);
}
const percent = (fraction) => `${(fraction * 100).toFixed(2)}%`;

/**
 * Fills a parity table: alerting rows first, at most PARITY_ROWS; each row is its hour, the
 * cells `columns` gives, then legacy, Pulse and the discrepancy.
 */
function showParityRows(table, reportRows, columns) {
  const rows = [
    ...reportRows.filter((row) => row.alert),
    ...reportRows.filter((row) => !row.alert),
  ].slice(0, PARITY_ROWS);
  table.tBodies[0].replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { class: row.alert ? 'alert' : undefined, 'data-alert': String(row.alert) },
        el('td', {}, row.hour.slice(0, 13).replace('T', ' ') + 'h'),
        ...columns(row).map((cell) => el('td', {}, cell)),
        el('td', {}, row.legacy),
        el('td', {}, row.pulse),
        el('td', {}, percent(row.discrepancy)),
      ),
    ),
  );
}

/** The dashboard's unique visitors per hour on both sides, when the legacy side gives them. */
function showVisitorParity(report) {
  const table = $('parity-visitors');
  const visitors = report?.visitors;
  table.hidden = !visitors;
  const summary = $('parity-visitors-summary');
  if (!visitors) {
    summary.textContent = report
      ? 'The legacy endpoint gives no hourly visitors ("visitors"): only counts are compared.'
      : '';
    table.tBodies[0].replaceChildren();
    return;
  }
  const alerting = visitors.filter((row) => row.alert);
  summary.dataset.alerts = alerting.length;
  summary.textContent = `${alerting.length} of ${visitors.length} hours above ${percent(report.threshold)}.`;
  showParityRows(table, visitors, () => []);
}

async function saveParitySource(event) {
  event.preventDefault();
  const answer = await rest('/v1/parity/source', 'PUT', { url: $('parity-source').value.trim() });
  $('parity-source-status').textContent = answer.ok
    ? 'Saved.'
    : (answer.body?.error?.message ?? `failed: ${answer.status}`);
  if (answer.ok) await refreshView();
}

// ---------------------------------------------------------------------------------------
// Views and refreshes

const VIEWS = ['overview', 'funnels', 'segments', 'profiles', 'migration'];
const currentView = () =>
  VIEWS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'overview';

function showView() {
  const view = currentView();
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll('#views a')) {
    if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  $('range-bar').hidden = view === 'segments' || view === 'profiles';
  document.body.dataset.view = view;
}

let refreshing = Promise.resolve();
let pending = 0;
/**
 * Refreshes what the current view shows, one refresh at a time. `document.body.dataset`
 * says when one last finished (`updated`) and whether another is queued or running (`busy`).
 */
function refreshView() {
  pending += 1;
  document.body.dataset.busy = 'true';
  refreshing = refreshing.then(async () => {
    if (!applyRange()) return;
    const view = currentView();
    try {
      if (view === 'overview') await refreshOverview();
      else if (view === 'funnels') await refreshFunnel();
      else if (view === 'segments') await refreshSegments();
      else if (view === 'migration') await refreshParity();
      document.body.dataset.updated = String(Date.now());
      if ($('status').dataset.state !== 'live') setStatus('error', 'updated (no live connection)');
    } catch (error) {
      setStatus('error', error.message);
    } finally {
      pending -= 1;
      document.body.dataset.busy = String(pending > 0);
    }
  });
  return refreshing;
}

let lastLive = 0;
let liveTimer;
/** A batch landed: refresh a range that reaches now, at most every LIVE_REFRESH_MS. */
function onLive() {
  if (state.range === 'custom' && state.to < Date.now()) return;
  if (currentView() === 'profiles') return;
  clearTimeout(liveTimer);
  const wait = Math.max(150, lastLive + LIVE_REFRESH_MS - Date.now());
  liveTimer = setTimeout(() => {
    lastLive = Date.now();
    void refreshView();
  }, wait);
}

function start() {
  buildPanels();
  renderFilters();
  const today = iso(Date.now()).slice(0, 10);
  $('range-from').value = iso(Date.now() - 6 * DAY).slice(0, 10);
  $('range-to').value = today;
  $('range').addEventListener('change', () => {
    state.range = $('range').value;
    $('custom-range').hidden = state.range !== 'custom';
    void refreshView();
  });
  $('range-bar').addEventListener('submit', (event) => {
    event.preventDefault();
    void refreshView();
  });
  $('compare').addEventListener('change', () => {
    state.compare = $('compare').checked;
    void refreshView();
  });
  for (const step of [
    { eventType: 'page_view', value: '/' },
    { eventType: 'page_view', value: '/pricing' },
    { eventType: 'identify', value: '' },
  ])
    addStep(step);
  $('add-step').addEventListener('click', () => addStep());
  $('funnel-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void refreshView();
  });
  for (const id of [
    'segment-event-type',
    'segment-event-name',
    'segment-where',
    'segment-min-count',
    'segment-window',
  ])
    $(id).addEventListener('input', previewSoon);
  $('segment-form').addEventListener('submit', (event) => void saveSegment(event));
  $('segment-new').addEventListener('click', () => editSegment(null));
  $('parity-source-form').addEventListener('submit', (event) => void saveParitySource(event));
  $('profile-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const query = $('profile-id').value.trim();
    if (query) void searchProfiles(query).catch((error) => setStatus('error', error.message));
  });
  window.addEventListener('hashchange', () => {
    showView();
    void refreshView();
  });
  showView();
  editSegment(null);

  // Live: the subscription pushes on every durable batch; polling every 30 s is the fallback.
  const source = new EventSource(`/dashboard/graphql?query=${encodeURIComponent(QUERIES.live)}`);
  source.addEventListener('open', () => setStatus('live', 'live'));
  source.addEventListener('next', onLive);
  source.addEventListener('message', onLive);
  source.addEventListener('error', () => setStatus('error', 'live updates lost, retrying…'));
  setInterval(() => {
    if (state.range !== 'custom') void refreshView();
  }, 30_000);
  void refreshView();
}

start();

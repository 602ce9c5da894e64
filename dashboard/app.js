// dagkeeper's dashboard: plain DOM and SVG, one graphql-ws connection for queries and the live
// `taskEvents` subscription. Events change what they name in place, and ask again (coalesced) only for
// the part of the page they make stale. Text from the server only ever goes into textContent and attributes.
/* global graphqlWs */
import { drawDag, markRunning } from './dagGraph.js';
import { $, el, refreshAges, setTimeAgo, statusBadge, timeAgo } from './dom.js';
import { drawEstimatePlot, renderEstimateSummary } from './estimatePlot.js';
import { logEvent, noteLastEvent } from './eventLog.js';
import { drawNetwork, edgeState, renderFitSummary } from './networkGraph.js';
import { loadServices, loadServicesAtWork } from './services.js';
import { loadManagers } from './managers.js';
import { attemptRow, currentAttemptLine, failureItem, fileRow, statusCell } from './taskParts.js';

const state = {
  client: null,
  networks: [],
  /** Every transformation of the networks listed: an event about another one means a network the list lacks. */
  knownTransformations: new Set(),
  askedAboutTransformations: new Set(),
  network: null,
  /** The network's NetworkEstimates (null until read, or when it has none). */
  fit: null,
  /** Transformation key → its estimate {value, uncertainty, unit, n}: from the fit, then from EstimateChanged events. */
  edgeEstimates: new Map(),
  transformationKey: null,
  tasks: new Map(),
  taskId: null,
  task: null,
  lastCursor: null,
  stopEvents: null,
};

// ------------------------------------------------------------------------------------------------
// Connection

function connect(token) {
  state.client?.dispose();
  setConnection('connecting');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  state.client = graphqlWs.createClient({
    url,
    connectionParams: { authorization: `Bearer ${token}` },
    // Connect at once (not on the first operation): "connected" is what loads the page.
    lazy: false,
    retryAttempts: Infinity,
    shouldRetry: (event) => !(event && event.code === 4403),
    on: {
      connected: () => {
        setConnection('live');
        loadEverything();
      },
      closed: (event) => {
        setConnection('offline');
        if (event && event.code === 4403) {
          sessionStorage.removeItem('dagkeeper-token');
          showProblem('The server refused this token (unknown, revoked or expired). Enter a valid one.');
        }
      },
      connecting: () => setConnection('connecting'),
    },
  });
}

function query(text, variables = {}) {
  return new Promise((resolve, reject) => {
    let result;
    state.client.subscribe(
      { query: text, variables },
      {
        next: (value) => {
          result = value;
        },
        error: (error) => reject(asError(error)),
        complete: () => {
          if (result?.errors?.length) reject(asError(result.errors));
          else resolve(result?.data);
        },
      },
    );
  });
}

function asError(error) {
  if (Array.isArray(error)) return new Error(error.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  if (error instanceof Error) return error;
  return new Error(error?.reason || 'connection closed');
}

function setConnection(value) {
  const badge = $('#connection');
  badge.dataset.state = value;
  badge.textContent = value;
}

function showProblem(message) {
  const box = $('#problem');
  box.hidden = message === null;
  box.textContent = message ?? '';
}

const report = (error) => showProblem(error.message);

// ------------------------------------------------------------------------------------------------
// Loading

const countsFields = 'waiting running complete error invalid deleted';

async function loadEverything() {
  showProblem(null);
  try {
    // The cursor first, then the snapshot: events after it fill in whatever the snapshot missed.
    const { viewer, taskEventCursor } = await query('{ viewer { name kind isAdmin scopes } taskEventCursor }');
    state.lastCursor ??= taskEventCursor;
    $('#who').textContent = `${viewer.name} (${viewer.scopes.join(', ')})`;
    // The services at work are a side panel: the page works without them.
    await Promise.all([
      loadNetworks(),
      loadServices(query),
      loadServicesAtWork(query, selectTask).catch(report),
      loadManagers(query).catch(report),
    ]);
    if (state.network !== null) await selectNetwork(state.network.scopedKey);
    if (state.taskId !== null) await selectTask(state.taskId);
    followEvents();
  } catch (error) {
    showProblem(error.message);
  }
}

async function loadNetworks() {
  const { networks } = await query(`{
    networks(state: [ACTIVE, INACTIVE]) {
      scopedKey name scope state
      chemicalSystems { scopedKey name }
      transformations { scopedKey name stateA { scopedKey } stateB { scopedKey } statusCounts { ${countsFields} } }
    }
  }`);
  state.networks = networks;
  state.knownTransformations = new Set(networks.flatMap((n) => n.transformations.map((t) => t.scopedKey)));
  const list = $('#networks');
  list.replaceChildren(
    ...networks.map((network) => {
      const item = el(
        'li',
        { 'data-network': network.scopedKey, 'aria-selected': String(state.network?.scopedKey === network.scopedKey) },
        network.name,
      );
      const inactive = network.state === 'INACTIVE' ? ' · inactive' : '';
      item.append(el('small', {}, `${network.scope} · ${network.transformations.length} transformations${inactive}`));
      item.addEventListener('click', () => selectNetwork(network.scopedKey));
      return item;
    }),
  );
}

async function selectNetwork(scopedKey) {
  const network = state.networks.find((n) => n.scopedKey === scopedKey);
  if (network === undefined) return;
  if (state.network?.scopedKey !== scopedKey) {
    state.transformationKey = null;
    state.fit = null;
    state.edgeEstimates = new Map();
  }
  state.network = network;
  for (const item of document.querySelectorAll('#networks li'))
    item.setAttribute('aria-selected', String(item.dataset.network === scopedKey));
  $('#network-view').hidden = false;
  $('#network-title').textContent = network.name;
  redrawNetwork();
  await Promise.all([loadTasks(), loadFit().catch(report), loadTransformation().catch(report)]);
}

function redrawNetwork() {
  if (state.network === null) return;
  drawNetwork($('#network-graph'), {
    network: state.network,
    edgeEstimates: state.edgeEstimates,
    fit: state.fit,
    selectedKey: state.transformationKey,
    onSelect: selectTransformation,
  });
  renderFitSummary($('#network-estimates'), state.network, state.fit);
}

/** The network's fitted values, cycle closures and parts, and each transformation's own estimate. */
async function loadFit() {
  const newest = issue('fit');
  const key = state.network?.scopedKey;
  if (key === undefined) return;
  const { network } = await query(
    `query ($key: ID!) {
    network(scopedKey: $key) {
      estimates {
        unit gauge disconnected
        chemicalSystems { chemicalSystem { scopedKey } value uncertainty component }
        transformations { transformation { scopedKey } measured { value uncertainty unit n } fitted fittedUncertainty residual }
        cycles { transformationKeys directions value uncertainty }
        components { index chemicalSystemKeys reference }
      }
    }
  }`,
    { key },
  );
  if (!newest() || state.network?.scopedKey !== key || network === null) return;
  state.fit = network.estimates;
  state.edgeEstimates = new Map(
    network.estimates.transformations.filter((t) => t.measured !== null).map((t) => [t.transformation.scopedKey, t.measured]),
  );
  redrawNetwork();
}

/** Only the transformations' task counts (the edges' colours), after tasks changed status. */
async function loadCounts() {
  const newest = issue('counts');
  const key = state.network?.scopedKey;
  if (key === undefined) return;
  const { network } = await query(
    `query ($key: ID!) { network(scopedKey: $key) { transformations { scopedKey statusCounts { ${countsFields} } } } }`,
    {
      key,
    },
  );
  if (!newest() || state.network?.scopedKey !== key || network === null) return;
  const counts = new Map(network.transformations.map((t) => [t.scopedKey, t.statusCounts]));
  for (const t of state.network.transformations) t.statusCounts = counts.get(t.scopedKey) ?? t.statusCounts;
  for (const edge of document.querySelectorAll('#network-graph .edge')) {
    const found = counts.get(edge.dataset.transformation);
    if (found !== undefined) edge.setAttribute('data-state', edgeState(found));
  }
}

function selectTransformation(scopedKey) {
  state.transformationKey = state.transformationKey === scopedKey ? null : scopedKey;
  redrawNetwork();
  loadTasks().catch(report);
  loadTransformation().catch(report);
}

/** The selected transformation's estimate and its repeats, plotted. */
async function loadTransformation() {
  const newest = issue('transformation');
  const key = state.transformationKey;
  if (key === null) {
    $('#transformation-view').hidden = true;
    return;
  }
  const { transformation } = await query(
    `query ($key: ID!) {
    transformation(scopedKey: $key) {
      scopedKey name
      estimate { value uncertainty unit n spread repeats { taskId dagResultId seed value uncertainty completedAt } }
    }
  }`,
    { key },
  );
  if (!newest() || state.transformationKey !== key || transformation === null) return;
  const { estimate } = transformation;
  $('#transformation-view').hidden = false;
  $('#transformation-title').textContent = transformation.name;
  renderEstimateSummary($('#transformation-estimate'), estimate);
  drawEstimatePlot($('#estimate-plot'), estimate);
}

async function loadTasks() {
  const newest = issue('tasks');
  const filter =
    state.transformationKey === null ? { networkKey: state.network.scopedKey } : { transformationKey: state.transformationKey };
  const { tasks } = await query(
    `query ($filter: TaskFilter) {
    tasks(first: 500, filter: $filter) { totalCount edges { node { id status updatedAt waitingForProtocol transformation { scopedKey name } } } }
  }`,
    { filter },
  );
  if (!newest()) return;
  state.tasks = new Map(tasks.edges.map(({ node }) => [node.id, node]));
  const shown = tasks.edges.length < tasks.totalCount ? ` (first ${tasks.edges.length} of ${tasks.totalCount})` : ` (${tasks.totalCount})`;
  $('#tasks-title').textContent = `Tasks${shown}`;
  renderTasks();
}

function renderTasks() {
  $('#tasks tbody').replaceChildren(
    ...[...state.tasks.values()].map((task) => {
      const row = el('tr', { 'data-task': task.id, 'aria-selected': String(task.id === state.taskId) }, [
        el('td', { title: task.id }, task.id.slice(-12)),
        el('td', {}, task.transformation.name),
        el('td', { class: 'task-status' }, statusCell(task)),
        el('td', { class: 'task-updated' }, timeAgo(task.updatedAt)),
      ]);
      row.addEventListener('click', () => selectTask(task.id));
      return row;
    }),
  );
}

async function selectTask(taskId) {
  state.taskId = taskId;
  for (const row of document.querySelectorAll('#tasks tbody tr')) row.setAttribute('aria-selected', String(row.dataset.task === taskId));
  const { task } = await query(
    `query ($id: ID!) {
    task(id: $id) {
      id status transformation { name }
      dag { units { key name dependencies state } }
      resultFiles { id unitKey path size sha256 downloadUrl }
      dagResults { id ok createdAt }
      failures { __typename unitKey attempt exception traceback }
    }
  }`,
    { id: taskId },
  );
  if (state.taskId !== taskId) return;
  state.task = { ...task, runningUnit: null };
  $('#task-view').hidden = false;
  $('#task-title').textContent = `Task ${task.id}`;
  $('#task-status').replaceChildren(`${task.transformation.name} · `, statusBadge(task.status));
  drawDag($('#dag-graph'), task.dag, null);
  $('#files tbody').replaceChildren(...task.resultFiles.map(fileRow));
  $('#dag-results').replaceChildren(
    ...task.dagResults.map((r) => el('li', { 'data-ok': String(r.ok) }, `${r.ok ? 'ok' : 'failed'} · ${r.createdAt}`)),
  );
  $('#failures').replaceChildren(...task.failures.map(failureItem));
  await loadAttempts().catch(report);
}

/** Every claim of the selected task, and the unit its current one is running now. */
async function loadAttempts() {
  const newest = issue('attempts');
  const id = state.taskId;
  if (id === null || state.task === null) return;
  const { task } = await query(
    `query ($id: ID!) {
    task(id: $id) { attempts { attempt computeServiceName host startedAt endedAt ending runningUnit unitKeys } }
  }`,
    { id },
  );
  if (!newest() || state.taskId !== id || task === null) return;
  const current = task.attempts.find((a) => a.endedAt === null) ?? null;
  state.task.runningUnit = current?.runningUnit ?? null;
  markRunning($('#dag-graph'), state.task.runningUnit);
  const running = $('#task-running');
  running.replaceChildren(currentAttemptLine(current));
  running.setAttribute('data-unit', state.task.runningUnit ?? '');
  $('#attempts tbody').replaceChildren(...task.attempts.map(attemptRow));
}

// ------------------------------------------------------------------------------------------------
// Coalesced refreshes: the first event that makes a part stale schedules one read of it; the events
// that follow within the delay ride on it. (A debounce that restarts on every event would never read
// while events keep coming.)

const refreshers = {
  networks: loadNetworks,
  counts: loadCounts,
  fit: loadFit,
  transformation: loadTransformation,
  tasks: loadTasks,
  attempts: loadAttempts,
  services: () => loadServices(query),
  atWork: () => loadServicesAtWork(query, selectTask),
  managers: () => loadManagers(query),
};
const pending = new Map();
const issued = new Map();

/**
 * Numbers a read of `part`; the function it returns says whether that read is still the newest. Two
 * reads of one part can overlap and answer out of order: only the newest may draw.
 */
function issue(part) {
  const number = (issued.get(part) ?? 0) + 1;
  issued.set(part, number);
  return () => issued.get(part) === number;
}

function refreshSoon(part, delayMs = 250) {
  if (pending.has(part)) return;
  pending.set(
    part,
    setTimeout(() => {
      pending.delete(part);
      refreshers[part]().catch(report);
    }, delayMs),
  );
}

// ------------------------------------------------------------------------------------------------
// Live events

function followEvents() {
  state.stopEvents?.();
  const variables = { since: state.lastCursor };
  state.stopEvents = state.client.subscribe(
    {
      query: `subscription ($since: ID) {
      taskEvents(since: $since) {
        __typename cursor taskId transformationKey occurredAt
        ... on TaskStatusChanged { from to }
        ... on UnitResultRecorded { unitKey ok attempt }
        ... on ResultFileAvailable { file { id unitKey path size sha256 downloadUrl } }
        ... on ProtocolDAGResultRecorded { dagResultId ok }
        ... on ComputeServiceExpired { computeServiceName }
        ... on EstimateChanged { networkKeys value uncertainty unit n }
      }
    }`,
      variables,
    },
    {
      next: ({ data, errors }) => {
        if (errors?.length) showProblem(asError(errors).message);
        if (data?.taskEvents) onEvent(data.taskEvents);
      },
      error: (error) => {
        const message = asError(error).message;
        // An expired cursor means the gap cannot be filled: reload the views and follow from now.
        if (message.includes('CURSOR_EXPIRED')) {
          state.lastCursor = null;
          loadEverything();
        } else {
          showProblem(message);
        }
      },
      complete: () => undefined,
    },
  );
}

function onEvent(event) {
  state.lastCursor = event.cursor;
  noteLastEvent(event.occurredAt);
  logEvent(event);
  const inNetwork = state.network?.transformations.some((t) => t.scopedKey === event.transformationKey) ?? false;
  const key = event.transformationKey;
  // Once per unknown transformation: a network the list lacks is read once, not on each of its events.
  if (!state.knownTransformations.has(key) && !state.askedAboutTransformations.has(key)) {
    state.askedAboutTransformations.add(key);
    refreshSoon('networks');
  }

  switch (event.__typename) {
    case 'TaskStatusChanged':
      onTaskStatusChanged(event, inNetwork);
      break;
    case 'EstimateChanged':
      if (inNetwork) onEstimateChanged(event);
      break;
    case 'ComputeServiceExpired':
      refreshSoon('services');
      refreshSoon('atWork');
      break;
    default:
      break;
  }
  if (event.taskId === state.taskId && state.task !== null) onSelectedTaskEvent(event);
}

function onTaskStatusChanged(event, inNetwork) {
  if (inNetwork) refreshSoon('counts');
  if (event.from === 'RUNNING' || event.to === 'RUNNING') refreshSoon('atWork');
  const known = state.tasks.get(event.taskId);
  if (known !== undefined) {
    known.status = event.to;
    known.updatedAt = event.occurredAt;
    if (event.to !== 'WAITING') known.waitingForProtocol = null;
    const row = document.querySelector(`#tasks tr[data-task="${CSS.escape(event.taskId)}"]`);
    row?.querySelector('.task-status').replaceChildren(...statusCell(known));
    const updated = row?.querySelector('.task-updated time');
    if (updated) setTimeAgo(updated, event.occurredAt);
  } else if (inNetwork && (state.transformationKey === null || state.transformationKey === event.transformationKey)) {
    refreshSoon('tasks');
  }
}

/** The edge's label changes at once from the event's numbers; the fit (node values, cycles) and the plot are read again. */
function onEstimateChanged(event) {
  if (event.value === null) state.edgeEstimates.delete(event.transformationKey);
  else
    state.edgeEstimates.set(event.transformationKey, { value: event.value, uncertainty: event.uncertainty, unit: event.unit, n: event.n });
  redrawNetwork();
  refreshSoon('fit');
  if (event.transformationKey === state.transformationKey) refreshSoon('transformation');
}

function onSelectedTaskEvent(event) {
  switch (event.__typename) {
    case 'TaskStatusChanged':
      state.task.status = event.to;
      $('#task-status').replaceChildren(`${state.task.transformation.name} · `, statusBadge(event.to));
      if (state.task.dag === null) selectTask(event.taskId).catch(report);
      else refreshSoon('attempts');
      break;
    case 'UnitResultRecorded': {
      const unit = state.task.dag?.units.find((u) => u.key === event.unitKey);
      if (unit === undefined) {
        selectTask(event.taskId).catch(report); // the DAG was registered after we loaded the task
        break;
      }
      if (unit.state !== 'OK') unit.state = event.ok ? 'OK' : 'FAILED';
      document.querySelector(`#dag-graph [data-unit="${CSS.escape(unit.key)}"]`)?.setAttribute('data-state', unit.state);
      // A unit with its result runs no more; which one runs next, the attempts say.
      if (state.task.runningUnit === unit.key) {
        state.task.runningUnit = null;
        markRunning($('#dag-graph'), null);
      }
      refreshSoon('attempts');
      break;
    }
    case 'ResultFileAvailable': {
      // The same unit's file again (a later attempt) replaces its row; another unit's is a row of its own.
      const row = fileRow(event.file);
      const shown = document.querySelector(
        `#files tr[data-unit="${CSS.escape(event.file.unitKey)}"][data-file="${CSS.escape(event.file.path)}"]`,
      );
      if (shown !== null) shown.replaceWith(row);
      else $('#files tbody').append(row);
      break;
    }
    case 'ProtocolDAGResultRecorded':
      $('#dag-results').append(el('li', { 'data-ok': String(event.ok) }, `${event.ok ? 'ok' : 'failed'} · ${event.occurredAt}`));
      // A failed result may carry a failure the page has not seen (a DAG that could not be built): reload the task.
      if (!event.ok) selectTask(event.taskId).catch(report);
      break;
    default:
      break;
  }
}

// ------------------------------------------------------------------------------------------------
// Start

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  const token = $('#token').value.trim();
  if (token === '') return;
  sessionStorage.setItem('dagkeeper-token', token);
  $('#token').value = '';
  state.lastCursor = null;
  connect(token);
});

const live = () => state.client !== null && $('#connection').dataset.state === 'live';

// Every "… ago" on the page ticks, so nothing shows the age it had when it was drawn.
setInterval(() => refreshAges(), 1_000);

// Heartbeats are not events: read the services again now and then. Which unit a worker starts is not
// an event either: while the selected task runs, read its attempts again.
setInterval(() => {
  if (!live()) return;
  refreshSoon('services', 0);
  refreshSoon('atWork', 0);
  refreshSoon('managers', 0);
}, 5_000);
setInterval(() => {
  if (live() && state.task?.status === 'RUNNING') refreshSoon('attempts', 0);
}, 2_000);

const saved = sessionStorage.getItem('dagkeeper-token');
if (saved !== null) connect(saved);

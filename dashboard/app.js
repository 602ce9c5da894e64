// dagkeeper's dashboard: plain DOM and SVG, one graphql-ws connection for queries and the live
// `taskEvents` subscription. Text from the server only ever goes into textContent and attributes.
/* global graphqlWs */

const svgNs = 'http://www.w3.org/2000/svg';
const $ = (selector) => document.querySelector(selector);

const state = {
  client: null,
  networks: [],
  network: null,
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
    await Promise.all([loadNetworks(), loadServices()]);
    if (state.network !== null) await selectNetwork(state.network.scopedKey);
    if (state.taskId !== null) await selectTask(state.taskId);
    followEvents();
  } catch (error) {
    showProblem(error.message);
  }
}

async function loadNetworks() {
  const { networks } = await query(`{
    networks {
      scopedKey name scope
      chemicalSystems { scopedKey name }
      transformations { scopedKey name stateA { scopedKey } stateB { scopedKey } statusCounts { ${countsFields} } }
    }
  }`);
  state.networks = networks;
  const list = $('#networks');
  list.replaceChildren(
    ...networks.map((network) => {
      const item = el(
        'li',
        { 'data-network': network.scopedKey, 'aria-selected': String(state.network?.scopedKey === network.scopedKey) },
        network.name,
      );
      item.append(el('small', {}, `${network.scope} · ${network.transformations.length} transformations`));
      item.addEventListener('click', () => selectNetwork(network.scopedKey));
      return item;
    }),
  );
}

async function loadServices() {
  const { computeServices } = await query('{ computeServices(includeGone: true) { id name lastHeartbeatAt expiredAt deregisteredAt } }');
  $('#services tbody').replaceChildren(
    ...computeServices.map((service) => {
      const gone = service.expiredAt !== null ? 'expired' : service.deregisteredAt !== null ? 'stopped' : 'alive';
      return el('tr', { 'data-service': service.id }, [
        el('td', {}, service.name),
        el('td', { title: service.lastHeartbeatAt }, ago(service.lastHeartbeatAt)),
        el('td', {}, gone),
      ]);
    }),
  );
}

async function selectNetwork(scopedKey) {
  const network = state.networks.find((n) => n.scopedKey === scopedKey);
  if (network === undefined) return;
  if (state.network?.scopedKey !== scopedKey) state.transformationKey = null;
  state.network = network;
  for (const item of document.querySelectorAll('#networks li'))
    item.setAttribute('aria-selected', String(item.dataset.network === scopedKey));
  $('#network-view').hidden = false;
  $('#network-title').textContent = network.name;
  drawNetwork(network);
  await loadTasks();
}

async function loadTasks() {
  const filter =
    state.transformationKey === null ? { networkKey: state.network.scopedKey } : { transformationKey: state.transformationKey };
  const { tasks } = await query(
    `query ($filter: TaskFilter) {
    tasks(first: 500, filter: $filter) { totalCount edges { node { id status updatedAt waitingForProtocol transformation { scopedKey name } } } }
  }`,
    { filter },
  );
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
        el('td', {}, statusCell(task)),
        el('td', { title: task.updatedAt }, ago(task.updatedAt)),
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
  state.task = task;
  $('#task-view').hidden = false;
  $('#task-title').textContent = `Task ${task.id}`;
  $('#task-status').replaceChildren(`${task.transformation.name} · `, statusBadge(task.status));
  drawDag(task.dag);
  $('#files tbody').replaceChildren(...task.resultFiles.map(fileRow));
  $('#dag-results').replaceChildren(
    ...task.dagResults.map((r) => el('li', { 'data-ok': String(r.ok) }, `${r.ok ? 'ok' : 'failed'} · ${r.createdAt}`)),
  );
  $('#failures').replaceChildren(...task.failures.map(failureItem));
}

/** A failed unit, or a ProtocolDAG that could not be built (unitKey null): its exception, and its traceback to unfold. */
function failureItem(failure) {
  const what = failure.unitKey === null ? 'ProtocolDAG could not be built' : `unit ${failure.unitKey} failed`;
  const traceback = el('details', {}, [el('summary', {}, 'traceback'), el('pre', {}, failure.traceback ?? '')]);
  return el('li', { 'data-kind': failure.__typename, 'data-unit': failure.unitKey ?? '' }, [
    el('strong', {}, `${what} (attempt ${failure.attempt})`),
    el('pre', { class: 'exception' }, failure.exception ?? ''),
    traceback,
  ]);
}

// A ResultFile is named by its unit and its path: units commonly write files of the same name.
function fileRow(file) {
  const link = el('a', { href: file.downloadUrl, download: '' }, file.path);
  return el('tr', { 'data-unit': file.unitKey, 'data-file': file.path }, [
    el('td', {}, file.unitKey),
    el('td', {}, [link]),
    el('td', {}, bytes(file.size)),
    el('td', { title: file.sha256 }, file.sha256.slice(0, 12)),
  ]);
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
  logEvent(event);
  const inNetwork = state.network?.transformations.some((t) => t.scopedKey === event.transformationKey) ?? false;
  if (inNetwork) refreshNetworkSoon();

  if (event.__typename === 'TaskStatusChanged') {
    const known = state.tasks.get(event.taskId);
    if (known !== undefined) {
      known.status = event.to;
      known.updatedAt = event.occurredAt;
      if (event.to !== 'WAITING') known.waitingForProtocol = null;
      const cell = document.querySelector(`#tasks tr[data-task="${CSS.escape(event.taskId)}"] td:nth-child(3)`);
      cell?.replaceChildren(statusBadge(event.to));
    } else if (inNetwork && (state.transformationKey === null || state.transformationKey === event.transformationKey)) {
      refreshTasksSoon();
    }
  }
  if (event.__typename === 'ComputeServiceExpired') loadServices().catch(() => undefined);
  if (event.taskId !== state.taskId || state.task === null) return;

  switch (event.__typename) {
    case 'TaskStatusChanged':
      state.task.status = event.to;
      $('#task-status').replaceChildren(`${state.task.transformation.name} · `, statusBadge(event.to));
      if (state.task.dag === null) selectTask(event.taskId);
      break;
    case 'UnitResultRecorded': {
      const unit = state.task.dag?.units.find((u) => u.key === event.unitKey);
      if (unit === undefined) {
        selectTask(event.taskId); // the DAG was registered after we loaded the task
        break;
      }
      if (unit.state !== 'OK') unit.state = event.ok ? 'OK' : 'FAILED';
      document.querySelector(`#dag-graph [data-unit="${CSS.escape(unit.key)}"]`)?.setAttribute('data-state', unit.state);
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
      if (!event.ok) selectTask(event.taskId);
      break;
    default:
      break;
  }
}

function logEvent(event) {
  const what =
    {
      TaskStatusChanged: () => `${event.from ?? 'new'} → ${event.to}`,
      UnitResultRecorded: () => `unit ${event.unitKey} ${event.ok ? 'ok' : 'failed'} (attempt ${event.attempt})`,
      ResultFileAvailable: () => `file ${event.file.unitKey}/${event.file.path} (${bytes(event.file.size)})`,
      ProtocolDAGResultRecorded: () => `ProtocolDAGResult ${event.ok ? 'ok' : 'failed'}`,
      ComputeServiceExpired: () => `compute service ${event.computeServiceName} expired`,
    }[event.__typename]?.() ?? event.__typename;
  const log = $('#event-log');
  log.prepend(el('li', { 'data-cursor': event.cursor }, `${event.occurredAt.slice(11, 19)} task …${event.taskId.slice(-8)}: ${what}`));
  while (log.children.length > 200) log.lastElementChild.remove();
}

let networkTimer;
function refreshNetworkSoon() {
  clearTimeout(networkTimer);
  networkTimer = setTimeout(async () => {
    await loadNetworks();
    const current = state.networks.find((n) => n.scopedKey === state.network?.scopedKey);
    if (current !== undefined) {
      state.network = current;
      drawNetwork(current);
    }
  }, 400);
}

let tasksTimer;
function refreshTasksSoon() {
  clearTimeout(tasksTimer);
  tasksTimer = setTimeout(() => loadTasks().catch((error) => showProblem(error.message)), 300);
}

// ------------------------------------------------------------------------------------------------
// Drawing

function drawNetwork(network) {
  const svg = $('#network-graph');
  const width = 600;
  const height = 420;
  const radius = Math.min(width, height) / 2 - 50;
  const at = new Map(
    network.chemicalSystems.map((system, i) => {
      const angle = (2 * Math.PI * i) / network.chemicalSystems.length - Math.PI / 2;
      return [system.scopedKey, { x: width / 2 + radius * Math.cos(angle), y: height / 2 + radius * Math.sin(angle), system }];
    }),
  );
  const edges = network.transformations.map((t) => {
    const a = at.get(t.stateA.scopedKey);
    const b = at.get(t.stateB.scopedKey);
    const group = svgEl('g', {
      class: 'edge',
      'data-transformation': t.scopedKey,
      'data-state': edgeState(t.statusCounts),
      'aria-selected': String(t.scopedKey === state.transformationKey),
    });
    const line = svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y });
    const c = t.statusCounts;
    line.append(svgEl('title', {}, `${t.name}: ${c.waiting} waiting, ${c.running} running, ${c.complete} complete, ${c.error} error`));
    group.append(line, svgEl('text', { x: (a.x + b.x) / 2 + 4, y: (a.y + b.y) / 2 - 4 }, t.name));
    group.addEventListener('click', () => {
      state.transformationKey = state.transformationKey === t.scopedKey ? null : t.scopedKey;
      drawNetwork(state.network);
      loadTasks().catch((error) => showProblem(error.message));
    });
    return group;
  });
  const nodes = [...at.values()].map(({ x, y, system }) => {
    const group = svgEl('g', { class: 'node', 'data-system': system.scopedKey });
    group.append(svgEl('circle', { cx: x, cy: y, r: 16 }), svgEl('text', { x: x + 20, y: y + 4 }, system.name));
    return group;
  });
  svg.replaceChildren(...edges, ...nodes);
}

function edgeState(counts) {
  if (counts.error > 0) return 'error';
  if (counts.running > 0) return 'running';
  if (counts.waiting > 0) return 'waiting';
  if (counts.complete > 0) return 'complete';
  return 'none';
}

/** Units in columns by dependency depth, so every arrow points right. */
function drawDag(dag) {
  const svg = $('#dag-graph');
  if (dag === null) {
    svg.setAttribute('viewBox', '0 0 400 40');
    svg.replaceChildren(svgEl('text', { x: 10, y: 24 }, 'No ProtocolDAG yet: the first worker to claim the task registers it.'));
    return;
  }
  const depth = new Map();
  const depthOf = (unit, seen = new Set()) => {
    if (depth.has(unit.key)) return depth.get(unit.key);
    if (seen.has(unit.key)) return 0;
    seen.add(unit.key);
    const deps = unit.dependencies.map((key) => dag.units.find((u) => u.key === key)).filter(Boolean);
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((u) => depthOf(u, seen)));
    depth.set(unit.key, d);
    return d;
  };
  const columns = [];
  for (const unit of dag.units) (columns[depthOf(unit)] ??= []).push(unit);
  const boxW = 120;
  const boxH = 30;
  const gapX = 50;
  const gapY = 14;
  const place = new Map();
  columns.forEach((units, col) =>
    units.forEach((unit, row) => place.set(unit.key, { x: 10 + col * (boxW + gapX), y: 10 + row * (boxH + gapY) })),
  );
  const width = 20 + columns.length * (boxW + gapX);
  const height = 20 + Math.max(...columns.map((c) => c.length)) * (boxH + gapY);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const marker = svgEl('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' });
  marker.append(svgEl('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9aa3ae' }));
  const defs = svgEl('defs');
  defs.append(marker);
  const arrows = dag.units.flatMap((unit) =>
    unit.dependencies
      .filter((key) => place.has(key))
      .map((key) => {
        const from = place.get(key);
        const to = place.get(unit.key);
        return svgEl('path', {
          class: 'dependency',
          d: `M ${from.x + boxW} ${from.y + boxH / 2} C ${from.x + boxW + gapX / 2} ${from.y + boxH / 2}, ${to.x - gapX / 2} ${to.y + boxH / 2}, ${to.x} ${to.y + boxH / 2}`,
        });
      }),
  );
  const boxes = dag.units.map((unit) => {
    const { x, y } = place.get(unit.key);
    const group = svgEl('g', { class: 'unit', 'data-unit': unit.key, 'data-state': unit.state });
    group.append(
      svgEl('rect', { x, y, width: boxW, height: boxH }),
      svgEl('text', { x: x + 8, y: y + 19 }, unit.name.length > 18 ? `${unit.name.slice(0, 17)}…` : unit.name),
    );
    group.firstChild.append(svgEl('title', {}, `${unit.key}: ${unit.state}`));
    return group;
  });
  svg.replaceChildren(defs, ...arrows, ...boxes);
}

// ------------------------------------------------------------------------------------------------
// Small helpers

function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...(Array.isArray(children) ? children : [children]));
  return node;
}

function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function statusBadge(status) {
  return el('span', { class: 'status', 'data-status': status }, status);
}

/** The status, and for a WAITING task whose protocol no live compute service runs, that it waits for one. */
function statusCell(task) {
  if (task.waitingForProtocol === null || task.waitingForProtocol === undefined) return [statusBadge(task.status)];
  return [statusBadge(task.status), el('small', { class: 'waiting-for' }, ` no live service runs ${task.waitingForProtocol}`)];
}

function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return new Date(iso).toLocaleString();
}

function bytes(size) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
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

// Heartbeats age on screen even when nothing happens.
setInterval(() => {
  if (state.client !== null && $('#connection').dataset.state === 'live') loadServices().catch(() => undefined);
}, 5_000);

const saved = sessionStorage.getItem('dagkeeper-token');
if (saved !== null) connect(saved);

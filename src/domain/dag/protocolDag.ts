import { canonicalJson } from '../contentKey.js';
import { badInput, DomainError } from '../errors.js';
import { mapInSlices } from '../mapInSlices.js';

/**
 * A ProtocolDAG is the work of one Task: ProtocolUnits, each naming by key the units whose results it
 * needs. Clients submit it serialized; validateProtocolDag is the one gate it passes, so everything after
 * may rely on unique, path-safe keys, known dependencies and no cycles. The walks here are iterative, so a
 * 10,000-unit chain or a deeply nested `inputs` cannot overflow the stack.
 */

export interface ProtocolUnitSpec {
  /** Unique within the DAG; becomes an object-store path segment. */
  key: string;
  name: string;
  /** Keys of the units that must finish ok first, in the order the client gave them. */
  dependencies: string[];
  /** Opaque to the server; handed to the worker as submitted. */
  inputs?: unknown;
}

export interface ProtocolDagSpec {
  name?: string;
  units: ProtocolUnitSpec[];
  /** Other top-level fields are the client's own and are kept as submitted. */
  [extra: string]: unknown;
}

export interface DagLimits {
  maxUnits: number;
  maxDependenciesPerUnit: number;
  maxKeyLength: number;
  maxNameLength: number;
  /** Per unit, measured as the length of the inputs' JSON text. */
  maxInputsBytes: number;
  /** How many arrays and objects may nest inside one unit's inputs. */
  maxInputsDepth: number;
}

export const defaultDagLimits: DagLimits = {
  maxUnits: 10_000,
  maxDependenciesPerUnit: 1_000,
  maxKeyLength: 200,
  maxNameLength: 200,
  maxInputsBytes: 1024 * 1024,
  maxInputsDepth: 64,
};

/** The object store's rule for a path segment, so that every accepted key can name a folder (never `.` or `..`). */
const UNIT_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const UNIT_FIELDS: ReadonlySet<string> = new Set(['key', 'name', 'dependencies', 'inputs']);
/** Refusals quote what the client sent, but never a megabyte of it. */
const PREVIEW_CHARS = 80;
/** A long cycle is named in full in the refusal's details; its message shows the start. */
const MAX_CYCLE_SHOWN = 20;

/** Returns a normalized copy: units in the given order, each with only its known fields, `inputs` as given. */
export function validateProtocolDag(input: unknown, limits: Partial<DagLimits> = {}): ProtocolDagSpec {
  const { bounds, name, units, extra } = checkDagShape(input, limits);
  return completeDag(
    units.map((unit: unknown, index) => validateUnit(unit, index, bounds)),
    name,
    extra,
  );
}

/**
 * validateProtocolDag for a server: the same checks, with the units checked a slice at a time so that
 * a 10,000-unit DAG never holds the event loop for long (see mapInSlices).
 */
export async function validateProtocolDagInSlices(input: unknown, limits: Partial<DagLimits> = {}): Promise<ProtocolDagSpec> {
  const { bounds, name, units, extra } = checkDagShape(input, limits);
  return completeDag(await mapInSlices(units, (unit: unknown, index) => validateUnit(unit, index, bounds)), name, extra);
}

function checkDagShape(input: unknown, limits: Partial<DagLimits>) {
  const bounds: DagLimits = { ...defaultDagLimits, ...limits };
  if (!isRecord(input)) throw badInput('a ProtocolDAG must be a JSON object', { received: describe(input) });
  const { name, units, ...extra } = input;
  if (name !== undefined) checkText('the DAG name', name, bounds.maxNameLength, { field: 'name' });
  if (!Array.isArray(units)) {
    throw badInput('a ProtocolDAG needs a "units" array', { field: 'units', received: describe(units) });
  }
  if (units.length === 0) throw badInput('a ProtocolDAG needs at least one unit', { field: 'units' });
  if (units.length > bounds.maxUnits) {
    throw badInput(`a ProtocolDAG may have at most ${bounds.maxUnits} units; this one has ${units.length}`, {
      field: 'units',
      count: units.length,
      max: bounds.maxUnits,
    });
  }
  return { bounds, name, units: units as unknown[], extra };
}

/** The checks across units, once each unit passed on its own. */
function completeDag(checked: ProtocolUnitSpec[], name: unknown, extra: Record<string, unknown>): ProtocolDagSpec {
  assertUniqueKeys(checked);
  assertKnownDependencies(checked);
  orderUnits(checked); // refuses a cycle
  return { ...extra, ...(typeof name === 'string' ? { name } : {}), units: checked };
}

/** Unit keys, every unit after its dependencies; among units ready at the same time, the smallest key first. */
export function topologicalOrder(dag: ProtocolDagSpec): string[] {
  return orderUnits(dag.units).map((unit) => unit.key);
}

/**
 * What is left to do once the units in `okUnitKeys` have an ok result: `runnable` units have every
 * dependency ok, `blocked` ones still wait on another unit. Both lists are in topological order.
 */
export function remainingUnits(dag: ProtocolDagSpec, okUnitKeys: ReadonlySet<string>): { runnable: string[]; blocked: string[] } {
  const runnable: string[] = [];
  const blocked: string[] = [];
  for (const unit of orderUnits(dag.units)) {
    if (okUnitKeys.has(unit.key)) continue;
    const ready = unit.dependencies.every((dependency) => okUnitKeys.has(dependency));
    (ready ? runnable : blocked).push(unit.key);
  }
  return { runnable, blocked };
}

function validateUnit(unit: unknown, index: number, bounds: DagLimits): ProtocolUnitSpec {
  const where = `units[${index}]`;
  if (!isRecord(unit)) throw badInput(`${where} must be an object`, { index, received: describe(unit) });
  const unknownFields = Object.keys(unit).filter((field) => !UNIT_FIELDS.has(field));
  if (unknownFields.length > 0) {
    const listed = unknownFields.slice(0, 10).map(quote).join(', ');
    throw badInput(`${where} has unknown fields ${listed}; a unit has key, name, dependencies and inputs`, {
      index,
      fields: unknownFields,
    });
  }
  const key = checkText(`${where}.key`, unit.key, bounds.maxKeyLength, { index, field: 'key' });
  if (!UNIT_KEY.test(key)) {
    const rule = 'must be letters, digits, ., _ or -, starting with a letter or digit';
    throw badInput(`unit key ${quote(key)} ${rule}`, { index, key });
  }
  const name = checkText(`unit ${quote(key)} name`, unit.name, bounds.maxNameLength, { unit: key, field: 'name' });
  const dependencies = checkDependencies(key, unit.dependencies, bounds);
  if (unit.inputs === undefined) return { key, name, dependencies };
  checkInputs(key, unit.inputs, bounds);
  return { key, name, dependencies, inputs: unit.inputs };
}

function checkText(what: string, value: unknown, maxLength: number, details: Record<string, unknown>): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw badInput(`${what} must be a non-empty string`, { ...details, received: describe(value) });
  }
  if (value.length > maxLength) {
    throw badInput(`${what} is ${value.length} characters; at most ${maxLength} are allowed`, { ...details, max: maxLength });
  }
  return value;
}

function checkDependencies(key: string, dependencies: unknown, bounds: DagLimits): string[] {
  const unit = quote(key);
  if (!Array.isArray(dependencies)) {
    throw badInput(`unit ${unit} needs a "dependencies" array (empty when it has none)`, {
      unit: key,
      received: describe(dependencies),
    });
  }
  if (dependencies.length > bounds.maxDependenciesPerUnit) {
    const max = bounds.maxDependenciesPerUnit;
    throw badInput(`unit ${unit} has ${dependencies.length} dependencies; at most ${max} are allowed`, {
      unit: key,
      count: dependencies.length,
      max,
    });
  }
  const seen = new Set<string>();
  for (const dependency of dependencies as unknown[]) {
    if (typeof dependency !== 'string') {
      throw badInput(`unit ${unit} lists a dependency that is not a key string`, { unit: key, received: describe(dependency) });
    }
    if (dependency === key) throw badInput(`unit ${unit} depends on itself`, { unit: key, dependency });
    if (seen.has(dependency)) {
      throw badInput(`unit ${unit} lists dependency ${quote(dependency)} more than once`, { unit: key, dependency });
    }
    seen.add(dependency);
  }
  return [...seen];
}

/**
 * Depth and size are measured with an explicit stack before anything recursive (JSON serialization)
 * touches the value. Each value visited adds at least one character to the JSON text, so counting them
 * against the byte limit also bounds the walk when one object is referenced many times.
 */
function checkInputs(key: string, inputs: unknown, bounds: DagLimits): void {
  const { maxInputsBytes, maxInputsDepth } = bounds;
  const tooLarge = () =>
    badInput(`unit ${quote(key)} inputs exceed ${maxInputsBytes} characters of JSON`, { unit: key, max: maxInputsBytes });
  const pending: Array<{ value: unknown; depth: number }> = [{ value: inputs, depth: 0 }];
  let visited = 1;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= maxInputsDepth) {
      throw badInput(`unit ${quote(key)} inputs nest deeper than ${maxInputsDepth} levels`, { unit: key, max: maxInputsDepth });
    }
    const children: unknown[] = Array.isArray(value) ? value : Object.values(value);
    visited += children.length;
    if (visited > maxInputsBytes) throw tooLarge();
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
  let json: string;
  try {
    json = canonicalJson(inputs);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw badInput(`unit ${quote(key)} inputs are not JSON: ${error.message}`, { unit: key, ...error.details });
  }
  if (json.length > maxInputsBytes) throw tooLarge();
}

function assertUniqueKeys(units: readonly ProtocolUnitSpec[]): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const { key } of units) (seen.has(key) ? repeated : seen).add(key);
  if (repeated.size === 0) return;
  const keys = [...repeated];
  throw badInput(`unit keys must be unique; repeated: ${keys.slice(0, 10).map(quote).join(', ')}`, { keys });
}

function assertKnownDependencies(units: readonly ProtocolUnitSpec[]): void {
  const keys = new Set(units.map((unit) => unit.key));
  for (const unit of units) {
    const unknown = unit.dependencies.find((dependency) => !keys.has(dependency));
    if (unknown !== undefined) {
      throw badInput(`unit ${quote(unit.key)} depends on ${quote(unknown)}, which is not a unit of this DAG`, {
        unit: unit.key,
        dependency: unknown,
      });
    }
  }
}

/**
 * Kahn's algorithm, taking the smallest ready key first so the order is reproducible. Dependencies on
 * keys outside the DAG are ignored here (validation refuses them). Throws BAD_USER_INPUT naming one cycle.
 */
function orderUnits(units: readonly ProtocolUnitSpec[]): ProtocolUnitSpec[] {
  const keys = new Set(units.map((unit) => unit.key));
  const waitingOn = new Map<string, number>();
  const dependents = new Map<string, ProtocolUnitSpec[]>();
  const ready = new ReadyUnits();
  for (const unit of units) {
    const known = unit.dependencies.filter((dependency) => keys.has(dependency));
    waitingOn.set(unit.key, known.length);
    for (const dependency of known) {
      const list = dependents.get(dependency);
      if (list === undefined) dependents.set(dependency, [unit]);
      else list.push(unit);
    }
    if (known.length === 0) ready.push(unit);
  }
  const order: ProtocolUnitSpec[] = [];
  for (let unit = ready.pop(); unit !== undefined; unit = ready.pop()) {
    order.push(unit);
    for (const dependent of dependents.get(unit.key) ?? []) {
      const left = (waitingOn.get(dependent.key) ?? 0) - 1;
      waitingOn.set(dependent.key, left);
      if (left === 0) ready.push(dependent);
    }
  }
  if (order.length < units.length) throw cycleError(units, new Set(order.map((unit) => unit.key)));
  return order;
}

/**
 * Every unit Kahn's algorithm could not order waits on another such unit, so following those
 * dependencies from any of them must come back to a unit already passed: that loop is a cycle.
 */
function cycleError(units: readonly ProtocolUnitSpec[], ordered: ReadonlySet<string>): DomainError {
  const stuck = new Map(units.filter((unit) => !ordered.has(unit.key)).map((unit) => [unit.key, unit]));
  const path: string[] = [];
  const positions = new Map<string, number>();
  let current: string | undefined = [...stuck.keys()].sort()[0];
  while (current !== undefined && !positions.has(current)) {
    positions.set(current, path.length);
    path.push(current);
    current = stuck.get(current)?.dependencies.find((dependency) => stuck.has(dependency));
  }
  const loop = path.slice(current === undefined ? 0 : positions.get(current));
  // Rotated to begin at its smallest key, so one cycle is always reported the same way.
  const start = loop.indexOf([...loop].sort()[0] ?? '');
  const cycle = [...loop.slice(start), ...loop.slice(0, start)];
  const shown =
    cycle.length <= MAX_CYCLE_SHOWN
      ? [...cycle, cycle[0] ?? ''].map(quote).join(' → ')
      : `${cycle.slice(0, MAX_CYCLE_SHOWN).map(quote).join(' → ')} → … (${cycle.length} units in all)`;
  return badInput(`the units form a dependency cycle: ${shown} (each depends on the next)`, { cycle });
}

/** A binary min-heap of units by key: the ready set of Kahn's algorithm. */
class ReadyUnits {
  private readonly heap: ProtocolUnitSpec[] = [];

  push(unit: ProtocolUnitSpec): void {
    const heap = this.heap;
    heap.push(unit);
    for (let child = heap.length - 1; child > 0;) {
      const parent = (child - 1) >> 1;
      if (heap[parent].key <= heap[child].key) return;
      [heap[parent], heap[child]] = [heap[child], heap[parent]];
      child = parent;
    }
  }

  pop(): ProtocolUnitSpec | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    for (let parent = 0; ;) {
      let smallest = parent;
      for (const child of [2 * parent + 1, 2 * parent + 2]) {
        if (child < heap.length && heap[child].key < heap[smallest].key) smallest = child;
      }
      if (smallest === parent) return top;
      [heap[parent], heap[smallest]] = [heap[smallest], heap[parent]];
      parent = smallest;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function quote(text: string): string {
  return JSON.stringify(text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text);
}

/** What a refusal says was received instead, without echoing a large value back. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string ${quote(value)}`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`;
    default:
      return `a ${typeof value}`;
  }
}

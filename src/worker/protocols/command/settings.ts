import { validateProtocolDag } from '../../../domain/dag/protocolDag.js';
import type { ProtocolUnitSpec } from '../../../domain/dag/protocolDag.js';
import { DomainError } from '../../../domain/errors.js';
import { InvalidProtocolSettings } from '../../../domain/networks/protocolSettings.js';

/**
 * Settings of the `command` protocol: `{ units: [{ key, name, dependencies?, command: [argv…],
 * parentFiles? }] }`, one unit per external program. Parsed here into the DAG's units, checked as a
 * DAG (unique keys, known dependencies, no cycle); createDag uses this parser and the server runs it at
 * createNetwork (src/worker/protocols/settingsChecks.ts), so a refusal names the field either way.
 */

const UNIT_FIELDS: ReadonlySet<string> = new Set(['key', 'name', 'dependencies', 'command', 'parentFiles']);
const USAGE = 'the command protocol needs settings { units: [{ key, name, dependencies, command: [argv…] }] }';

export interface CommandUnitInputs {
  command: string[];
  parentFiles?: string[];
  /** The task's seed (added when the DAG is built for a task). */
  seed?: number;
}

/** The DAG's units for these settings; throws InvalidProtocolSettings naming the field. */
export function parseCommandUnits(settings: unknown): ProtocolUnitSpec[] {
  const units = isRecord(settings) ? settings.units : undefined;
  if (!Array.isArray(units)) throw new InvalidProtocolSettings('settings.units', USAGE);
  const specs = units.map((unit: unknown, index) => unitSpec(unit, `settings.units[${index}]`));
  try {
    return validateProtocolDag({ units: specs }).units;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    throw new InvalidProtocolSettings(fieldOf(error, specs), error.message);
  }
}

/** A unit as the DAG gate (validateProtocolDag) takes it: key, name and dependencies are checked there, by the rules of any DAG. */
function unitSpec(unit: unknown, field: string): Record<string, unknown> {
  if (!isRecord(unit)) throw new InvalidProtocolSettings(field, `${field} must be an object { key, name, dependencies, command }`);
  // A misspelt field (say "dependecies") would otherwise be dropped without a word, and the unit run too early.
  const unknown = Object.keys(unit).filter((name) => !UNIT_FIELDS.has(name));
  if (unknown.length > 0) {
    throw new InvalidProtocolSettings(
      `${field}.${(unknown[0] ?? '').slice(0, 40)}`,
      `${field} has unknown fields ${unknown
        .slice(0, 10)
        .map((name) => JSON.stringify(name.slice(0, 40)))
        .join(', ')}; a unit has ${[...UNIT_FIELDS].join(', ')}`,
    );
  }
  const { key, name, dependencies = [], command, parentFiles } = unit;
  if (!isStringList(command) || command.length === 0) {
    throw new InvalidProtocolSettings(
      `${field}.command`,
      `unit ${JSON.stringify(String(key).slice(0, 40))} needs a command: a non-empty list of strings`,
    );
  }
  if (parentFiles !== undefined && !isStringList(parentFiles)) {
    throw new InvalidProtocolSettings(`${field}.parentFiles`, `${field}.parentFiles must be a list of "unitKey/path" strings`);
  }
  const inputs: CommandUnitInputs = { command, ...(parentFiles === undefined ? {} : { parentFiles }) };
  return { key, name, dependencies, inputs };
}

/**
 * The settings field a DAG refusal is about, from its details: the unit it names (by index, by key, or
 * the second of two with one key) and the part of it, or the units as a whole (a cycle, too many units).
 */
function fieldOf(error: DomainError, specs: ReadonlyArray<Record<string, unknown>>): string {
  const details = error.details ?? {};
  const repeated = Array.isArray(details.keys) ? details.keys[0] : undefined;
  const index =
    typeof details.index === 'number'
      ? details.index
      : repeated !== undefined
        ? specs.findLastIndex((spec) => spec.key === repeated)
        : typeof details.unit === 'string'
          ? specs.findIndex((spec) => spec.key === details.unit)
          : -1;
  if (index < 0) return 'settings.units';
  const part =
    typeof details.field === 'string'
      ? details.field
      : repeated !== undefined
        ? 'key'
        : ['dependency', 'received', 'count'].some((name) => name in details)
          ? 'dependencies'
          : undefined;
  return part === undefined ? `settings.units[${index}]` : `settings.units[${index}].${part}`;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

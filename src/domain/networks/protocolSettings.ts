import { badInput } from '../errors.js';
import { asReference } from '../inputs/inputReferences.js';

/**
 * What the server knows of protocols' settings before a worker ever sees them. A transformation whose
 * settings cannot make a ProtocolDAG would otherwise be accepted, and every worker that claimed one of
 * its tasks would fail on it. The checks are the protocols' own settings parsers (the ones their
 * createDag uses), handed in by the composition root: the domain knows no protocol. A protocol without
 * a check here (one a worker loads with --protocol-module) is accepted as it is.
 */

/** Thrown by a settings parser: `field` names what is wrong, e.g. `settings.windows` or `settings.units[2].command`. */
export class InvalidProtocolSettings extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidProtocolSettings';
  }
}

/** Throws (an InvalidProtocolSettings, ideally) when the settings cannot make a ProtocolDAG. */
export type ProtocolSettingsCheck = (settings: unknown) => void;

/** Protocol name → its settings check. */
export type ProtocolSettingsChecks = ReadonlyMap<string, ProtocolSettingsCheck>;

export const noProtocolSettingsChecks: ProtocolSettingsChecks = new Map();

/**
 * Refuses (BAD_USER_INPUT naming the transformation and the field) the first transformation whose settings its
 * protocol rejects. Settings given as a reference to an input object are not read here: the worker checks
 * them when it builds the DAG (docs/inputs.md).
 */
export function checkProtocolSettings(
  checks: ProtocolSettingsChecks,
  transformations: ReadonlyArray<{ name: string; protocol: string; settings: unknown }>,
): void {
  for (const transformation of transformations) {
    const check = checks.get(transformation.protocol);
    if (check === undefined || asReference(transformation.settings) !== null) continue;
    try {
      check(transformation.settings);
    } catch (error) {
      const field = error instanceof InvalidProtocolSettings ? error.field : 'settings';
      const reason = error instanceof Error ? error.message : String(error);
      throw badInput(`transformation "${transformation.name}": ${field} is not valid for protocol ${transformation.protocol}: ${reason}`, {
        transformation: transformation.name,
        protocol: transformation.protocol,
        field,
      });
    }
  }
}

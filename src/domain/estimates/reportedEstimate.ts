import { badInput } from '../errors.js';

/** A free-energy estimate as a protocol reports it (docs/estimates.md): one standard error, a named unit. */
export interface Estimate {
  value: number;
  uncertainty: number;
  unit: string;
}

export const estimateField = 'outputs.estimate';
/** Unit names are labels ("kT", "kcal/mol"), compared by name: long text there is a mistake. */
export const maxUnitChars = 40;

/**
 * The `estimate` a unit's outputs carry, checked; null when they carry none. Anything else under that
 * name is refused naming `outputs.estimate`, so a result the server could not combine is never stored.
 */
export function reportedEstimate(outputs: unknown): Estimate | null {
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) return null;
  if (!Object.hasOwn(outputs, 'estimate')) return null;
  const estimate = (outputs as { estimate: unknown }).estimate;
  const refuse = (why: string): never => {
    throw badInput(`${estimateField} ${why}`, { field: estimateField });
  };
  if (typeof estimate !== 'object' || estimate === null || Array.isArray(estimate)) {
    return refuse('must be an object { value, uncertainty, unit }');
  }
  const { value, uncertainty, unit, ...rest } = estimate as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) refuse(`has unknown fields ${extra.slice(0, 5).join(', ')}; it holds value, uncertainty and unit`);
  if (typeof value !== 'number' || !Number.isFinite(value)) refuse('.value must be a finite number');
  if (typeof uncertainty !== 'number' || !Number.isFinite(uncertainty) || uncertainty < 0) {
    refuse('.uncertainty must be a finite number ≥ 0 (one standard error)');
  }
  if (typeof unit !== 'string' || unit.trim() === '' || unit.length > maxUnitChars || /[\p{Cc}]/u.test(unit)) {
    refuse(`.unit must be a name of 1 to ${maxUnitChars} printable characters, e.g. "kT" or "kcal/mol"`);
  }
  return { value: value as number, uncertainty: uncertainty as number, unit: unit as string };
}

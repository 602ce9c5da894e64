import { InvalidProtocolSettings } from '../../../domain/networks/protocolSettings.js';

/**
 * Settings of the harmonic-oscillator demo: the relative free energy of 1-D wells U_k(x) = k x²/2,
 * going from spring constant k0 to k1 through λ windows with k(λ) = (1−λ)·k0 + λ·k1.
 * Parsed once, from the transformation's settings, into a checked object. The same parser is the
 * server's check at createNetwork (src/worker/protocols/settingsChecks.ts): a refusal names the field.
 */

export interface HarmonicSettings {
  /** Spring constant of state A (λ = 0). */
  k0: number;
  /** Spring constant of state B (λ = 1). */
  k1: number;
  /** Thermal energy; every energy reported is in the same unit. */
  kT: number;
  /** λ windows, both end states included. */
  windows: number;
  /** Samples kept per window by one sample unit. */
  samplesPerWindow: number;
  /** One sample is kept every `sampleInterval` Monte Carlo steps (at most 10,000). */
  sampleInterval: number;
  seed: number;
}

const DEFAULTS = { kT: 1, windows: 6, samplesPerWindow: 20_000, sampleInterval: 10, seed: 1 } as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set(['k0', 'k1', ...Object.keys(DEFAULTS)]);
const MIN_WINDOWS = 2;
const MAX_WINDOWS = 64;
const MIN_SAMPLES = 100;
const MAX_SAMPLES = 10_000_000;
/** With MAX_SAMPLES, bounds one unit at 10¹¹ Monte Carlo steps: a safe integer, and hours not years. */
const MAX_INTERVAL = 10_000;

export function parseHarmonicSettings(input: unknown): HarmonicSettings {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidProtocolSettings('settings', 'harmonic-oscillator settings must be an object with at least k0 and k1');
  }
  const fields = input as Record<string, unknown>;
  // A misspelt field would otherwise fall back to its default without a word.
  const unknown = Object.keys(fields).filter((name) => !KNOWN_FIELDS.has(name));
  if (unknown.length > 0) {
    throw new InvalidProtocolSettings(
      `settings.${(unknown[0] ?? '').slice(0, 40)}`,
      `harmonic-oscillator settings have unknown fields ${unknown
        .slice(0, 10)
        .map((name) => JSON.stringify(name.slice(0, 40)))
        .join(', ')}; ` + `known fields are ${[...KNOWN_FIELDS].join(', ')}`,
    );
  }
  return {
    k0: positive(fields, 'k0'),
    k1: positive(fields, 'k1'),
    kT: positive(fields, 'kT', DEFAULTS.kT),
    windows: integerIn(fields, 'windows', MIN_WINDOWS, MAX_WINDOWS, DEFAULTS.windows),
    samplesPerWindow: integerIn(fields, 'samplesPerWindow', MIN_SAMPLES, MAX_SAMPLES, DEFAULTS.samplesPerWindow),
    sampleInterval: integerIn(fields, 'sampleInterval', 1, MAX_INTERVAL, DEFAULTS.sampleInterval),
    seed: integerIn(fields, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, DEFAULTS.seed),
  };
}

/** λ_i = i / (windows − 1), so the first window is state A and the last state B. */
export function lambdaSchedule(settings: HarmonicSettings): number[] {
  return Array.from({ length: settings.windows }, (_, index) => index / (settings.windows - 1));
}

export function springConstantAt(settings: HarmonicSettings, lambda: number): number {
  return (1 - lambda) * settings.k0 + lambda * settings.k1;
}

/** ΔF = F1 − F0 = (kT/2)·ln(k1/k0): the partition function of a 1-D harmonic well is √(2π kT / k). */
export function exactDeltaF(settings: HarmonicSettings): number {
  return (settings.kT / 2) * Math.log(settings.k1 / settings.k0);
}

function positive(fields: Record<string, unknown>, name: string, fallback?: number): number {
  const value = fields[name] === undefined ? fallback : fields[name];
  if (value === undefined)
    throw new InvalidProtocolSettings(`settings.${name}`, `harmonic-oscillator settings need ${name} (a positive number)`);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidProtocolSettings(
      `settings.${name}`,
      `harmonic-oscillator setting ${name} must be a finite number > 0, got ${describe(value)}`,
    );
  }
  return value;
}

function integerIn(fields: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number {
  const value = fields[name] === undefined ? fallback : fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const bounds = min === Number.MIN_SAFE_INTEGER ? '' : ` in ${min}..${max}`;
    throw new InvalidProtocolSettings(
      `settings.${name}`,
      `harmonic-oscillator setting ${name} must be an integer${bounds}, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}

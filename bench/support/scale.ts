/**
 * Sizes of every benchmark. `full` is the issue's sizes (the run that writes the real BENCHMARKS.md);
 * `small` finishes in a minute or two for development. Any knob can be overridden from the
 * environment as BENCH_<KNOB_IN_UPPER_SNAKE_CASE>, e.g. BENCH_CLAIM_TASKS=20000 or
 * BENCH_SCALING_SIZES=1000,10000.
 */

export type ScaleName = 'small' | 'full';

export interface Scale {
  name: ScaleName;
  /** 1. Claim throughput. */
  claimTasks: number;
  claimWarmUpTasks: number;
  claimers: number;
  claimRounds: number;
  /** Each drain stops after this long: claims get slower as the hub fills, and a run must end. */
  claimSeconds: number;
  /** 2. Claim latency against the number of waiting tasks. */
  scalingSizes: number[];
  scalingClaims: number;
  /** Time budget of the measured claims at one size: a slow size gets fewer claims, not hours. */
  scalingSecondsPerSize: number;
  /** 3. ResultFile transfer. */
  transferBytes: number;
  transferRounds: number;
  transferStores: string[];
  /** 4. Resume. */
  resumeUnits: number;
  resumeDone: number;
  resumeUnitMs: number;
  resumeRounds: number;
  /** 5. Event fan-out. */
  fanOutSubscribers: number;
  fanOutEvents: number;
  fanOutEventsPerSecond: number;
  /** 6. Small writes. */
  smallWrites: number;
  /** 7. Dead worker to resumed task. */
  deadWorkerRounds: number;
  /** 8. Big networks. */
  networkTransformations: number;
  networkRounds: number;
}

const MIB = 1024 * 1024;

const scales: Record<ScaleName, Scale> = {
  full: {
    name: 'full',
    claimTasks: 100_000,
    claimWarmUpTasks: 2_000,
    claimers: 8,
    claimRounds: 3,
    claimSeconds: 30,
    scalingSizes: [1_000, 10_000, 100_000, 1_000_000],
    scalingClaims: 200,
    scalingSecondsPerSize: 30,
    transferBytes: 1024 * MIB,
    transferRounds: 2,
    transferStores: ['local', 's3'],
    resumeUnits: 20,
    resumeDone: 15,
    resumeUnitMs: 200,
    resumeRounds: 3,
    fanOutSubscribers: 1_000,
    fanOutEvents: 200,
    fanOutEventsPerSecond: 20,
    smallWrites: 1_000,
    deadWorkerRounds: 3,
    networkTransformations: 2_000,
    networkRounds: 3,
  },
  small: {
    name: 'small',
    claimTasks: 2_000,
    claimWarmUpTasks: 200,
    claimers: 8,
    claimRounds: 2,
    claimSeconds: 10,
    scalingSizes: [1_000, 10_000],
    scalingClaims: 50,
    scalingSecondsPerSize: 20,
    transferBytes: 32 * MIB,
    transferRounds: 1,
    transferStores: ['local', 's3'],
    resumeUnits: 6,
    resumeDone: 4,
    resumeUnitMs: 100,
    resumeRounds: 1,
    fanOutSubscribers: 50,
    fanOutEvents: 30,
    fanOutEventsPerSecond: 20,
    smallWrites: 100,
    deadWorkerRounds: 1,
    networkTransformations: 200,
    networkRounds: 2,
  },
};

const envName = (knob: string): string => `BENCH_${knob.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

export function loadScale(name: ScaleName, env: Readonly<Record<string, string | undefined>>): Scale {
  const scale: Scale = { ...scales[name] };
  const problems: string[] = [];
  for (const knob of Object.keys(scale) as Array<keyof Scale>) {
    if (knob === 'name') continue;
    const raw = env[envName(knob)]?.trim();
    if (raw === undefined || raw === '') continue;
    const current = scale[knob];
    if (Array.isArray(current)) {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const numeric = typeof current[0] === 'number';
      if (numeric && !items.every((s) => Number.isInteger(Number(s)) && Number(s) > 0))
        problems.push(`${envName(knob)} must list positive whole numbers`);
      (scale as unknown as Record<string, unknown>)[knob] = numeric ? items.map(Number) : items;
    } else {
      const value = Number(raw);
      if (!Number.isInteger(value) || value < 0) problems.push(`${envName(knob)} must be a whole number, got "${raw}"`);
      (scale as unknown as Record<string, unknown>)[knob] = value;
    }
  }
  if (problems.length > 0) throw new Error(`bad benchmark settings:\n  - ${problems.join('\n  - ')}`);
  return scale;
}

export function isScaleName(text: string): text is ScaleName {
  return text === 'small' || text === 'full';
}

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
  /** Rounds of the two phases (one subscriber, then all), alternating. */
  fanOutRounds: number;
  /** 6. Small writes. */
  smallWrites: number;
  /** Rounds of `smallWrites` each, alternating with graphile-worker's. */
  smallWritesRounds: number;
  /** 7. Dead worker to resumed task. */
  deadWorkerRounds: number;
  /** 8. Big networks. */
  networkTransformations: number;
  networkRounds: number;
  /** 11. Inputs of any size: a network sharing one protein, then big settings, on each store. */
  inputTransformations: number;
  inputProteinBytes: number;
  inputSettingsBytes: number;
  inputStores: string[];
  /** 9. Claim latency against the number of networks with work. */
  hubScalingSizes: number[];
  hubScalingClaims: number;
  hubScalingRounds: number;
  /** 10. The unit cycle (claim, 3 unit results, finish) against graphile-worker's sets of 3 jobs. */
  cycleWorkers: number;
  /** Waiting tasks each cycle round starts with (graphile-worker's rounds: at most as many sets). */
  cycleTasks: number;
  cycleWarmUp: number;
  cycleRounds: number;
  cycleSeconds: number;
  /** Tasks of the split rounds (all claims, then all unit results, then all finishes), for CPU per operation. */
  cycleSplitTasks: number;
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
    fanOutRounds: 3,
    smallWrites: 1_000,
    smallWritesRounds: 3,
    deadWorkerRounds: 3,
    networkTransformations: 2_000,
    networkRounds: 3,
    inputTransformations: 200,
    inputProteinBytes: 10 * MIB,
    inputSettingsBytes: 200 * MIB,
    inputStores: ['embedded', 'postgres-s3'],
    hubScalingSizes: [10, 1_000, 100_000],
    hubScalingClaims: 200,
    hubScalingRounds: 5,
    cycleWorkers: 8,
    cycleTasks: 3_000,
    cycleWarmUp: 40,
    cycleRounds: 3,
    cycleSeconds: 30,
    cycleSplitTasks: 160,
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
    fanOutRounds: 1,
    smallWrites: 100,
    smallWritesRounds: 2,
    deadWorkerRounds: 1,
    networkTransformations: 200,
    networkRounds: 2,
    inputTransformations: 200,
    inputProteinBytes: 10 * MIB,
    inputSettingsBytes: 20 * MIB,
    inputStores: ['embedded', 'postgres-s3'],
    hubScalingSizes: [10, 1_000],
    hubScalingClaims: 50,
    hubScalingRounds: 2,
    cycleWorkers: 8,
    cycleTasks: 300,
    cycleWarmUp: 16,
    cycleRounds: 2,
    cycleSeconds: 10,
    cycleSplitTasks: 80,
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

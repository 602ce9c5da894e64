import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError } from '../client/ApiClient.js';
import type { Logger } from '../observability/logger.js';
import { listOutputFiles } from './outputFiles.js';
import { uploadOutputFile } from './uploadOutputFile.js';
import type { ProtocolDagSpec } from '../domain/dag/protocolDag.js';
import type { ParentResult, Protocol, TransformationInfo, UnitContext, UnitResultView } from './protocol.js';
import type { ProtocolRegistry } from './protocols/registry.js';
import { withRetry } from './retry.js';
import { downloadVerified } from '../transfers/download.js';
import { runUnitInChild } from './units/runUnitInChild.js';
import type { UnitOutcome } from './units/runUnitInChild.js';
import type { ClaimedTaskView, RemoteFile, WorkerApi } from './WorkerApi.js';
import type { InputCache } from './inputs/InputCache.js';
import { MissingInputObject, TaskInputs, withoutPaths } from './inputs/TaskInputs.js';
import type { InputObjectView } from './inputs/TaskInputs.js';
import { parseScopedKey } from '../domain/scopedKey.js';
import { formatScope } from '../domain/scope.js';

export type TaskOutcome = 'complete' | 'error' | 'given back' | 'stale';

export interface ExecutorOptions {
  api: WorkerApi;
  protocols: ProtocolRegistry;
  scratchRoot: string;
  /** Where this host keeps the input objects tasks refer to (docs/inputs.md). */
  inputCache: InputCache;
  concurrency: number;
  log: Logger;
  /** True once the worker is asked to stop: no new unit starts; running ones finish and upload. */
  stopping: () => boolean;
  /** Aborted to kill running units at once (a second stop signal). */
  signal: AbortSignal;
  /** Aborted when the worker is asked to stop (the first stop signal): see interruptionGraceMs. */
  stopRequested?: AbortSignal;
}

/**
 * A unit ended by a stop signal (see units/stopSignals.ts) was interrupted, not failed, when the worker
 * is being stopped too: a batch system cancelling a job, or stopping it at its time limit, signals every
 * process of the job at once, units included. The worker hears its own signal a moment later, in no
 * fixed order with the unit's end, so it waits this long for it. If it does not come, the signal was
 * for the unit alone, and the unit failed as any killed unit does.
 */
const interruptionGraceMs = 5_000;

type DagUnit = NonNullable<ClaimedTaskView['dag']>['units'][number];

class StaleClaim extends Error {}

/** A unit names a parent file the extended task's successful result does not have. */
class UnavailableParentFile extends Error {
  override name = 'UnavailableParentFile';
}

/**
 * Executes one claimed task: registers its DAG if it has none, then runs every unit without an ok
 * result in dependency order (independent ones concurrently), shipping each unit's files and result
 * the moment it ends, and finishes the task. On resume it downloads only the files the remaining
 * units need: their dependencies' and the extended task's files they name.
 */
export class TaskExecutor {
  constructor(private readonly options: ExecutorOptions) {}

  async execute(claim: { token: string; taskId: string }): Promise<TaskOutcome> {
    const log = this.options.log.child({ taskId: claim.taskId });
    const taskDir = join(this.options.scratchRoot, `task-${claim.taskId}`);
    // Kills this task's running units when it fails or its claim goes stale, and on a second stop signal.
    const abort = new AbortController();
    const signal = AbortSignal.any([this.options.signal, abort.signal]);
    try {
      return await this.run(claim, taskDir, log, signal);
    } catch (error) {
      abort.abort();
      if (error instanceof StaleClaim || (error instanceof ApiError && error.code === 'STALE_CLAIM')) {
        log.warn({ reason: error.message }, 'claim is no longer current; dropping the task');
        return 'stale';
      }
      throw error;
    } finally {
      await rm(taskDir, { recursive: true, force: true });
    }
  }

  private async run(claim: { token: string; taskId: string }, taskDir: string, log: Logger, signal: AbortSignal): Promise<TaskOutcome> {
    const { api } = this.options;
    let view = await api.task(claim.taskId);
    const { protocol } = this.options.protocols.get(view.transformation.protocol);
    const inputs = this.taskInputs(view);
    if (view.dag === null) {
      const failed = await this.registerDag(claim.token, protocol, view, inputs, log);
      if (failed !== undefined) return failed;
      view = await api.task(claim.taskId);
      inputs.add(inputObjectsOf(view));
    }
    const parent = parentResult(view);
    const dag = view.dag;
    if (dag === null) throw new Error(`task ${claim.taskId} has no DAG after registering one`);

    const done = new Map<string, UnitResultView>();
    for (const result of view.okResults) done.set(result.unitKey, { outputs: result.outputs, files: {} });
    const remoteFiles = view.resultFiles;
    log.info({ done: [...done.keys()], remaining: dag.units.length - done.size }, done.size > 0 ? 'resuming task' : 'starting task');

    const running = new Map<string, Promise<{ key: string; outcome: UnitOutcome | 'interrupted' }>>();
    let failed = false;
    let interrupted = false;
    const ready = () => dag.units.filter((u) => !done.has(u.key) && !running.has(u.key) && u.dependencies.every((d) => done.has(d)));
    for (;;) {
      if (!failed && !interrupted && !this.options.stopping()) {
        for (const unit of ready().slice(0, this.options.concurrency - running.size)) {
          running.set(
            unit.key,
            this.runUnit(claim.token, view, inputs, unit, parent, done, remoteFiles, taskDir, log, signal).then((outcome) => ({
              key: unit.key,
              outcome,
            })),
          );
        }
      }
      if (running.size === 0) break;
      // runUnit records an ok unit in `done` itself, with its files.
      const { key, outcome } = await Promise.race(running.values());
      running.delete(key);
      if (outcome === 'interrupted') interrupted = true;
      else if (!outcome.ok) failed = true;
    }

    if (!failed && done.size < dag.units.length) {
      log.info({ done: done.size, of: dag.units.length }, 'stopping before the task finished; its finished units are kept');
      return 'given back';
    }
    const finished = await api.finish(claim.token);
    log.info({ status: finished.status }, 'finished task');
    return finished.ok ? 'complete' : 'error';
  }

  /**
   * Builds the task's DAG and registers it. A DAG that cannot be built (the protocol throws, or the
   * server refuses what it made) fails the task, not the worker: every worker would fail the same
   * way, so the failure is reported (reportDagBuildFailure) and the task ends in ERROR instead of going
   * back to the queue to be claimed again. Returns the task's outcome then, undefined once registered.
   */
  private async registerDag(
    claimToken: string,
    protocol: Protocol,
    view: ClaimedTaskView,
    inputs: TaskInputs,
    log: Logger,
  ): Promise<TaskOutcome | undefined> {
    let transformation: TransformationInfo;
    try {
      transformation = await transformationWithPaths(view, inputs);
    } catch (error) {
      // A failed download is thrown on (the task goes back, as for any download); a missing object fails the build.
      if (!(error instanceof MissingInputObject)) throw error;
      return this.failDagBuild(claimToken, failureOf(error), log);
    }
    let dag: ProtocolDagSpec;
    try {
      const built = protocol.createDag(transformation, parentResult(view), { seed: view.seed });
      // A protocol may pass references on into its units' inputs: the paths are this host's; the server keeps references.
      dag = {
        ...built,
        units: built.units.map((unit) => (unit.inputs === undefined ? unit : { ...unit, inputs: withoutPaths(unit.inputs) })),
      };
    } catch (error) {
      return this.failDagBuild(claimToken, failureOf(error), log);
    }
    try {
      await this.options.api.setDag(claimToken, dag);
    } catch (error) {
      if (!(error instanceof ApiError && dagRefusals.has(error.code))) throw error;
      const refused = failureOf(error);
      return this.failDagBuild(
        claimToken,
        {
          ...refused,
          exception: `ProtocolDagRefused: the server refused the DAG protocol ${protocol.name} made (${error.code}): ${error.message}`,
        },
        log,
      );
    }
    log.info('registered the ProtocolDAG');
    return undefined;
  }

  private async failDagBuild(claimToken: string, failure: { exception: string; traceback: string }, log: Logger): Promise<TaskOutcome> {
    log.error({ exception: failure.exception }, 'could not build the ProtocolDAG; reporting the task as failed');
    const finished = await this.options.api.reportDagBuildFailure(claimToken, failure.exception, failure.traceback);
    log.info({ status: finished.status, restartedBy: finished.restartedBy }, 'finished task');
    return 'error';
  }

  private taskInputs(view: ClaimedTaskView): TaskInputs {
    const scope = formatScope(parseScopedKey(view.transformation.scopedKey).scope);
    const inputs = new TaskInputs(this.options.inputCache, async (sha256) => {
      const url = await this.options.api.inputObjectUrl(scope, sha256);
      if (url === null) throw new MissingInputObject(`no input object ${sha256} in scope ${scope} any more`);
      return url;
    });
    inputs.add(inputObjectsOf(view));
    return inputs;
  }

  /** Runs one unit, then uploads its files and its result. */
  private async runUnit(
    claimToken: string,
    view: ClaimedTaskView,
    inputs: TaskInputs,
    unit: DagUnit,
    parent: ParentResult | null,
    done: Map<string, UnitResultView>,
    remoteFiles: RemoteFile[],
    taskDir: string,
    taskLog: Logger,
    signal: AbortSignal,
  ): Promise<UnitOutcome | 'interrupted'> {
    const log = taskLog.child({ unitKey: unit.key });
    const scratchDir = join(taskDir, 'scratch', unit.key);
    const outputDir = join(taskDir, 'files', unit.key);
    const sharedDir = join(taskDir, 'shared');
    await rm(outputDir, { recursive: true, force: true });
    await Promise.all([
      mkdir(scratchDir, { recursive: true }),
      mkdir(outputDir, { recursive: true }),
      mkdir(sharedDir, { recursive: true }),
    ]);

    const dependencies: Record<string, UnitResultView> = {};
    for (const key of unit.dependencies) {
      const result = done.get(key);
      if (result === undefined) throw new Error(`unit ${unit.key} started before its dependency ${key} finished`);
      dependencies[key] = { outputs: result.outputs, files: await this.localFilesOf(key, result, remoteFiles, taskDir) };
    }
    const given = await this.unitInputsFor(unit, view, inputs, taskDir);
    const startedAt = new Date();
    let outcome: UnitOutcome;
    if (given instanceof Error) {
      // Every worker would miss it: the unit fails (restart patterns and the failure limit apply), rather than the task going back to the queue.
      log.warn({ reason: given.message }, 'the unit asks for a parent file or input object that is not there; failing it');
      outcome = { ok: false, ...failureOf(given), log: '' };
    } else {
      const context: UnitContext = {
        unit: { key: unit.key, name: unit.name, inputs: given.inputs },
        transformation: given.transformation,
        dependencies,
        parentFiles: given.parentFiles,
        parentOutputs: parent?.outputs ?? null,
        scratchDir,
        outputDir,
        sharedDir,
      };
      await this.sayUnitStarted(claimToken, unit.key, log);
      log.info('unit started');
      outcome = await runUnitInChild(this.options.protocols.get(view.transformation.protocol).moduleUrl, context, { signal });
      if (signal.aborted) throw new StaleClaim('stopped at once');
      if (!outcome.ok && outcome.interruptedBy !== undefined && (await this.stopFollows())) {
        // No result: the unit runs again, whole, in the next attempt; the units finished before it are kept.
        log.warn({ signal: outcome.interruptedBy }, 'unit interrupted by a stop signal; the task goes back with its finished units');
        await rm(scratchDir, { recursive: true, force: true });
        return 'interrupted';
      }
    }
    const endedAt = new Date();

    const files = await this.uploadOutputs(claimToken, unit.key, outputDir);
    await this.options.api.submitUnitResult(claimToken, {
      unitKey: unit.key,
      ok: outcome.ok,
      ...(outcome.ok ? { outputs: outcome.outputs } : { exception: outcome.exception, traceback: outcome.traceback }),
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      log: outcome.log,
    });
    if (outcome.ok) done.set(unit.key, { outputs: outcome.outputs, files });
    await rm(scratchDir, { recursive: true, force: true });
    log.info({ ok: outcome.ok, files: Object.keys(files).length, ms: endedAt.getTime() - startedAt.getTime() }, 'unit result shipped');
    return outcome;
  }

  /**
   * What the unit is given besides its dependencies: the extended task's files it names, and its inputs
   * and transformation with the cached input objects' paths, resolved as it starts, which marks each
   * object used (none is evicted from under it). What no worker could give is returned, not thrown.
   */
  private async unitInputsFor(
    unit: DagUnit,
    view: ClaimedTaskView,
    inputs: TaskInputs,
    taskDir: string,
  ): Promise<
    | { parentFiles: Record<string, string>; inputs: unknown; transformation: TransformationInfo }
    | UnavailableParentFile
    | MissingInputObject
  > {
    try {
      const parentFiles = await this.parentFilesFor(unit, view, taskDir);
      const [unitInputs, transformation] = await Promise.all([inputs.withPaths(unit.inputs), transformationWithPaths(view, inputs)]);
      return { parentFiles, inputs: unitInputs, transformation };
    } catch (error) {
      if (error instanceof UnavailableParentFile || error instanceof MissingInputObject) return error;
      throw error;
    }
  }

  /**
   * Tells the server the unit runs now. Only a stale claim stops the task (thrown on, as from any other
   * write); any other failure is logged and the unit runs anyway: its result is what counts.
   */
  private async sayUnitStarted(claimToken: string, unitKey: string, log: Logger): Promise<void> {
    try {
      await this.options.api.startUnit(claimToken, unitKey);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'STALE_CLAIM') throw error;
      log.warn({ err: error }, 'could not tell the server the unit started; running it anyway');
    }
  }

  /** Whether the worker is asked to stop now or within interruptionGraceMs. */
  private async stopFollows(): Promise<boolean> {
    const stop = this.options.stopRequested;
    if (this.options.stopping() || stop === undefined || stop.aborted) return this.options.stopping() || stop?.aborted === true;
    return new Promise((resolve) => {
      const onStop = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        stop.removeEventListener('abort', onStop);
        resolve(false);
      }, interruptionGraceMs);
      stop.addEventListener('abort', onStop, { once: true });
    });
  }

  /** Uploads every file the unit left in its output directory; returns them as path → local path. */
  private async uploadOutputs(claimToken: string, unitKey: string, outputDir: string): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const file of await listOutputFiles(outputDir)) {
      await uploadOutputFile(this.options.api, claimToken, unitKey, file);
      files[file.path] = file.absolutePath;
    }
    return files;
  }

  /** The files of a finished unit on local disk, downloading those an earlier attempt produced. */
  private async localFilesOf(
    unitKey: string,
    result: UnitResultView,
    remoteFiles: RemoteFile[],
    taskDir: string,
  ): Promise<Record<string, string>> {
    if (Object.keys(result.files).length > 0) return result.files;
    const files: Record<string, string> = {};
    for (const remote of remoteFiles.filter((f) => f.unitKey === unitKey)) {
      const destination = join(taskDir, 'files', unitKey, ...remote.path.split('/'));
      await withRetry(() =>
        downloadVerified(
          { name: `${unitKey}/${remote.path}`, url: remote.downloadUrl, size: remote.size, sha256: remote.sha256 },
          destination,
        ),
      );
      files[remote.path] = destination;
    }
    result.files = files;
    return files;
  }

  /**
   * Downloads the extended task's files this unit names in its inputs (`parentFiles`): files of its
   * successful result only. Naming another is an UnavailableParentFile.
   */
  private async parentFilesFor(unit: DagUnit, view: ClaimedTaskView, taskDir: string): Promise<Record<string, string>> {
    const wanted = (unit.inputs as { parentFiles?: unknown } | null)?.parentFiles;
    if (!Array.isArray(wanted) || wanted.length === 0) return {};
    if (view.extends === null) throw new UnavailableParentFile(`unit ${unit.key} asks for parent files but the task extends nothing`);
    const files: Record<string, string> = {};
    for (const name of wanted as string[]) {
      const remote = view.extends.resultFiles.find((f) => `${f.unitKey}/${f.path}` === name);
      if (remote === undefined)
        throw new UnavailableParentFile(`the extended task ${view.extends.id}'s successful result has no file ${name}`);
      const destination = join(taskDir, 'parent', ...name.split('/'));
      await withRetry(() => downloadVerified({ name, url: remote.downloadUrl, size: remote.size, sha256: remote.sha256 }, destination));
      files[name] = destination;
    }
    return files;
  }
}

/** The transformation as protocols see it: its references carry the cached files' paths. */
async function transformationWithPaths(view: ClaimedTaskView, inputs: TaskInputs): Promise<TransformationInfo> {
  const { scopedKey, name, protocol, settings, stateA, stateB } = view.transformation;
  const [settingsWithPaths, componentsA, componentsB] = await Promise.all([
    inputs.withPaths(settings),
    inputs.withPaths(stateA.components),
    inputs.withPaths(stateB.components),
  ]);
  return {
    scopedKey,
    name,
    protocol,
    settings: settingsWithPaths,
    stateA: { name: stateA.name, components: componentsA },
    stateB: { name: stateB.name, components: componentsB },
  };
}

/** Every input object the task view lists: its transformation's and its DAG units'. */
function inputObjectsOf(view: ClaimedTaskView): InputObjectView[] {
  return [...view.transformation.inputObjects, ...(view.dag?.units.flatMap((unit) => unit.inputObjects) ?? [])];
}

/** Refusals of setProtocolDAG that say the DAG itself is wrong (no retry or other worker fixes it). */
const dagRefusals: ReadonlySet<string> = new Set(['BAD_USER_INPUT', 'PAYLOAD_TOO_LARGE']);

/** An error as a failure report: `Name: message` and its stack, as a failed unit's. */
function failureOf(error: unknown): { exception: string; traceback: string } {
  if (!(error instanceof Error)) return { exception: `Error: ${String(error)}`, traceback: String(error) };
  const exception = `${error.name}: ${error.message}`;
  return { exception, traceback: error.stack ?? exception };
}

/** The extended task's successful result, as protocols see it; null when the task extends nothing. */
function parentResult(view: ClaimedTaskView): ParentResult | null {
  if (view.extends === null) return null;
  if (view.extends.successful === null) throw new Error(`the extended task ${view.extends.id} has no successful result`);
  const outputs: Record<string, unknown> = {};
  for (const unit of view.extends.successful.units) if (unit.result?.ok === true) outputs[unit.key] = unit.result.outputs;
  return { taskId: view.extends.id, outputs, files: view.extends.resultFiles.map((f) => `${f.unitKey}/${f.path}`) };
}

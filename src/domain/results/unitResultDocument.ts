/**
 * The document a unit result's object holds: its outputs, or the exception and traceback of its
 * failure. A worker's submission (UnitResultService) and an import (storeImportedTask) both write it,
 * so that readers cannot tell an imported result from one recorded here.
 */
export function unitResultDocument(input: {
  taskId: string;
  unit: { key: string; name: string };
  attempt: number;
  ok: boolean;
  outputs?: unknown;
  exception?: string | null | undefined;
  traceback?: string | null | undefined;
  startedAt: Date;
  endedAt: Date;
}): Record<string, unknown> {
  return {
    taskId: input.taskId,
    unitKey: input.unit.key,
    unitName: input.unit.name,
    attempt: input.attempt,
    ok: input.ok,
    ...(input.ok ? { outputs: input.outputs ?? null } : { exception: input.exception ?? '', traceback: input.traceback ?? '' }),
    startedAt: input.startedAt.toISOString(),
    endedAt: input.endedAt.toISOString(),
  };
}

/**
 * Which ResultFiles belong to a unit's ok result. A unit may run several times (attempts, one claim
 * each); every attempt uploads its files the moment it ends, a failed one included, and those stay on
 * the task for inspection. Only the files uploaded by the claim that produced the unit's ok result are
 * part of that result: the successful ProtocolDAGResult lists them, and a resuming worker or an
 * extending task downloads them. A path uploaded again by a later attempt is the later attempt's file.
 */

export interface FileOfAttempt {
  unitKey: string;
  /** The claim that uploaded the file (an attempt is one claim). */
  claimId: string;
}

export interface ResultOfAttempt {
  unitKey: string;
  ok: boolean;
  claimId: string;
}

/** Unit key → the claim of its ok result (a unit has at most one). */
export function okClaimByUnit(results: readonly ResultOfAttempt[]): Map<string, string> {
  return new Map(results.filter((result) => result.ok).map((result) => [result.unitKey, result.claimId]));
}

export function isFileOfOkResult(file: FileOfAttempt, okClaims: ReadonlyMap<string, string>): boolean {
  return okClaims.get(file.unitKey) === file.claimId;
}

/** Files of several tasks that do (`ok` true) or do not (false) belong to their unit's ok result. */
export function filesByOkResult<F extends FileOfAttempt & { taskId: string }>(
  files: readonly F[],
  results: ReadonlyArray<ResultOfAttempt & { taskId: string }>,
  ok: boolean,
): F[] {
  const okClaimsOfTask = new Map<string, Map<string, string>>();
  for (const result of results) {
    if (!result.ok) continue;
    const okClaims = okClaimsOfTask.get(result.taskId) ?? new Map<string, string>();
    okClaims.set(result.unitKey, result.claimId);
    okClaimsOfTask.set(result.taskId, okClaims);
  }
  const none = new Map<string, string>();
  return files.filter((file) => isFileOfOkResult(file, okClaimsOfTask.get(file.taskId) ?? none) === ok);
}

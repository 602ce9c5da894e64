import type { UnitContext } from '../../protocol.js';

/**
 * The local path of a parent file this unit listed in its inputs. Null when the unit listed none
 * (the task extends nothing); an error when it listed the file but the worker did not provide it,
 * since carrying on would quietly start over instead of continuing.
 */
export function parentFilePath(context: UnitContext, listed: readonly string[] | undefined, file: string): string | null {
  if (listed === undefined || !listed.includes(file)) return null;
  const path = context.parentFiles[file];
  if (path === undefined) {
    throw new Error(`unit ${context.unit.key} needs the parent's file ${file}, which was not provided`);
  }
  return path;
}

import type { Scope } from '../scope.js';
import { formatScopedKey } from '../scopedKey.js';
import type { TaskStatus } from './taskStatus.js';

export interface TaskRecord {
  id: string;
  scope: Scope;
  status: TaskStatus;
  priority: number;
  transformationId: string;
  transformationKey: string;
  extendsId: string | null;
  fence: bigint;
  /** The seed its ProtocolDAG is built with (a safe integer). */
  seed: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A task as the store reads it, with its scope and its transformation's key. */
export function toTaskRecord(row: {
  id: string;
  status: TaskStatus;
  priority: number;
  transformationId: string;
  extendsId: string | null;
  fence: bigint;
  seed: bigint;
  createdAt: Date;
  updatedAt: Date;
  scope: Scope;
  transformation: { key: string };
}): TaskRecord {
  return {
    id: row.id,
    scope: row.scope,
    status: row.status,
    priority: row.priority,
    transformationId: row.transformationId,
    transformationKey: formatScopedKey(row.transformation.key, row.scope),
    extendsId: row.extendsId,
    fence: row.fence,
    seed: Number(row.seed),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

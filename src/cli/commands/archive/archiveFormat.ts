import type { ArchivedTask } from '../../../domain/imports/archivedTask.js';

/**
 * A network archive (docs/archive.md): `manifest.json`, one `tasks/<id>.json` per task (an
 * ArchivedTask, with the ProtocolDAGResult documents as they were), the content of every input object
 * the network and its tasks' DAGs refer to as `inputs/<sha256>`, and with --files the ResultFiles'
 * bytes as `files/<sha256>`. A directory holds these as files; a single-file archive is a tar of them.
 */

export const archiveFormat = 'dagkeeper-archive';
export const manifestName = 'manifest.json';
export const taskEntryName = (taskId: string): string => `tasks/${taskId}.json`;
export const fileEntryName = (sha256: string): string => `files/${sha256}`;
export const inputEntryName = (sha256: string): string => `inputs/${sha256}`;

export interface NetworkInputJson {
  name: string;
  chemicalSystems: Array<{ name: string; components: unknown }>;
  transformations: Array<{ name: string; stateA: string; stateB: string; protocol: string; settings: unknown }>;
}

export interface ArchiveManifest {
  format: typeof archiveFormat;
  version: 1;
  exportedAt: string;
  source: { url: string; networkKey: string; scope: string };
  /** The network as submitted (createNetwork's NetworkInput), its hub weight and restart patterns. */
  network: NetworkInputJson;
  weight: number;
  restartPatterns: Array<{ pattern: string; maxRetries: number }>;
  /** Oldest first, so a task comes after the one it extends. */
  tasks: ArchiveTaskEntry[];
  /** Every ResultFile of every task; `included` when its bytes are in the archive. */
  files: ArchiveFileEntry[];
  /**
   * Every input object the network's components and settings and the tasks' DAG unit inputs refer to,
   * each once, its content at `inputs/<sha256>`. Absent from archives written before inputs travelled.
   */
  inputs?: ArchiveInputEntry[];
}

export interface ArchiveInputEntry {
  /** SHA-256 of the content (decoded, as units read it). */
  sha256: string;
  size: number;
  /** Its client keys where it was exported, given again on import so `{":input-key:": …}` references resolve. */
  keys: string[];
}

export interface ArchiveTaskEntry {
  id: string;
  transformationKey: string;
  status: string;
  /** Actioned on the network's hub where it ran: actioned again on import, if it may still be claimed. */
  actioned: boolean;
  entry: string;
}

export interface ArchiveFileEntry {
  task: string;
  unitKey: string;
  path: string;
  size: number;
  sha256: string;
  attempt: number;
  included: boolean;
}

/** A task as archived: what importTask reads, with the exporting server's ProtocolDAGResult documents beside it. */
export type ArchivedTaskEntry = ArchivedTask & {
  transformationKey: string;
  dagResults: Array<ArchivedTask['dagResults'][number] & { id: string; document: unknown }>;
};

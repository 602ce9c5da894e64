import type { TaskStatus } from './taskStatus.js';

/**
 * A WAITING task waits for a claimer; when no live compute service runs its protocol, none will come
 * (the claim only hands out tasks of the protocols a claimer asks for), and the task says so: the
 * protocol it waits for. Null for a task of any other status, or one some live service could take.
 */
export function waitingForProtocol(status: TaskStatus, protocol: string, runByNoLiveService: boolean): string | null {
  return status === 'WAITING' && runByNoLiveService ? protocol : null;
}

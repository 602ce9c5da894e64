import { Kind, parse } from 'graphql';

/**
 * Mutations that, sent twice, have the effect of sending them once and answer with the same objects,
 * so a client may send one again when it cannot know whether the first arrived. Each is so by design
 * (the domain code named keeps it so):
 */
export const idempotentMutations: ReadonlySet<string> = new Set([
  'createNetwork', // keyed by content: the same network again returns the stored one, `created: false` (NetworkService.create)
  'actionTasks', // a task already on the hub stays there; the same ids come back (TaskService.action)
  'setTaskPriority', // sets a value
  'setNetworkWeight', // sets a value
  'heartbeat', // moves the last heartbeat to now again
  'deregisterComputeService', // a deregistered service holds nothing; the same service comes back
  'setProtocolDAG', // the same DAG again is a no-op (storeProtocolDag)
  'startUnit', // the unit stays the latest started (AttemptService.startUnit)
  'submitUnitResult', // the same result in the same attempt returns the stored one (UnitResultService.submit)
  'commitResultFile', // a committed upload returns its file (ResultFileService.commit)
  'commitImportUpload', // a committed import upload returns its id (ImportUploads.commit)
  'reportComputeManagerJobs', // upserts each job by id and moves the heartbeat (ComputeManagerRegistry.reportJobs)
  'deregisterComputeManager', // a deregistered manager stays so; the same manager comes back
]);

const known = new Map<string, boolean>();
const maxRemembered = 1000;

/**
 * Whether a GraphQL document may be sent again: a query, or mutations that are all idempotent. Not
 * claims, creations of tasks, identities, tokens or uploads: each would happen twice.
 */
export function isIdempotentOperation(document: string): boolean {
  const remembered = known.get(document);
  if (remembered !== undefined) return remembered;
  const answer = decide(document);
  if (known.size >= maxRemembered) known.clear();
  known.set(document, answer);
  return answer;
}

function decide(document: string): boolean {
  let parsed;
  try {
    parsed = parse(document);
  } catch {
    return false;
  }
  return parsed.definitions.every((definition) => {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) return true;
    if (definition.kind !== Kind.OPERATION_DEFINITION) return false;
    if (definition.operation === 'query') return true;
    if (definition.operation !== 'mutation') return false;
    return definition.selectionSet.selections.every(
      (selection) => selection.kind === Kind.FIELD && idempotentMutations.has(selection.name.value),
    );
  });
}

/**
 * Terminology, once, for the whole domain.
 *
 * - **ChemicalSystem**: a node of a network; opaque components a protocol understands.
 * - **Transformation**: an edge stateA → stateB with a protocol name and its settings.
 * - **AlchemicalNetwork**: chemical systems and transformations submitted together, in one scope.
 *   All three are keyed by content hash (`Kind-<hash>`): the same content is the same object.
 * - **ScopedKey**: `Kind-<hash>-org-campaign-project`, how the API names a keyed object.
 * - **Task**: one request to execute a transformation's protocol. It may **extend** an earlier task,
 *   continuing from that task's successful result and files.
 * - **ProtocolDAG**: the units a task runs and their dependencies. A task gets one, ever: at creation,
 *   or from the first compute service that claims it.
 * - **ProtocolUnit**: one step of the DAG; **unit key** names it within the DAG.
 * - **Unit result**: the outcome of running one unit once (ok with outputs, or failure with exception
 *   and traceback), shipped to the object store the moment the unit ends.
 * - **ResultFile**: a file a unit produced (trajectory, checkpoint…), uploaded as the unit ends.
 * - **ProtocolDAGResult**: all unit results of one execution, recorded when a worker finishes a task:
 *   many failed ones per task, at most one successful. A failed one without units records a
 *   **DAG build failure**: the worker could not build the task's ProtocolDAG.
 * - **Files of an ok result**: a unit's ResultFiles uploaded by the attempt that produced its ok
 *   result; files of its failed or abandoned attempts stay on the task but are not part of it.
 * - **Compute service**: one running worker, registered by a compute identity, kept alive by heartbeats.
 * - **Claim**: a compute service's hold on a task. Its **claim token** is named by every write the
 *   worker makes; the task's **fence** advances whenever the task is claimed or requeued, so a write
 *   through an older claim is refused (fencing).
 * - **Attempt**: one claim of a task, numbered by the claim's fence: the value the unit results made
 *   under it carry (one result per unit per attempt). It ends FINISHED, FAILED, EXPIRED, DEREGISTERED
 *   or RELEASED (claims/taskAttempts.ts); its **running unit** is the one its worker last said it started.
 * - **Compute manager**: a process of a compute identity that starts workers as **jobs** of a cluster
 *   engine (SLURM) or as local processes while **claimable** tasks wait (actioned, WAITING, on a hub of
 *   weight above zero, parent complete, in its scopes: what a claim would take); it reports its jobs
 *   (its heartbeat) and is GONE when silent past the compute expiry.
 * - **Task hub**: where a network's tasks are **actioned** to become claimable; claimers draw hubs at
 *   random in proportion to their **weight** (0 disables a hub), then tasks by priority and age.
 * - **Restart pattern**: a regex over failure tracebacks; a matching ERROR task goes back to WAITING
 *   until the pattern's retry budget is spent.
 * - **Seed**: the number a task's ProtocolDAG is built with, random per task unless given: what makes
 *   repeats of a transformation independent, and a run reproducible.
 * - **Estimate**: a DAG's answer, `{value, uncertainty, unit}` in its terminal unit's outputs
 *   (docs/estimates.md). A transformation's **repeats** (its tasks' ok results) combine into its
 *   estimate; a network's estimates place its chemical systems on one scale by least squares.
 */
export {};

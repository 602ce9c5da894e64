/** What a worker job runs, apart from its name (the backend adds --name from the job's id). */
export interface WorkerCommandOptions {
  /** The node executable and the dagkeeper CLI script, as absolute paths: the job may start in another folder, or on another machine. */
  node: string;
  cli: string;
  url: string;
  tasksPerJob: number;
  protocols: readonly string[] | null;
  /** More `dagkeeper worker` options, each one argument (`--protocol-module=/abs/protocol.js`, `--concurrency=4`). */
  extraArgs: readonly string[];
}

/**
 * `dagkeeper worker` as a job runs it: it exits once it finds nothing to claim (--exit-when-idle) or has
 * run its share of tasks (--max-tasks), which is how the manager scales down. No token here: the
 * command line is visible to `ps` and to the cluster's job listings; it travels in the environment.
 */
export function workerCommand(options: WorkerCommandOptions): string[] {
  return [
    options.node,
    options.cli,
    'worker',
    '--url',
    options.url,
    '--exit-when-idle',
    '--max-tasks',
    String(options.tasksPerJob),
    ...(options.protocols === null ? [] : ['--protocols', options.protocols.join(',')]),
    ...options.extraArgs,
  ];
}

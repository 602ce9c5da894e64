import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiError } from '../../client/ApiClient.js';
import { NetworkStates } from '../../domain/networks/networkState.js';
import type { NetworkState } from '../../domain/networks/networkState.js';
import { TaskStatuses } from '../../domain/tasks/taskStatus.js';
import type { TaskStatus } from '../../domain/tasks/taskStatus.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';
import { offloadNetwork } from '../../client/inputUploads.js';
import type { NetworkInput } from '../../domain/networks/networkInput.js';
import { progressBarFor } from '../progressBar.js';
import { registerNetworkArchiveCommands } from './archive/registerArchiveCommands.js';
import { registerNetworkGetCommand } from './networkGet.js';
import { registerNetworkSettingCommands } from './networkSettings.js';

interface JsonOption extends ConnectionOptions {
  json?: boolean;
}

/** The API's StatusCounts: one count per task status, named by the status in lower case. */
type StatusCounts = Record<Lowercase<TaskStatus>, number>;
const countNames = TaskStatuses.map((status) => status.toLowerCase() as Lowercase<TaskStatus>);

interface NetworkSummary {
  scopedKey: string;
  scope: string;
  name: string;
  weight: number;
  state: NetworkState;
  createdAt: string;
  statusCounts: StatusCounts;
}

interface TransformationSummary {
  scopedKey: string;
  name: string;
  protocol: string;
  stateA: { name: string };
  stateB: { name: string };
  statusCounts: StatusCounts;
}

const countFields = countNames.join(' ');
const networkFields = `scopedKey scope name weight state createdAt statusCounts { ${countFields} }`;
const transformationFields = `scopedKey name protocol stateA { name } stateB { name } statusCounts { ${countFields} }`;

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('submit and inspect alchemical networks');

  withConnectionOptions(
    network
      .command('create <file>')
      .description('submit a network from a JSON file { name, chemicalSystems, transformations } (idempotent)')
      .requiredOption('--scope <scope>', 'scope ORG-CAMPAIGN-PROJECT to submit it in')
      .option('--progress', 'draw the upload progress bar even when stderr is not a terminal')
      .option('--json', 'print JSON'),
  ).action(async (file: string, options: JsonOption & { scope: string; progress?: boolean }) => {
    const api = await connect(options);
    // Values over 64 KiB go to the object store first (docs/inputs.md); the network holds their references.
    const progress = progressBarFor('inputs', options.progress === true);
    const { network: input } = await offloadNetwork(api, options.scope, await readNetworkFile(file), { progress }).finally(() =>
      progress.finish(),
    );
    const { createNetwork } = await api.request<{
      createNetwork: { created: boolean; network: NetworkSummary & { transformations: TransformationSummary[] } };
    }>(
      `mutation ($scope: String!, $input: NetworkInput!) {
        createNetwork(scope: $scope, input: $input) { created network { ${networkFields} transformations { ${transformationFields} } } }
      }`,
      { scope: options.scope, input },
    );
    if (options.json === true) {
      console.log(JSON.stringify(createNetwork, null, 2));
      return;
    }
    const { network: created } = createNetwork;
    console.log(
      createNetwork.created
        ? `created network "${created.name}": ${created.scopedKey}`
        : `network "${created.name}" already exists: ${created.scopedKey}`,
    );
    console.log('transformations:');
    for (const t of created.transformations) console.log(`  ${t.scopedKey}  ${t.name}`);
  });

  withConnectionOptions(
    network
      .command('list')
      .description('list the networks you can see (ACTIVE ones unless --state says otherwise)')
      .option('--scope <scope>', 'only this scope ORG-CAMPAIGN-PROJECT')
      .option('--name <prefix>', 'only names starting with this (case-sensitive)')
      .option('--state <states>', `comma-separated states (${NetworkStates.join(', ')}) or "all"`, 'ACTIVE')
      .option('--json', 'print JSON'),
  ).action(async (options: JsonOption & { scope?: string; name?: string; state: string }) => {
    const state = parseStatesOption(options.state);
    const api = await connect(options);
    const networks: NetworkSummary[] = [];
    // Pages of the API's largest size until one comes back short.
    for (let after: string | undefined; ;) {
      const page = await api.request<{ networks: NetworkSummary[] }>(
        `query ($scope: String, $name: String, $state: [NetworkState!], $after: ID) {
          networks(scope: $scope, name: $name, state: $state, after: $after) { ${networkFields} }
        }`,
        { scope: options.scope, name: options.name, state, after },
      );
      networks.push(...page.networks);
      if (page.networks.length < networksPerPage) break;
      after = page.networks.at(-1)?.scopedKey;
    }
    if (options.json === true) {
      console.log(JSON.stringify(networks, null, 2));
      return;
    }
    printTable(
      networks.map((n) => ({ key: n.scopedKey, name: n.name, state: n.state, weight: n.weight, ...countColumns(n.statusCounts) })),
    );
  });

  withConnectionOptions(
    network
      .command('state <networkKey> [state]')
      .description(`show the network's state, or set it (${NetworkStates.join(', ')}; INACTIVE and DELETED stop claims from it)`)
      .option('--json', 'print JSON'),
  ).action(async (networkKey: string, stateText: string | undefined, options: JsonOption) => {
    const api = await connect(options);
    let current: { scopedKey: string; state: NetworkState };
    if (stateText === undefined) {
      const { network: found } = await api.request<{ network: { scopedKey: string; state: NetworkState } | null }>(
        'query ($n: ID!) { network(scopedKey: $n) { scopedKey state } }',
        { n: networkKey },
      );
      if (found === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
      current = found;
    } else {
      const [state] = parseStatesOption(stateText);
      const { setNetworkState } = await api.request<{ setNetworkState: Array<{ scopedKey: string; state: NetworkState }> }>(
        'mutation ($n: ID!, $s: NetworkState!) { setNetworkState(networkKeys: [$n], state: $s) { scopedKey state } }',
        { n: networkKey, s: state },
      );
      current = setNetworkState[0]!;
    }
    if (options.json === true) console.log(JSON.stringify(current, null, 2));
    else console.log(`${current.scopedKey}  ${current.state}`);
  });

  withConnectionOptions(
    network
      .command('show <networkKey>')
      .description("a network's weight and transformations with their task counts")
      .option('--json', 'print JSON'),
  ).action(async (networkKey: string, options: JsonOption) => {
    const api = await connect(options);
    const { network: found } = await api.request<{ network: (NetworkSummary & { transformations: TransformationSummary[] }) | null }>(
      `query ($key: ID!) { network(scopedKey: $key) { ${networkFields} transformations { ${transformationFields} } } }`,
      { key: networkKey },
    );
    if (found === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
    if (options.json === true) {
      console.log(JSON.stringify(found, null, 2));
      return;
    }
    console.log(`network  ${found.name}`);
    console.log(`key      ${found.scopedKey}`);
    console.log(`scope    ${found.scope}`);
    console.log(`state    ${found.state}`);
    console.log(`weight   ${found.weight}`);
    console.log(`created  ${found.createdAt}`);
    console.log(`tasks    ${describeCounts(found.statusCounts)}`);
    console.log('');
    printTable(
      found.transformations.map((t) => ({
        key: t.scopedKey,
        name: t.name,
        protocol: t.protocol,
        states: `${t.stateA.name} -> ${t.stateB.name}`,
        ...countColumns(t.statusCounts),
      })),
    );
  });

  registerNetworkGetCommand(network);
  registerNetworkSettingCommands(network);
  registerNetworkArchiveCommands(network);
}

/** The API's page size for networks (its default `first`). */
const networksPerPage = 1000;

/** `ACTIVE`, `inactive,deleted` or `all`, as the API's NetworkState values. */
function parseStatesOption(text: string): NetworkState[] {
  if (text.trim().toLowerCase() === 'all') return [...NetworkStates];
  return text.split(',').map((part) => {
    const state = NetworkStates.find((s) => s === part.trim().toUpperCase());
    if (state === undefined) throw new Error(`"${part}" is not a network state: ${NetworkStates.join(', ')} (or "all")`);
    return state;
  });
}

/** Reads and parses a network file, naming the file in every refusal (the server checks the contents). */
async function readNetworkFile(file: string): Promise<NetworkInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read network file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`network file ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const looksLikeNetwork =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'chemicalSystems' in parsed && 'transformations' in parsed;
  if (!looksLikeNetwork) throw new Error(`network file ${file} must hold an object { name, chemicalSystems, transformations }`);
  // Its members' shapes are the server's to check (offloadNetwork passes on what it does not understand).
  return parsed as NetworkInput;
}

function countColumns(counts: StatusCounts): Record<string, number> {
  return Object.fromEntries(countNames.map((name) => [name, counts[name]]));
}

function describeCounts(counts: StatusCounts): string {
  return Object.entries(countColumns(counts))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}

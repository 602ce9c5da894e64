import type { Command } from 'commander';
import { ApiError } from '../../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../../connection.js';
import type { ConnectionOptions } from '../../connection.js';
import { networkEstimatesQuery, transformationEstimateQuery } from './estimateQueries.js';
import type { NetworkEstimatesView, TransformationView } from './estimateQueries.js';
import { printNetworkCsv, printNetworkEstimates } from './networkEstimates.js';
import { printTransformationCsv, printTransformationEstimate } from './transformationEstimate.js';

interface FormatOptions extends ConnectionOptions {
  json?: boolean;
  csv?: boolean;
}

function formatOf(options: FormatOptions): 'json' | 'csv' | 'table' {
  if (options.json === true && options.csv === true) throw new Error('choose one of --json and --csv');
  return options.json === true ? 'json' : options.csv === true ? 'csv' : 'table';
}

/** `results transformation` and `results network`: the free-energy answers (docs/estimates.md). */
export function registerEstimateCommands(results: Command): void {
  withConnectionOptions(
    results
      .command('transformation <transformationKey>')
      .description("a transformation's estimate: its repeats combined (value ± σ, n, spread) and each repeat")
      .option('--json', 'print JSON')
      .option('--csv', 'print CSV: a combined row, then one row per repeat'),
  ).action(async (transformationKey: string, options: FormatOptions) => {
    const format = formatOf(options);
    const api = await connect(options);
    const { transformation } = await api.request<{ transformation: TransformationView | null }>(transformationEstimateQuery, {
      key: transformationKey,
    });
    if (transformation === null) throw new ApiError('NOT_FOUND', `no transformation ${transformationKey}`);
    if (format === 'json') console.log(JSON.stringify(transformation, null, 2));
    else if (format === 'csv') printTransformationCsv(transformation);
    else printTransformationEstimate(transformation);
  });

  withConnectionOptions(
    results
      .command('network <networkKey>')
      .description("a network's chemical systems on one scale (maximum likelihood), its transformations' fits and cycle closures")
      .option('--reference <chemicalSystemKey>', 'the chemical system pinned at 0 in its part (default: each part’s first)')
      .option('--json', 'print JSON')
      .option('--csv', 'print CSV: one row per chemical system, transformation and cycle (column `section`)'),
  ).action(async (networkKey: string, options: FormatOptions & { reference?: string }) => {
    const format = formatOf(options);
    const api = await connect(options);
    const { network } = await api.request<{ network: { scopedKey: string; name: string; estimates: NetworkEstimatesView } | null }>(
      networkEstimatesQuery,
      { key: networkKey, reference: options.reference ?? null },
    );
    if (network === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
    if (format === 'json') console.log(JSON.stringify(network, null, 2));
    else if (format === 'csv') printNetworkCsv(network.estimates);
    else printNetworkEstimates(network, network.estimates);
  });
}

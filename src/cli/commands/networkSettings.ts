import type { Command } from 'commander';
import { ApiError } from '../../client/ApiClient.js';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';

interface RestartPatternView {
  id: string;
  pattern: string;
  maxRetries: number;
}

interface PatternOptions extends ConnectionOptions {
  json?: boolean;
  add?: string;
  remove?: string;
  maxRetries?: string;
}

/** A network's settings that steer its tasks: restart patterns and the hub's weight. */
export function registerNetworkSettingCommands(network: Command): void {
  withConnectionOptions(
    network
      .command('restart-patterns <networkKey>')
      .description("list a network's restart patterns; --add or --remove one first")
      .option('--add <pattern>', 'add an RE2 pattern matched against failed units’ exceptions and tracebacks (needs --max-retries)')
      .option('--max-retries <n>', 'how often a task may be restarted by the pattern added')
      .option('--remove <pattern>', 'remove this pattern')
      .option('--json', 'print JSON'),
  ).action(async (networkKey: string, options: PatternOptions) => {
    const api = await connect(options);
    if (options.add !== undefined) {
      if (options.maxRetries === undefined) throw new Error('--add needs --max-retries <n>');
      const maxRetries = Number(options.maxRetries);
      if (!Number.isInteger(maxRetries) || maxRetries < 0)
        throw new Error(`--max-retries must be a whole number ≥ 0, not "${options.maxRetries}"`);
      await api.request(
        'mutation ($n: ID!, $p: String!, $m: Int!) { addRestartPattern(networkKey: $n, pattern: $p, maxRetries: $m) { id } }',
        {
          n: networkKey,
          p: options.add,
          m: maxRetries,
        },
      );
    }
    if (options.remove !== undefined) {
      const { removeRestartPattern } = await api.request<{ removeRestartPattern: boolean }>(
        'mutation ($n: ID!, $p: String!) { removeRestartPattern(networkKey: $n, pattern: $p) }',
        { n: networkKey, p: options.remove },
      );
      if (!removeRestartPattern)
        throw new ApiError('NOT_FOUND', `network ${networkKey} has no restart pattern ${JSON.stringify(options.remove)}`);
    }
    const { network: found } = await api.request<{ network: { restartPatterns: RestartPatternView[] } | null }>(
      'query ($n: ID!) { network(scopedKey: $n) { restartPatterns { id pattern maxRetries } } }',
      { n: networkKey },
    );
    if (found === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
    if (options.json === true) {
      console.log(JSON.stringify(found.restartPatterns, null, 2));
      return;
    }
    printTable(found.restartPatterns.map((p) => ({ pattern: p.pattern, maxRetries: p.maxRetries })));
  });

  withConnectionOptions(
    network
      .command('weight <networkKey> [weight]')
      .description("show the network's hub weight, or set it (0 to 1; 0 stops claims from it)")
      .option('--json', 'print JSON'),
  ).action(async (networkKey: string, weight: string | undefined, options: ConnectionOptions & { json?: boolean }) => {
    const api = await connect(options);
    let current: { scopedKey: string; weight: number } | null;
    if (weight === undefined) {
      ({ network: current } = await api.request<{ network: { scopedKey: string; weight: number } | null }>(
        'query ($n: ID!) { network(scopedKey: $n) { scopedKey weight } }',
        { n: networkKey },
      ));
      if (current === null) throw new ApiError('NOT_FOUND', `no network ${networkKey}`);
    } else {
      const value = Number(weight);
      if (weight.trim() === '' || !Number.isFinite(value)) throw new Error(`the weight must be a number, not "${weight}"`);
      ({ setNetworkWeight: current } = await api.request<{ setNetworkWeight: { scopedKey: string; weight: number } }>(
        'mutation ($n: ID!, $w: Float!) { setNetworkWeight(networkKey: $n, weight: $w) { scopedKey weight } }',
        { n: networkKey, w: value },
      ));
    }
    if (options.json === true) console.log(JSON.stringify(current, null, 2));
    else console.log(`${current.scopedKey}  weight ${current.weight}`);
  });
}

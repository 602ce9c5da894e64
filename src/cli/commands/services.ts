import type { Command } from 'commander';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';

interface ComputeServiceView {
  id: string;
  name: string;
  host: string | null;
  protocols: string[];
  registeredAt: string;
  lastHeartbeatAt: string;
  expiredAt: string | null;
  deregisteredAt: string | null;
}

export function registerServiceCommands(program: Command): void {
  const services = program.command('services').description('compute services (workers)');

  withConnectionOptions(
    services
      .command('list')
      .description('your compute services (every service, for an administrator): live ones, or with --all those gone too')
      .option('--all', 'include expired and deregistered services')
      .option('--json', 'print JSON'),
  ).action(async (options: ConnectionOptions & { all?: boolean; json?: boolean }) => {
    const api = await connect(options);
    const { computeServices } = await api.request<{ computeServices: ComputeServiceView[] }>(
      `query ($all: Boolean) { computeServices(includeGone: $all) {
        id name host protocols registeredAt lastHeartbeatAt expiredAt deregisteredAt } }`,
      { all: options.all === true },
    );
    if (options.json === true) {
      console.log(JSON.stringify(computeServices, null, 2));
      return;
    }
    printTable(
      computeServices.map((s) => ({
        id: s.id,
        name: s.name,
        host: s.host ?? '',
        state: stateOf(s),
        protocols: s.protocols.length === 0 ? '(any)' : s.protocols.join(','),
        registered: s.registeredAt,
        lastHeartbeat: s.lastHeartbeatAt,
      })),
    );
  });
}

function stateOf(service: ComputeServiceView): string {
  if (service.deregisteredAt !== null) return 'deregistered';
  if (service.expiredAt !== null) return 'expired';
  return 'live';
}

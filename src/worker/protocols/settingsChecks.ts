import type { ProtocolSettingsCheck, ProtocolSettingsChecks } from '../../domain/networks/protocolSettings.js';
import commandProtocol from './command/protocol.js';
import harmonicOscillator from './harmonicOscillator/protocol.js';

/**
 * The built-in protocols' settings parsers, for the server to refuse at createNetwork what their
 * createDag would refuse in every worker (wired in by src/app.ts). Protocols loaded by workers with
 * --protocol-module are unknown to the server and accepted as they are.
 */
export const builtInSettingsChecks: ProtocolSettingsChecks = new Map(
  [harmonicOscillator, commandProtocol].flatMap((protocol): Array<[string, ProtocolSettingsCheck]> =>
    protocol.checkSettings === undefined ? [] : [[protocol.name, (settings) => protocol.checkSettings?.(settings)]],
  ),
);

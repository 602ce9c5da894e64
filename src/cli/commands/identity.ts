import type { Command } from 'commander';
import { connect, withConnectionOptions } from '../connection.js';
import type { ConnectionOptions } from '../connection.js';
import { printTable } from '../output.js';

const identityFields = 'id kind name isAdmin scopes createdAt disabledAt';

interface AddOptions extends ConnectionOptions {
  kind: string;
  name: string;
  scope: string[];
  expiresIn?: string;
  json?: boolean;
}

export function registerIdentityCommands(program: Command): void {
  const identity = program.command('identity').description('manage user and compute identities (administrators)');

  withConnectionOptions(
    identity
      .command('add')
      .description('create an identity and print its first token (shown once)')
      .requiredOption('--kind <kind>', 'user or compute')
      .requiredOption('--name <name>', 'unique name for this kind')
      .requiredOption('--scope <scope...>', 'scopes ORG-CAMPAIGN-PROJECT it may act in (a part may be *)')
      .option('--expires-in <seconds>', 'token lifetime in seconds (default: no expiry)')
      .option('--json', 'print JSON'),
  ).action(async (options: AddOptions) => {
    const kind = options.kind.toLowerCase();
    if (kind !== 'user' && kind !== 'compute') throw new Error(`--kind must be user or compute, got "${options.kind}"`);
    const expiresIn = options.expiresIn === undefined ? undefined : Number(options.expiresIn);
    if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
      throw new Error('--expires-in must be a positive whole number of seconds');
    }
    const api = await connect(options);
    const { createIdentity } = await api.request<{
      createIdentity: { token: string; identity: { id: string; name: string; kind: string; scopes: string[] } };
    }>(`mutation ($input: CreateIdentityInput!) { createIdentity(input: $input) { token identity { ${identityFields} } } }`, {
      input: { kind: kind.toUpperCase(), name: options.name, scopes: options.scope, tokenExpiresInSeconds: expiresIn },
    });
    if (options.json === true) {
      console.log(JSON.stringify(createIdentity, null, 2));
      return;
    }
    const { identity: created, token } = createIdentity;
    console.error(
      `created ${created.kind.toLowerCase()} identity ${created.name} (${created.id}) with scopes ${created.scopes.join(', ')}`,
    );
    console.error('its token follows; it is shown only this once:');
    console.log(token);
  });

  withConnectionOptions(identity.command('list').description('list identities').option('--json', 'print JSON')).action(
    async (options: ConnectionOptions & { json?: boolean }) => {
      const api = await connect(options);
      const { identities } = await api.request<{ identities: Array<Record<string, unknown>> }>(`{ identities { ${identityFields} } }`);
      if (options.json === true) {
        console.log(JSON.stringify(identities, null, 2));
        return;
      }
      printTable(
        identities.map((i) => ({
          id: i.id,
          kind: String(i.kind).toLowerCase(),
          name: i.name,
          admin: i.isAdmin ? 'yes' : '',
          scopes: (i.scopes as string[]).join(','),
          disabled: i.disabledAt ?? '',
        })),
      );
    },
  );

  withConnectionOptions(identity.command('disable <identityId>').description('disable an identity and all its tokens')).action(
    async (identityId: string, options: ConnectionOptions) => {
      const api = await connect(options);
      await api.request(`mutation ($id: ID!) { disableIdentity(id: $id) { id } }`, { id: identityId });
      console.error(`disabled identity ${identityId}`);
    },
  );

  const token = program.command('token').description('issue and revoke bearer tokens');
  withConnectionOptions(
    token
      .command('issue <identityId>')
      .description('issue another token (shown once)')
      .option('--label <label>', 'a note to recognise it by')
      .option('--expires-in <seconds>', 'lifetime in seconds'),
  ).action(async (identityId: string, options: ConnectionOptions & { label?: string; expiresIn?: string }) => {
    const api = await connect(options);
    const { issueToken } = await api.request<{ issueToken: { token: string } }>(
      `mutation ($id: ID!, $label: String, $exp: Int) { issueToken(identityId: $id, label: $label, expiresInSeconds: $exp) { token } }`,
      { id: identityId, label: options.label, exp: options.expiresIn === undefined ? undefined : Number(options.expiresIn) },
    );
    console.log(issueToken.token);
  });
  withConnectionOptions(token.command('revoke <tokenId>').description('revoke a token at once')).action(
    async (tokenId: string, options: ConnectionOptions) => {
      const api = await connect(options);
      await api.request(`mutation ($id: ID!) { revokeToken(tokenId: $id) { id } }`, { id: tokenId });
      console.error(`revoked token ${tokenId}`);
    },
  );
}

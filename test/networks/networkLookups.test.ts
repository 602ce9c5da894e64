import type { ApiClient } from '../../src/client/ApiClient.js';
import { codeOf } from '../support/refusals.js';
import { createIdentity, startTestApp } from '../support/testApp.js';
import type { StateKind, TestApp } from '../support/testApp.js';
import { createNetwork, unscoped } from './networkSetup.js';
import type { CreatedNetwork } from './networkSetup.js';

interface Named {
  scopedKey: string;
  name: string;
}

describe.each<StateKind>(['postgres', 'pglite'])(
  'networks, transformations and chemical systems found by name, key and scope, on %s',
  (kind) => {
    let server: TestApp;
    let alice: ApiClient;
    let bob: ApiClient;
    let both: ApiClient;
    let lig1: CreatedNetwork;
    let lig2: CreatedNetwork;
    let other: CreatedNetwork;
    let bobs: CreatedNetwork;

    beforeAll(async () => {
      server = await startTestApp(kind);
      const identity = async (name: string, scopes: string[]) =>
        server.client((await createIdentity(server.admin, { kind: 'USER', name, scopes })).token);
      alice = await identity('alice', ['acme-c1-p1']);
      bob = await identity('bob', ['acme-c2-p1']);
      both = await identity('carol', ['acme-*-*']);
      lig1 = await createNetwork(alice, 'acme-c1-p1', 'lig-1', [{ name: 'a->b' }]);
      lig2 = await createNetwork(alice, 'acme-c1-p1', 'lig-2', [{ name: 'a->b' }, { name: 'b->c', stateA: 'b', stateB: 'c' }]);
      other = await createNetwork(alice, 'acme-c1-p1', 'ligand_x', [{ name: 'a->c', stateB: 'c' }]);
      // The same content as lig-1, in bob's scope: the same key, another object.
      bobs = await createNetwork(bob, 'acme-c2-p1', 'lig-1', [{ name: 'a->b' }]);
    });
    afterAll(async () => {
      await server?.close();
    });

    const keys = (items: Named[]) => items.map((item) => item.scopedKey);
    const networks = async (as: ApiClient, args: Record<string, unknown>) =>
      keys(
        (
          await as.request<{ networks: Named[] }>(
            'query ($s: String, $n: String, $k: String, $f: Int, $a: ID) { networks(scope: $s, name: $n, key: $k, first: $f, after: $a) { scopedKey name } }',
            args,
          )
        ).networks,
      );
    const transformations = async (as: ApiClient, args: Record<string, unknown>) =>
      keys(
        (
          await as.request<{ transformations: Named[] }>(
            'query ($s: String, $n: String, $k: String, $net: ID, $f: Int, $a: ID) { transformations(scope: $s, name: $n, key: $k, networkKey: $net, first: $f, after: $a) { scopedKey name } }',
            args,
          )
        ).transformations,
      );
    const chemicalSystems = async (as: ApiClient, args: Record<string, unknown>) =>
      keys(
        (
          await as.request<{ chemicalSystems: Named[] }>(
            'query ($s: String, $n: String, $k: String, $net: ID, $f: Int, $a: ID) { chemicalSystems(scope: $s, name: $n, key: $k, networkKey: $net, first: $f, after: $a) { scopedKey name } }',
            args,
          )
        ).chemicalSystems,
      );

    test('names match as case-sensitive prefixes, with no wildcards; keys across the scopes the caller reads', async () => {
      expect(await networks(alice, { n: 'lig' })).toEqual([lig1.key, lig2.key, other.key]);
      expect(await networks(alice, { n: 'lig-' })).toEqual([lig1.key, lig2.key]);
      expect(await networks(alice, { n: 'lig-1' })).toEqual([lig1.key]);
      expect(await networks(alice, { n: 'lig_' })).toEqual([]);
      expect(await networks(alice, { n: 'ligand%' })).toEqual([]);
      expect(await networks(alice, { n: 'LIG' })).toEqual([]);
      expect(await networks(both, { n: 'lig-1' })).toEqual([lig1.key, bobs.key]);
      expect(await networks(both, { k: unscoped(lig1.key) })).toEqual([lig1.key, bobs.key]);
      expect(await networks(alice, { k: unscoped(lig1.key) })).toEqual([lig1.key]);
      expect(await networks(both, { k: unscoped(lig1.key), s: 'acme-c2-p1' })).toEqual([bobs.key]);

      expect(await transformations(alice, { n: 'a->' })).toEqual([lig1.transformation('a->b'), other.transformation('a->c')]);
      expect(await transformations(alice, { net: lig2.key })).toEqual([lig1.transformation('a->b'), lig2.transformation('b->c')]);
      expect(await transformations(both, { k: unscoped(lig1.transformation('a->b')) })).toEqual([
        lig1.transformation('a->b'),
        bobs.transformation('a->b'),
      ]);
      expect(await chemicalSystems(alice, { net: other.key })).toEqual([
        other.chemicalSystem('a'),
        other.chemicalSystem('b'),
        other.chemicalSystem('c'),
      ]);
      expect(await chemicalSystems(both, { n: 'c', s: 'acme-c1-p1' })).toEqual([lig1.chemicalSystem('c')]);
    });

    test('pages: first, then after the last one seen', async () => {
      expect(await networks(alice, { f: 2 })).toEqual([lig1.key, lig2.key]);
      expect(await networks(alice, { f: 2, a: lig2.key })).toEqual([other.key]);
      expect(await networks(alice, { f: 2, a: other.key })).toEqual([]);
      expect(await transformations(alice, { f: 1, a: lig1.transformation('a->b') })).toEqual([lig2.transformation('b->c')]);
      expect(await chemicalSystems(alice, { f: 1, a: lig1.chemicalSystem('a') })).toEqual([lig1.chemicalSystem('b')]);
    });

    test('a chemical system by its key, and the reverse lookups', async () => {
      const { chemicalSystem } = await alice.request<{
        chemicalSystem: { name: string; transformations: Named[]; networks: Named[] };
      }>('query ($k: ID!) { chemicalSystem(scopedKey: $k) { name transformations { scopedKey name } networks { scopedKey name } } }', {
        k: lig2.chemicalSystem('b'),
      });
      expect(chemicalSystem.name).toBe('b');
      expect(keys(chemicalSystem.transformations)).toEqual([lig1.transformation('a->b'), lig2.transformation('b->c')]);
      expect(keys(chemicalSystem.networks)).toEqual([lig1.key, lig2.key, other.key]);

      const { transformation } = await alice.request<{ transformation: { networks: Named[] } }>(
        'query ($k: ID!) { transformation(scopedKey: $k) { networks { scopedKey name } } }',
        { k: lig1.transformation('a->b') },
      );
      expect(keys(transformation.networks)).toEqual([lig1.key, lig2.key]);
    });

    test('nothing of a scope the caller cannot read: refused by name, and absent from lookups', async () => {
      expect(
        await codeOf(alice.request('query ($k: ID!) { chemicalSystem(scopedKey: $k) { name } }', { k: bobs.chemicalSystem('a') })),
      ).toBe('FORBIDDEN');
      expect(await codeOf(networks(alice, { s: 'acme-c2-p1' }))).toBe('FORBIDDEN');
      expect(await codeOf(transformations(alice, { net: bobs.key }))).toBe('FORBIDDEN');
      expect(await codeOf(chemicalSystems(alice, { a: bobs.chemicalSystem('a') }))).toBe('FORBIDDEN');
      expect(await networks(bob, { n: 'lig' })).toEqual([bobs.key]);
      expect(await transformations(bob, { k: unscoped(lig2.transformation('b->c')) })).toEqual([]);
      expect(await chemicalSystems(bob, { k: unscoped(other.chemicalSystem('c')) })).toEqual([bobs.chemicalSystem('c')]);
    });

    test('bad input is refused with BAD_USER_INPUT', async () => {
      expect(await codeOf(networks(alice, { f: 0 }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { f: 1001 }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { k: 'not-a-key' }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { k: unscoped(lig1.transformation('a->b')) }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { k: lig1.key }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { n: 'x'.repeat(201) }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { a: lig1.transformation('a->b') }))).toBe('BAD_USER_INPUT');
      expect(await codeOf(networks(alice, { a: lig1.key.replace(/-[0-9a-f]{32}-/, `-${'0'.repeat(32)}-`) }))).toBe('BAD_USER_INPUT');
      expect(
        await codeOf(alice.request('query ($k: ID!) { chemicalSystem(scopedKey: $k) { name } }', { k: lig1.transformation('a->b') })),
      ).toBe('BAD_USER_INPUT');
      expect(
        await codeOf(
          alice.request('query ($k: ID!) { chemicalSystem(scopedKey: $k) { name } }', {
            k: lig1.chemicalSystem('a').replace(/-[0-9a-f]{32}-/, `-${'0'.repeat(32)}-`),
          }),
        ),
      ).toBe('NOT_FOUND');
    });
  },
);

import { DomainError } from '../../src/domain/errors.js';
import { canAccessScope } from '../../src/domain/principal.js';
import type { Principal } from '../../src/domain/principal.js';
import { formatScope, parseScope, parseScopePattern, scopeMatches } from '../../src/domain/scope.js';

const principal = (scopes: string[]): Principal => ({
  identityId: 'i',
  tokenId: 't',
  kind: 'user',
  name: 'n',
  isAdmin: false,
  scopes: scopes.map(parseScopePattern),
});

describe('scopes', () => {
  test('a scope is three parts joined by hyphens and formats back to itself', () => {
    expect(parseScope('acme-campaign_1-proj2')).toEqual({ org: 'acme', campaign: 'campaign_1', project: 'proj2' });
    expect(formatScope(parseScope('a-b-c'))).toBe('a-b-c');
  });

  test.each(['', 'a-b', 'a-b-c-d', 'a--c', 'a-b-*', 'a b-c-d', 'ä-b-c', `${'x'.repeat(65)}-b-c`])(
    'refuses "%s" as a concrete scope with BAD_USER_INPUT',
    (text) => {
      expect(() => parseScope(text)).toThrow(DomainError);
      try {
        parseScope(text);
      } catch (error) {
        expect((error as DomainError).code).toBe('BAD_USER_INPUT');
      }
    },
  );

  test('patterns may use * for any part, and match only what they cover', () => {
    const all = parseScopePattern('*-*-*');
    const org = parseScopePattern('acme-*-*');
    const exact = parseScopePattern('acme-c1-p1');
    const scope = parseScope('acme-c1-p1');
    const other = parseScope('beta-c1-p1');
    expect([all, org, exact].map((p) => scopeMatches(p, scope))).toEqual([true, true, true]);
    expect([all, org, exact].map((p) => scopeMatches(p, other))).toEqual([true, false, false]);
    expect(scopeMatches(parseScopePattern('acme-*-p2'), scope)).toBe(false);
  });

  test('an identity reaches a scope when any of its patterns covers it', () => {
    expect(canAccessScope(principal(['beta-*-*', 'acme-c1-*']), parseScope('acme-c1-p9'))).toBe(true);
    expect(canAccessScope(principal(['beta-*-*', 'acme-c1-*']), parseScope('acme-c2-p1'))).toBe(false);
    expect(canAccessScope(principal([]), parseScope('acme-c1-p1'))).toBe(false);
  });
});

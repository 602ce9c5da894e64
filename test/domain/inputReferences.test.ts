import { asReference, collectReferences, forEachReference, mapReferences } from '../../src/domain/inputs/inputReferences.js';
import { refusal } from '../support/refusals.js';

const sha = 'ab'.repeat(32);
const otherSha = 'cd'.repeat(32);

describe('input references', () => {
  test('an object with exactly one reference field is a reference, by content hash or by client key', () => {
    expect(asReference({ ':input:': sha })).toEqual({ sha256: sha });
    expect(asReference({ ':input-key:': 'SmallMoleculeComponent-0a1b' })).toEqual({ key: 'SmallMoleculeComponent-0a1b' });
    expect(asReference({ name: 'benzene' })).toBeNull();
    expect(asReference([sha])).toBeNull();
    expect(asReference(sha)).toBeNull();
  });

  test.each([
    ['a reference with another field beside it', { ':input:': sha, name: 'x' }],
    ['both reference fields at once', { ':input:': sha, ':input-key:': 'k' }],
    ['an upper-case hash', { ':input:': sha.toUpperCase() }],
    ['a short hash', { ':input:': 'ab' }],
    ['a key with a slash', { ':input-key:': 'a/b' }],
    ['an empty key', { ':input-key:': '' }],
    ['a key that is not text', { ':input-key:': 7 }],
  ])('%s is refused as bad input rather than taken for data', (_what, value) => {
    expect(refusal(() => asReference(value)).code).toBe('BAD_USER_INPUT');
  });

  test('references are found at any depth, each distinct one once', () => {
    const components = {
      protein: { ':input:': sha },
      ligand: { atoms: [{ ':input:': otherSha }, { ':input-key:': 'k1' }], same: { ':input:': sha } },
    };
    expect(collectReferences([components, { ':input-key:': 'k1' }])).toEqual({ sha256s: [sha, otherSha], keys: ['k1'] });
  });

  test('a nesting deeper than the stack allows is walked without overflowing', () => {
    let deep: unknown = { ':input:': sha };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const seen: unknown[] = [];
    forEachReference(deep, (reference) => seen.push(reference));
    expect(seen).toEqual([{ sha256: sha }]);
  });

  test('mapping replaces references in a copy and leaves the original as it was', () => {
    const settings = { steps: 10, protein: { ':input:': sha }, list: [{ ':input-key:': 'k1' }, 3] };
    const before = JSON.stringify(settings);
    const mapped = mapReferences(settings, (reference, original) => ({
      ...original,
      path: `/cache/${'sha256' in reference ? reference.sha256 : reference.key}`,
    }));
    expect(mapped).toEqual({
      steps: 10,
      protein: { ':input:': sha, path: `/cache/${sha}` },
      list: [{ ':input-key:': 'k1', path: '/cache/k1' }, 3],
    });
    expect(JSON.stringify(settings)).toBe(before);
    expect(mapReferences({ ':input:': sha }, () => 'whole')).toBe('whole');
  });
});

import { canonicalJson } from '../../src/domain/contentKey.js';
import { DomainError } from '../../src/domain/errors.js';
import { validateProtocolDag, validateProtocolDagInSlices } from '../../src/domain/dag/protocolDag.js';
import { canonicalDagJson, prepareProtocolDag } from '../../src/domain/dag/storeProtocolDag.js';
import { mapInSlices } from '../../src/domain/mapInSlices.js';

/** Large DAGs are validated and serialized a slice at a time on the server: the same answers, with turns for others. */

const flat = (count: number) => ({
  name: 'flat',
  units: Array.from({ length: count }, (_, i) => ({
    key: `u${i}`,
    name: `unit ${i}`,
    dependencies: i > 0 ? [`u${i - 1}`] : [],
    inputs: { i, odd: { 'b"': [1, null, 'x'], a: true } },
  })),
});

test('the sliced serialization is exactly canonicalJson, extra fields and odd keys included', async () => {
  const dags = [
    flat(1),
    flat(2_500),
    { ...flat(3), zeta: { units: [] }, alpha: 'first', ünïcode: [1.5, -0], empty: {} },
    { units: flat(2).units, skipped: undefined, '"quoted"': 1 },
  ];
  for (const dag of dags) {
    const validated = validateProtocolDag(dag);
    expect(await canonicalDagJson(validated)).toBe(canonicalJson(validated));
  }
});

test('the sliced validation accepts and refuses exactly what validateProtocolDag does', async () => {
  const inputs: unknown[] = [
    flat(3_000),
    {
      units: [
        { key: 'a', name: 'A', dependencies: ['c'] },
        { key: 'b', name: 'B', dependencies: ['a'] },
        { key: 'c', name: 'C', dependencies: ['b'] },
      ],
    },
    { units: [...flat(2_000).units, { key: 'u5', name: 'again', dependencies: [] }] },
    { units: [...flat(2_000).units, { key: 'bad/key', name: 'x', dependencies: [] }] },
    { units: [] },
    [1, 2],
  ];
  for (const input of inputs) {
    const outcome = async (run: () => unknown) => {
      try {
        return { ok: await run() };
      } catch (error) {
        expect(error).toBeInstanceOf(DomainError);
        return { refused: (error as DomainError).code, message: (error as DomainError).message, details: (error as DomainError).details };
      }
    };
    expect(await outcome(() => validateProtocolDagInSlices(input))).toEqual(await outcome(() => validateProtocolDag(input)));
  }
});

test('prepareProtocolDag gives the canonical text, its SHA-256 and the unit count', async () => {
  const prepared = await prepareProtocolDag(flat(10));
  expect(prepared.text).toBe(canonicalJson(validateProtocolDag(flat(10))));
  expect(prepared.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(prepared.unitCount).toBe(10);
});

test('mapInSlices maps in order and lets waiting work run before it is done', async () => {
  let timerRan = false;
  let timerRanWhileMapping = false;
  setTimeout(() => {
    timerRan = true;
  }, 0);
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  const mapped = await mapInSlices(
    Array.from({ length: 40 }, (_, i) => i),
    (item, index) => {
      busy(1);
      if (index === 39) timerRanWhileMapping = timerRan;
      return item * 2;
    },
    4,
  );
  expect(mapped).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
  expect(timerRanWhileMapping).toBe(true);
});

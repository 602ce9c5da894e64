import {
  dagResultKey,
  resultFileKey,
  resultFileUploadKey,
  taskDagKey,
  taskPrefix,
  unitLogKey,
  unitResultKey,
  uploadIdInKey,
} from '../../src/domain/objects/objectKeys.js';
import { MAX_PATH_BYTES } from '../../src/domain/resultFilePath.js';
import { InvalidObjectKeyError } from '../../src/domain/objects/objectKeyRules.js';

const scope = 'openfe-benchmarks_2024-tyk2';
const taskId = '0190f4e2-7a5b-7c3d-8e9f-0a1b2c3d4e5f';
const unit = 'ProtocolUnit-3f2a9c';

describe('object key layout', () => {
  test('lays every object of a task out under its scope and task', () => {
    expect(taskPrefix(scope, taskId)).toBe(`${scope}/tasks/${taskId}/`);
    expect(taskDagKey(scope, taskId)).toBe(`${scope}/tasks/${taskId}/dag.json`);
    expect(unitResultKey(scope, taskId, unit, 2)).toBe(`${scope}/tasks/${taskId}/units/${unit}/2/result.json`);
    expect(unitLogKey(scope, taskId, unit, 0)).toBe(`${scope}/tasks/${taskId}/units/${unit}/0/log.txt`);
    expect(resultFileKey(scope, taskId, unit, 'up-1', 'shared/simulation.nc')).toBe(
      `${scope}/tasks/${taskId}/files/${unit}/up-1/shared/simulation.nc`,
    );
    expect(dagResultKey(scope, taskId, 'r-1')).toBe(`${scope}/tasks/${taskId}/dag-results/r-1.json`);
  });

  test('keeps unit results apart by attempt, so a retry never overwrites an earlier result', () => {
    expect(unitResultKey(scope, taskId, unit, 1)).not.toBe(unitResultKey(scope, taskId, unit, 2));
  });

  test('keeps uploads of one path apart, so no later or stale upload can write over committed bytes', () => {
    expect(resultFileKey(scope, taskId, unit, 'up-1', 'traj.xtc')).not.toBe(resultFileKey(scope, taskId, unit, 'up-2', 'traj.xtc'));
  });

  test('a single PUT writes a key of its own upload, apart from where its commit puts the file', () => {
    expect(resultFileUploadKey(scope, taskId, unit, 'up-1', 'shared/simulation.nc')).toBe(
      `${scope}/tasks/${taskId}/uploads/${unit}/up-1/shared/simulation.nc`,
    );
    expect(resultFileUploadKey(scope, taskId, unit, 'up-1', 'a.nc')).not.toBe(resultFileKey(scope, taskId, unit, 'up-1', 'a.nc'));
  });

  test('finds the upload id in the keys of uploads and files, and in no other key', () => {
    expect(uploadIdInKey(resultFileKey(scope, taskId, unit, 'up-1', 'a/b.nc'))).toBe('up-1');
    expect(uploadIdInKey(resultFileUploadKey(scope, taskId, unit, 'up-2', 'b.nc'))).toBe('up-2');
    expect(uploadIdInKey(unitResultKey(scope, taskId, unit, 2))).toBeUndefined();
    expect(uploadIdInKey(taskDagKey(scope, taskId))).toBeUndefined();
    expect(uploadIdInKey('contract/t1/files/u/x')).toBeUndefined();
  });

  test.each(['', 'org-campaign', 'org-campaign-project-extra', 'org/x-campaign-project', 'org-camp aign-project', '*-*-*'])(
    'refuses the scope %j',
    (badScope) => {
      expect(() => taskDagKey(badScope, taskId)).toThrow(InvalidObjectKeyError);
    },
  );

  test.each(['', '.', '..', '../x', 'a/b', 'a b', '-leading-dash', 'x'.repeat(201)])('refuses the identifier %j', (bad) => {
    expect(() => taskDagKey(scope, bad)).toThrow(InvalidObjectKeyError);
    expect(() => unitResultKey(scope, taskId, bad, 1)).toThrow(InvalidObjectKeyError);
    expect(() => dagResultKey(scope, taskId, bad)).toThrow(InvalidObjectKeyError);
  });

  test.each([-1, 1.5, Number.NaN])('refuses the attempt %p', (attempt) => {
    expect(() => unitResultKey(scope, taskId, unit, attempt)).toThrow(InvalidObjectKeyError);
  });

  test.each([
    ['a path climbing out', '../../other-task/dag.json'],
    ['a path climbing out midway', 'out/../../x'],
    ['an absolute path', '/etc/passwd'],
    ['an empty path', ''],
    ['an empty segment', 'a//b'],
    ['a trailing slash', 'dir/'],
    ['a dot segment', './a'],
    ['a backslash', 'a\\..\\b'],
    ['a NUL byte', 'a\u0000b'],
    ['an over-long segment', 'x'.repeat(256)],
  ])('refuses a result file path with %s', (_what, path) => {
    expect(() => resultFileKey(scope, taskId, unit, 'up-1', path)).toThrow(InvalidObjectKeyError);
  });

  test('a result file path of the longest length accepted fits in a key with the longest scope and unit key', () => {
    const longestScope = ['o', 'c', 'p'].map((c) => c.repeat(64)).join('-');
    const longestUnitKey = 'u'.repeat(200);
    const path = `${'a'.repeat(255)}/${'b'.repeat(MAX_PATH_BYTES - 258)}/c`;
    expect(Buffer.byteLength(path)).toBe(MAX_PATH_BYTES);
    for (const key of [resultFileKey, resultFileUploadKey]) {
      expect(Buffer.byteLength(key(longestScope, taskId, longestUnitKey, taskId, path))).toBeLessThanOrEqual(1024);
    }
  });

  test('accepts result file paths with spaces, dots and unicode in their names', () => {
    expect(resultFileKey(scope, taskId, unit, 'up-1', 'out dir/..hidden/résumé.v2.json')).toBe(
      `${scope}/tasks/${taskId}/files/${unit}/up-1/out dir/..hidden/résumé.v2.json`,
    );
  });
});

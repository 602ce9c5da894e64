// Pieces of the task view: its attempts, failures and ResultFiles as rows, and its status cell.
import { bytes, el, statusBadge, timeAgo } from './dom.js';

export function attemptRow(attempt) {
  return el('tr', { 'data-attempt': attempt.attempt, 'data-ending': attempt.ending ?? 'RUNNING' }, [
    el('td', {}, String(attempt.attempt)),
    el('td', {}, attempt.computeServiceName),
    el('td', {}, attempt.host ?? ''),
    el('td', {}, timeAgo(attempt.startedAt)),
    el('td', {}, attempt.endedAt === null ? 'running' : [attempt.ending ?? '', ' ', timeAgo(attempt.endedAt)]),
    el('td', {}, attempt.unitKeys.join(', ')),
  ]);
}

/** A failed unit, or a ProtocolDAG that could not be built (unitKey null): its exception, and its traceback to unfold. */
export function failureItem(failure) {
  const what = failure.unitKey === null ? 'ProtocolDAG could not be built' : `unit ${failure.unitKey} failed`;
  const traceback = el('details', {}, [el('summary', {}, 'traceback'), el('pre', {}, failure.traceback ?? '')]);
  return el('li', { 'data-kind': failure.__typename, 'data-unit': failure.unitKey ?? '' }, [
    el('strong', {}, `${what} (attempt ${failure.attempt})`),
    el('pre', { class: 'exception' }, failure.exception ?? ''),
    traceback,
  ]);
}

// A ResultFile is named by its unit and its path: units commonly write files of the same name.
export function fileRow(file) {
  const link = el('a', { href: file.downloadUrl, download: '' }, file.path);
  return el('tr', { 'data-unit': file.unitKey, 'data-file': file.path }, [
    el('td', {}, file.unitKey),
    el('td', {}, [link]),
    el('td', {}, bytes(file.size)),
    el('td', { title: file.sha256 }, file.sha256.slice(0, 12)),
  ]);
}

/** The status, and for a WAITING task whose protocol no live compute service runs, that it waits for one. */
export function statusCell(task) {
  if (task.waitingForProtocol === null || task.waitingForProtocol === undefined) return [statusBadge(task.status)];
  return [statusBadge(task.status), el('small', { class: 'waiting-for' }, ` no live service runs ${task.waitingForProtocol}`)];
}

/** "Running unit gated on gpu-node-7 (host), attempt 2" for the attempt under way; empty when none. */
export function currentAttemptLine(current) {
  if (current === null) return '';
  const what = current.runningUnit === null ? 'Claimed' : `Running unit ${current.runningUnit}`;
  return `${what} on ${current.computeServiceName}${current.host === null ? '' : ` (${current.host})`}, attempt ${current.attempt}`;
}

import type { WatchedTask, WatchModel } from './WatchModel.js';

const barWidth = 24;
const statusOrder = ['RUNNING', 'WAITING', 'ERROR', 'COMPLETE', 'INVALID', 'DELETED'];

/** `[#########...............] 3/8 units`, or a note when the task has no DAG yet. */
export function unitBar(task: WatchedTask): string {
  if (task.units === null) return `[${' '.repeat(barWidth)}] no DAG yet`;
  const total = task.units.size;
  const ok = [...task.units.values()].filter((s) => s === 'OK').length;
  const failed = [...task.units.values()].filter((s) => s === 'FAILED').length;
  const filled = total === 0 ? barWidth : Math.round((ok / total) * barWidth);
  const failedMarks = Math.min(barWidth - filled, failed === 0 ? 0 : Math.max(1, Math.round((failed / Math.max(total, 1)) * barWidth)));
  const bar = '#'.repeat(filled) + 'x'.repeat(failedMarks) + '.'.repeat(barWidth - filled - failedMarks);
  return `[${bar}] ${ok}/${total} units${failed > 0 ? `, ${failed} failed` : ''}`;
}

export const shortId = (id: string): string => `…${id.slice(-8)}`;

export function taskLine(task: WatchedTask, nameWidth: number): string {
  const name = task.name.length > nameWidth ? `${task.name.slice(0, nameWidth - 1)}…` : task.name.padEnd(nameWidth);
  return `${shortId(task.id)}  ${name}  ${unitBar(task)}  ${task.status}`;
}

/** One summary line, then a line per task (running ones first), at most `maxLines` in all. */
export function renderProgress(model: WatchModel, title: string, maxLines: number): string[] {
  const tasks = [...model.tasks.values()].sort(
    (a, b) => statusOrder.indexOf(a.status) - statusOrder.indexOf(b.status) || a.id.localeCompare(b.id),
  );
  const counts = statusOrder.map((s) => [s, tasks.filter((t) => t.status === s).length] as const).filter(([, n]) => n > 0);
  const summary = `${title}: ${tasks.length} task${tasks.length === 1 ? '' : 's'}${counts.map(([s, n]) => ` · ${n} ${s.toLowerCase()}`).join('')}`;
  const nameWidth = Math.min(24, Math.max(4, ...tasks.map((t) => t.name.length)));
  const room = Math.max(1, maxLines - 1);
  const shown = tasks.length > room ? tasks.slice(0, room - 1) : tasks;
  const lines = [summary, ...shown.map((t) => taskLine(t, nameWidth))];
  if (shown.length < tasks.length) lines.push(`… and ${tasks.length - shown.length} more`);
  return lines;
}

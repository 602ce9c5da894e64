/**
 * A one-line transfer progress bar for stderr, with no dependency:
 * `name [#####.....] 45% 12.3 MiB/27.0 MiB 8.1 MiB/s`.
 * It draws only on a terminal; piped into a file or a CI log, redrawn lines would be noise.
 */

/** The part of a stream the bar needs; process.stderr satisfies it, tests pass a fake. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export interface ProgressBarOptions {
  name: string;
  totalBytes: number;
  output?: ProgressOutput;
  now?: () => number;
  /** Transfers shorter than this never show a bar (default SHOW_AFTER_MS); 0 draws from the first byte. */
  showAfterMs?: number;
}

/** Ten redraws a second look smooth and cost nothing next to the transfer. */
const MIN_REDRAW_INTERVAL_MS = 100;
/** Transfers shorter than this never show a bar: a flash of text helps nobody. */
const SHOW_AFTER_MS = 250;
const BAR_WIDTH = 20;
/** Long result paths are cut from the left: their end names the file. */
const MAX_NAME_LENGTH = 40;
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatProgressLine(name: string, transferred: number, total: number, bytesPerSecond: number): string {
  const fraction = total > 0 ? Math.min(transferred / total, 1) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const shownName = name.length > MAX_NAME_LENGTH ? `…${name.slice(-(MAX_NAME_LENGTH - 1))}` : name;
  const bar = `${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}`;
  return `${shownName} [${bar}] ${Math.floor(fraction * 100)}% ${formatBytes(transferred)}/${formatBytes(total)} ${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export class ProgressBar {
  private readonly output: ProgressOutput;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastDrawnAt = Number.NEGATIVE_INFINITY;
  private transferred = 0;
  private drawn = false;

  constructor(private readonly options: ProgressBarOptions) {
    this.output = options.output ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Records `bytes` more transferred; redraws when the last drawing is old enough. */
  advance(bytes: number): void {
    this.transferred += bytes;
    if (this.output.isTTY !== true) return;
    const now = this.now();
    const showAfter = this.options.showAfterMs ?? SHOW_AFTER_MS;
    if (now - this.startedAt < showAfter || now - this.lastDrawnAt < MIN_REDRAW_INTERVAL_MS) return;
    this.lastDrawnAt = now;
    this.draw(now);
  }

  /** Clears the bar, leaving the line to whatever the command prints about the finished file. */
  finish(): void {
    if (this.drawn) this.output.write('\r\u001b[K');
    this.drawn = false;
  }

  private draw(now: number): void {
    const seconds = Math.max((now - this.startedAt) / 1000, 0.001);
    const line = formatProgressLine(this.options.name, this.transferred, this.options.totalBytes, this.transferred / seconds);
    this.output.write(`\r${line}\u001b[K`);
    this.drawn = true;
  }
}

/** A bar that learns its total when the transfer starts; what `network create` and `network get` draw. */
export interface TransferProgress {
  start(totalBytes: number): void;
  advance(bytes: number): void;
  finish(): void;
}

/**
 * Progress of a transfer of many objects as one bar on stderr: drawn when stderr is a terminal, or
 * always with `force` (the commands' `--progress`), then from the first byte; quiet otherwise.
 */
export function progressBarFor(name: string, force: boolean, stderr: ProgressOutput = process.stderr): TransferProgress {
  const output: ProgressOutput = force ? { isTTY: true, write: (text) => stderr.write(text) } : stderr;
  let bar: ProgressBar | undefined;
  return {
    start: (totalBytes) => {
      bar = new ProgressBar({ name, totalBytes, output, ...(force ? { showAfterMs: 0 } : {}) });
    },
    advance: (bytes) => bar?.advance(bytes),
    finish: () => bar?.finish(),
  };
}

import type { Readable } from 'node:stream';

/** Calls `onLine` with each JSON log line a process writes to `stream`; other lines are skipped. */
export function onJsonLogLines(stream: Readable | null, onLine: (line: Record<string, unknown>) => void): void {
  let buffered = '';
  stream?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      onLine(line);
    }
  });
}

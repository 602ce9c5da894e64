import { open } from 'node:fs/promises';

/** Where one entry's bytes lie in a tar file. */
export interface TarEntry {
  offset: number;
  size: number;
}

const blockSize = 512;

/**
 * The entries of a tar file by name, read from their headers alone (each entry's bytes are skipped),
 * so an archive of any size is indexed without reading it. Regular files only; other entries are skipped.
 */
export async function indexTar(path: string): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const file = await open(path, 'r');
  try {
    const { size: total } = await file.stat();
    const block = Buffer.alloc(blockSize);
    for (let offset = 0; offset + blockSize <= total;) {
      const { bytesRead } = await file.read(block, 0, blockSize, offset);
      if (bytesRead < blockSize || block.every((byte) => byte === 0)) break;
      checkChecksum(block, offset, path);
      const size = readSize(block);
      const type = String.fromCharCode(block[156] ?? 0);
      const name = joinName(block);
      if (type === '0' || type === '\0') entries.set(name, { offset: offset + blockSize, size });
      offset += blockSize + Math.ceil(size / blockSize) * blockSize;
      if (offset > total + blockSize) throw new Error(`${path} is not a complete tar archive: entry ${name} runs past its end`);
    }
  } finally {
    await file.close();
  }
  return entries;
}

function field(block: Buffer, start: number, length: number): string {
  const bytes = block.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end === -1 ? length : end).toString('utf8');
}

function joinName(block: Buffer): string {
  const name = field(block, 0, 100);
  const prefix = field(block, 345, 155);
  return prefix === '' ? name : `${prefix}/${name}`;
}

function readSize(block: Buffer): number {
  if (((block[124] ?? 0) & 0x80) !== 0) {
    let size = 0n;
    for (let i = 125; i < 136; i += 1) size = (size << 8n) | BigInt(block[i] ?? 0);
    return Number(size);
  }
  return parseInt(field(block, 124, 12).trim() || '0', 8);
}

function checkChecksum(block: Buffer, offset: number, path: string): void {
  const stored = parseInt(field(block, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < blockSize; i += 1) sum += i >= 148 && i < 156 ? 32 : (block[i] ?? 0);
  if (stored !== sum) throw new Error(`${path} is not a tar archive (bad header checksum at byte ${offset})`);
}

import { createReadStream, createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A minimal POSIX (ustar) tar writer: regular files only, streamed, each entry's bytes copied from a
 * file on disk or given whole. Sizes past ustar's 8 GiB use the base-256 form GNU tar and libarchive
 * read. Enough for an archive any `tar` can list and extract, without a dependency.
 */
export class TarWriter {
  private readonly out: WriteStream;
  private failure: Error | undefined;

  constructor(path: string) {
    this.out = createWriteStream(path);
    this.out.on('error', (error) => {
      this.failure = error;
    });
  }

  async addBuffer(name: string, bytes: Buffer): Promise<void> {
    await this.write(header(name, bytes.length));
    await this.write(bytes);
    await this.write(padding(bytes.length));
  }

  /** Copies `size` bytes of the file at `path` (which must hold exactly that many). */
  async addFile(name: string, path: string, size: number): Promise<void> {
    await this.write(header(name, size));
    let copied = 0;
    if (size > 0) {
      for await (const chunk of createReadStream(path)) {
        copied += (chunk as Buffer).length;
        await this.write(chunk as Buffer);
      }
    }
    if (copied !== size) throw new Error(`${path} changed while it was archived: ${copied} bytes, expected ${size}`);
    await this.write(padding(size));
  }

  /** Two zero blocks end the archive. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(blockSize * 2));
    this.out.end();
    await once(this.out, 'close');
    if (this.failure !== undefined) throw this.failure;
  }

  /** Ends the stream without the end marker (after a failure): the file is not a complete archive. */
  abort(): void {
    this.out.destroy();
  }

  private async write(bytes: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.out.write(bytes)) await Promise.race([once(this.out, 'drain'), once(this.out, 'error')]);
    if (this.failure !== undefined) throw this.failure;
  }
}

const blockSize = 512;
/** ustar's octal size field holds at most 11 digits: 8 GiB − 1. */
const maxOctalSize = 0o77777777777;

function padding(size: number): Buffer {
  return Buffer.alloc((blockSize - (size % blockSize)) % blockSize);
}

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(blockSize);
  const [prefix, base] = splitName(name);
  block.write(base, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'ascii');
  block.write('0000000\0', 108, 'ascii');
  block.write('0000000\0', 116, 'ascii');
  writeSize(block, size);
  block.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'ascii',
  );
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

function writeSize(block: Buffer, size: number): void {
  if (size <= maxOctalSize) {
    block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
    return;
  }
  // Base-256: the first byte's high bit set, the number big-endian in the field's other 11 bytes.
  block[124] = 0x80;
  let rest = BigInt(size);
  for (let i = 135; i > 124; i -= 1) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}

/** ustar names: up to 100 bytes, or a prefix of up to 155 and a name of up to 100 split at a slash. */
function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new Error(`tar entry name too long: ${name}`);
}

// One unit of the `command` protocol for the chaos tests, as a worker runs it (see README, "The worker").
// Usage: node unitProgram.mjs <milliseconds> <fileBytes> [busy | fail <last line of stderr>]
//
// Checks each dependency's out.bin against the SHA-256 that dependency reported, so a resumed worker that
// hands a unit wrong or partial files fails the unit; then waits (or, with `busy`, keeps a core busy) for
// the given time; then writes out.bin, whose bytes depend only on the transformation and the unit, so a
// unit run again writes exactly the bytes it wrote before.
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';

const [milliseconds, fileBytes, mode, failure] = process.argv.slice(2);
const inputs = JSON.parse(readFileSync(process.env.DAGKEEPER_INPUTS, 'utf8'));

async function sha256Of(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

for (const [key, dependency] of Object.entries(inputs.dependencies)) {
  const reported = dependency.outputs?.sha256;
  if (reported === undefined) continue;
  const local = dependency.files['out.bin'];
  const actual = local === undefined ? 'missing' : await sha256Of(local);
  if (actual !== reported) {
    process.stderr.write(`dependency ${key}: out.bin is ${actual}, it reported ${reported}\n`);
    process.exit(2);
  }
}

const until = Date.now() + Number(milliseconds);
if (mode === 'busy') {
  while (Date.now() < until) Math.sqrt(Math.random());
} else {
  await new Promise((resolve) => setTimeout(resolve, Number(milliseconds)));
}

if (mode === 'fail') {
  process.stderr.write(`${failure}\n`);
  process.exit(1);
}

const size = Number(fileBytes);
const outputs = { unitKey: inputs.unit.key, bytes: size };
if (size > 0) {
  const seed = createHash('sha256').update(`${inputs.transformation.name}/${inputs.unit.key}`).digest();
  const cipher = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16));
  const hash = createHash('sha256');
  const out = createWriteStream(join(process.env.DAGKEEPER_OUTPUT_DIR, 'out.bin'));
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = size; left > 0; left -= chunk.length) {
    const bytes = cipher.update(chunk.subarray(0, Math.min(chunk.length, left)));
    hash.update(bytes);
    if (!out.write(bytes)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  outputs.sha256 = hash.digest('hex');
}
writeFileSync(process.env.DAGKEEPER_OUTPUTS, JSON.stringify(outputs));

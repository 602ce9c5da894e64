import { seededRandom } from './seededRandom.js';

/**
 * A protein component shaped like a serialized structure: one JSON record per atom (PDB ATOM fields,
 * coordinates to three decimals from a seeded walk along a chain), so its text compresses as real
 * structures do (repeated field names, varied numbers), not as a run of one byte. Its canonical JSON is
 * about `bytes` long; the same seed gives the same component.
 */

const RESIDUES = [
  'ALA',
  'ARG',
  'ASN',
  'ASP',
  'CYS',
  'GLN',
  'GLU',
  'GLY',
  'HIS',
  'ILE',
  'LEU',
  'LYS',
  'MET',
  'PHE',
  'PRO',
  'SER',
  'THR',
  'TRP',
  'TYR',
  'VAL',
];
const ATOMS = [
  ['N', 'N'],
  ['CA', 'C'],
  ['C', 'C'],
  ['O', 'O'],
  ['CB', 'C'],
  ['CG', 'C'],
  ['CD', 'C'],
  ['NE', 'N'],
] as const;
/** The canonical JSON of one atom record is close to this many bytes. */
const RECORD_BYTES = 172;

const round3 = (value: number) => Math.round(value * 1000) / 1000;

export function pdbLikeAtoms(bytes: number, seed: number): Array<Record<string, string | number>> {
  const random = seededRandom(seed);
  const atoms: Array<Record<string, string | number>> = [];
  let [x, y, z] = [0, 0, 0];
  for (let serial = 1; atoms.length * RECORD_BYTES < bytes; serial += 1) {
    const residue = Math.floor((serial - 1) / ATOMS.length);
    const [name, element] = ATOMS[(serial - 1) % ATOMS.length]!;
    x += (random() - 0.5) * 3;
    y += (random() - 0.5) * 3;
    z += (random() - 0.5) * 3;
    atoms.push({
      record: 'ATOM',
      serial,
      name,
      resName: RESIDUES[Math.floor(random() * RESIDUES.length)]!,
      chainID: String.fromCharCode(65 + (Math.floor(residue / 500) % 26)),
      resSeq: residue + 1,
      x: round3(x),
      y: round3(y),
      z: round3(z),
      occupancy: 1,
      tempFactor: round3(10 + random() * 40),
      element,
    });
  }
  return atoms;
}

/** A ProteinComponent-like value of about `bytes` of canonical JSON. */
export function pdbLikeProtein(bytes: number, seed = 1): Record<string, unknown> {
  return { __qualname__: 'ProteinComponent', name: `protein-${seed}`, atoms: pdbLikeAtoms(bytes, seed) };
}

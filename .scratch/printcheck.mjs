import { readFileSync } from 'node:fs';
import { buildSchema, printSchema } from 'graphql';
const w = (s) => s.replace(/[ \t]+$/gm, '').trimEnd();
const f = readFileSync('schema.graphql','utf8');
const p = printSchema(buildSchema(f));
if (w(p) !== w(f)) { const a=w(p).split('\n'), b=w(f).split('\n'); for (let i=0;i<Math.max(a.length,b.length);i++) if (a[i]!==b[i]) { console.log(i, JSON.stringify(a[i]), JSON.stringify(b[i])); break; } } else console.log('same');

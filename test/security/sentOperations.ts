import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface SentOperation {
  /** Where the text was found, relative to the repository. */
  file: string;
  text: string;
}

/**
 * The GraphQL documents the project's own clients send: every string or template literal in the CLI,
 * the worker, the dashboard and the tests that starts like an operation. A template's `${name}` parts
 * are filled in when `name` is a string constant of the same file (how the code shares field lists);
 * a template with any other substitution is left out, as its text is only known at run time.
 */
export function sentOperations(options: { skip: readonly string[] }): SentOperation[] {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'test')), join(root, 'dashboard', 'app.js')].filter(
    (file) => !options.skip.includes(relative(root, file)),
  );
  return files.flatMap((file) => operationsIn(file));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

function operationsIn(file: string): SentOperation[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  const found: SentOperation[] = [];
  const collectConstants = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined && isPlainString(node.initializer)) {
      constants.set(node.name.text, node.initializer.text);
    }
    ts.forEachChild(node, collectConstants);
  };
  const collectOperations = (node: ts.Node): void => {
    const text = isPlainString(node) ? node.text : ts.isTemplateExpression(node) ? fillTemplate(node, constants) : undefined;
    if (text !== undefined && /^\s*(query|mutation|subscription)\b|^\s*\{\s*[_A-Za-z]/.test(text)) {
      found.push({ file: relative(root, file), text });
    }
    ts.forEachChild(node, collectOperations);
  };
  collectConstants(source);
  collectOperations(source);
  return found;
}

function isPlainString(node: ts.Node): node is ts.StringLiteral | ts.NoSubstitutionTemplateLiteral {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node);
}

function fillTemplate(node: ts.TemplateExpression, constants: ReadonlyMap<string, string>): string | undefined {
  let text = node.head.text;
  for (const span of node.templateSpans) {
    const value = ts.isIdentifier(span.expression) ? constants.get(span.expression.text) : undefined;
    if (value === undefined) return undefined;
    text += value + span.literal.text;
  }
  return text;
}

/**
 * The hand-written statements of `sql/` are tagged templates: every `${value}` becomes a parameter
 * ($1, $2 … in order), never text, and a `${fragment}` built the same way is spliced in with its own
 * parameters renumbered. Only `raw` puts text into a statement, and only text the code wrote itself.
 *
 * A statement's text depends only on its shape: the template's strings and, at each `${…}`, whether a
 * value or a fragment goes there and, for a fragment, that fragment's shape. The hot statements run
 * thousands of times a second with a handful of shapes, so each shape is made once (see Shape) and
 * a statement carries its shape's text: building one copies only its values, and the text that names
 * its prepared statement is the same string every time.
 */
export class Sql {
  private constructor(
    readonly shape: Shape,
    readonly values: readonly unknown[],
  ) {}

  static fromTemplate(strings: readonly string[], values: readonly unknown[]): Sql {
    const params: unknown[] = [];
    for (const value of values) {
      if (value instanceof Sql) params.push(...value.values);
      else params.push(value);
    }
    return new Sql(shapeOf(strings, values), params);
  }

  /** A statement of raw text only (see raw): a shape of one string, so no parameters. */
  static ofRawText(shape: Shape): Sql {
    if (shape.strings.length !== 1) throw new Error('raw SQL text has no parameters');
    return new Sql(shape, []);
  }

  /** The statement's text with PostgreSQL's placeholders; the same fragments always give the same text. */
  get text(): string {
    return this.shape.text;
  }
}

/**
 * One statement shape: the text around and between its parameters (one more item than parameters).
 * A kept shape is found again for the same template and the same things at its positions (see
 * shapeOf); a shape that is not kept is made afresh each time, and no kept shape is built on it.
 */
export class Shape {
  private madeText: string | undefined;

  constructor(
    readonly strings: readonly string[],
    readonly kept: boolean,
  ) {}

  get text(): string {
    if (this.madeText === undefined) {
      let text = this.strings[0]!;
      for (let i = 1; i < this.strings.length; i += 1) text += `$${i}${this.strings[i]!}`;
      this.madeText = text;
    }
    return this.madeText;
  }
}

/**
 * Where kept shapes branch: one node per template and prefix of its positions, each position keyed by
 * what went there (a value, or a fragment's kept shape); the node after the last position holds the shape.
 */
class ShapeNode {
  shape: Shape | undefined;
  readonly next = new Map<Shape | typeof aValue, ShapeNode>();
}

/** The key of a position holding a value (a parameter), as opposed to a fragment. */
const aValue = Symbol('a value');

/**
 * Shapes kept, at most: the code has a few hundred, so more means something builds shapes without
 * end (raw text that varies, say), and those are then made afresh each time rather than kept forever.
 */
const maxKeptShapes = 10_000;
let keptShapes = 0;
const byTemplate = new WeakMap<readonly string[], ShapeNode>();
const byRawText = new Map<string, Shape>();

function shapeOf(strings: readonly string[], values: readonly unknown[]): Shape {
  // Only a tagged template's strings are frozen, and only they are the same array on every call.
  if (!Object.isFrozen(strings)) return buildShape(strings, values, false);
  let node = byTemplate.get(strings);
  if (node === undefined) {
    node = new ShapeNode();
    byTemplate.set(strings, node);
  }
  for (const value of values) {
    if (!(value instanceof Sql)) {
      node = step(node, aValue);
    } else if (value.shape.kept) {
      node = step(node, value.shape);
    } else {
      return buildShape(strings, values, false);
    }
  }
  if (node.shape === undefined) {
    if (keptShapes >= maxKeptShapes) return buildShape(strings, values, false);
    keptShapes += 1;
    node.shape = buildShape(strings, values, true);
  }
  return node.shape;
}

function step(node: ShapeNode, key: Shape | typeof aValue): ShapeNode {
  let next = node.next.get(key);
  if (next === undefined) {
    next = new ShapeNode();
    node.next.set(key, next);
  }
  return next;
}

function rawShape(text: string): Shape {
  const known = byRawText.get(text);
  if (known !== undefined) return known;
  if (keptShapes >= maxKeptShapes) return new Shape([text], false);
  keptShapes += 1;
  const shape = new Shape([text], true);
  byRawText.set(text, shape);
  return shape;
}

function buildShape(strings: readonly string[], values: readonly unknown[], kept: boolean): Shape {
  const texts = [strings[0]!];
  values.forEach((value, i) => {
    const after = strings[i + 1]!;
    if (value instanceof Sql) {
      const inner = value.shape.strings;
      texts[texts.length - 1] += inner[0]!;
      texts.push(...inner.slice(1));
      texts[texts.length - 1] += after;
    } else {
      texts.push(after);
    }
  });
  return new Shape(texts, kept);
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return Sql.fromTemplate(strings, values);
}

/** SQL text taken as it is: for text the code composed itself (a checked literal), never for input. */
export function raw(text: string): Sql {
  return Sql.ofRawText(rawShape(text));
}

export const empty = raw('');

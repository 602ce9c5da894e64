/**
 * The hand-written statements of `sql/` are tagged templates: every `${value}` becomes a parameter
 * ($1, $2 … in order), never text, and a `${fragment}` built the same way is spliced in with its own
 * parameters renumbered. Only `raw` puts text into a statement, and only text the code wrote itself.
 */
export class Sql {
  /** `strings` has one more item than `values`: the text around and between the parameters. */
  private constructor(
    private readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  static fromTemplate(strings: readonly string[], values: readonly unknown[]): Sql {
    const texts = [strings[0]!];
    const params: unknown[] = [];
    values.forEach((value, i) => {
      const after = strings[i + 1]!;
      if (value instanceof Sql) {
        texts[texts.length - 1] += value.strings[0]!;
        texts.push(...value.strings.slice(1));
        params.push(...value.values);
        texts[texts.length - 1] += after;
      } else {
        params.push(value);
        texts.push(after);
      }
    });
    return new Sql(texts, params);
  }

  /** The statement's text with PostgreSQL's placeholders; the same fragments always give the same text. */
  get text(): string {
    let text = this.strings[0]!;
    for (let i = 1; i < this.strings.length; i += 1) text += `$${i}${this.strings[i]!}`;
    return text;
  }
}

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return Sql.fromTemplate(strings, values);
}

/** SQL text taken as it is: for text the code composed itself (a checked literal), never for input. */
export function raw(text: string): Sql {
  return Sql.fromTemplate([text], []);
}

export const empty = raw('');

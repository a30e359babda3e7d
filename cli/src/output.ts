/**
 * How the CLI prints (runs on the user's machine): human-readable text by default, one JSON
 * document on stdout with `--json`. Diagnostics and progress go to stderr so stdout stays parseable.
 */
export interface OutputOptions {
  json: boolean;
}

export interface Output {
  readonly json: boolean;
  /** The command's result: a JSON document with --json, else the human rendering. */
  result(value: unknown, human: () => string): void;
  /** A line of progress or narration on stderr (suppressed with --json). */
  info(line: string): void;
}

export function createOutput(options: OutputOptions): Output {
  return {
    json: options.json,
    result(value, human) {
      if (options.json) process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
      else process.stdout.write(`${human()}\n`);
    },
    info(line) {
      if (!options.json) process.stderr.write(`${line}\n`);
    },
  };
}

/** bigint and Uint8Array are common in results; print them as decimal strings and hex. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `0x${Buffer.from(value).toString("hex")}`;
  return value;
}

/** Renders rows as an aligned text table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

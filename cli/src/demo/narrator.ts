/**
 * The demo's narrator (runs on the user's machine): numbered steps with a line of story each, the
 * time each took, and a verdict. A step that throws fails the demo; nothing is reported as done that
 * was not checked.
 */
export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  detail?: string;
}

export class Narrator {
  readonly results: StepResult[] = [];
  readonly #write: (line: string) => void;
  #n = 0;

  constructor(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.#write = write;
  }

  say(line: string): void {
    this.#write(`    ${line}`);
  }

  /** Runs one step; its return value is a short summary of what was checked. */
  async step<T>(
    name: string,
    story: string,
    run: () => Promise<T>,
    summary?: (value: T) => string,
  ): Promise<T> {
    this.#n++;
    this.#write(`\n[${this.#n}] ${name}\n    ${story}`);
    const started = performance.now();
    try {
      const value = await run();
      const ms = Math.round(performance.now() - started);
      const detail = summary?.(value);
      this.results.push({ name, ok: true, ms, ...(detail ? { detail } : {}) });
      this.#write(`    ok (${(ms / 1000).toFixed(1)} s)${detail ? `: ${detail}` : ""}`);
      return value;
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      const message = error instanceof Error ? error.message : String(error);
      this.results.push({ name, ok: false, ms, detail: message });
      this.#write(`    FAILED (${(ms / 1000).toFixed(1)} s): ${message}`);
      throw error;
    }
  }

  summary(): string {
    const total = this.results.reduce((sum, r) => sum + r.ms, 0);
    const lines = this.results.map(
      (r) => `  ${r.ok ? "ok    " : "FAILED"} ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.name}`,
    );
    return [...lines, `  total  ${(total / 1000).toFixed(1).padStart(6)} s`].join("\n");
  }
}

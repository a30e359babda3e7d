/**
 * Generalization ladders of quasi-identifiers for the Explore sampler (runs inside the TEE). Each
 * column starts at the level the dictionary and the policy ask for and can be coarsened step by step
 * (wider bands, year instead of month, more categories merged, shorter prefixes) up to "*", where the
 * column says nothing; the k-anonymity loop climbs these ladders until every combination has k rows.
 */
import { Cce4longError, type ColumnDescriptor, type ExploreSamplePolicy } from "@cce4long/protocol";

/** The value a fully generalized column shows. */
export const ANY = "*";
export const OTHER = "Other";
const MAX_BAND_DOUBLINGS = 6;

export interface Generalizer {
  readonly column: string;
  /** Sees the column's raw values in the sample before `apply` (merge_rare counts categories). */
  prepare(values: readonly string[]): void;
  apply(value: string): string;
  /** One step coarser; false when already "*". */
  coarsen(): boolean;
  describe(): string;
}

export function generalizerFor(column: ColumnDescriptor, policy: ExploreSamplePolicy): Generalizer | null {
  const g = column.generalization;
  if (g === undefined || g.kind === "suppress") return null;
  if (column.type === "date")
    return new DateGeneralizer(column.name, policy.dateGranularity === "month" ? 0 : 1);
  switch (g.kind) {
    case "numeric_band": {
      const width =
        policy.bandWidths[column.name] ??
        (column.unit === "years" && policy.ageBandWidth !== undefined ? policy.ageBandWidth : g.width);
      return new BandGeneralizer(column.name, width, column.type === "integer");
    }
    case "truncate":
      return new TruncateGeneralizer(column.name, policy.locationPrefixLength ?? g.length);
    case "merge_rare":
      return new MergeRareGeneralizer(column.name, policy.rareCategoryThreshold ?? g.minCount);
    case "keep":
      return new KeepGeneralizer(column.name);
  }
}

class BandGeneralizer implements Generalizer {
  #doublings = 0;
  #any = false;
  constructor(
    readonly column: string,
    private width: number,
    private readonly integer: boolean,
  ) {}
  prepare(): void {}
  apply(value: string): string {
    if (this.#any) return ANY;
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n)) return "";
    const lo = Math.floor(n / this.width) * this.width;
    const round = (x: number) => Number(x.toPrecision(12));
    return this.integer && Number.isInteger(this.width)
      ? `${round(lo)}-${round(lo + this.width - 1)}`
      : `[${round(lo)},${round(lo + this.width)})`;
  }
  coarsen(): boolean {
    if (this.#any) return false;
    if (this.#doublings >= MAX_BAND_DOUBLINGS) this.#any = true;
    else {
      this.width *= 2;
      this.#doublings++;
    }
    return true;
  }
  describe(): string {
    return this.#any ? "suppressed to *" : `bands of width ${this.width}`;
  }
}

/** Level 0: YYYY-MM, 1: YYYY, 2: decade (YYY0s), 3: "*". */
class DateGeneralizer implements Generalizer {
  constructor(
    readonly column: string,
    private level: number,
  ) {}
  prepare(): void {}
  apply(value: string): string {
    if (this.level >= 3) return ANY;
    const match = /^(\d{4})(?:-(\d{2}))?/.exec(value.trim());
    if (!match) return "";
    const year = match[1]!;
    if (this.level === 0) return match[2] === undefined ? year : `${year}-${match[2]}`;
    if (this.level === 1) return year;
    return `${year.slice(0, 3)}0s`;
  }
  coarsen(): boolean {
    if (this.level >= 3) return false;
    this.level++;
    return true;
  }
  describe(): string {
    return ["month", "year", "decade", "suppressed to *"][this.level]!;
  }
}

class TruncateGeneralizer implements Generalizer {
  constructor(
    readonly column: string,
    private length: number,
  ) {}
  prepare(): void {}
  apply(value: string): string {
    if (this.length <= 0) return ANY;
    return value.trim().slice(0, this.length).toUpperCase();
  }
  coarsen(): boolean {
    if (this.length <= 0) return false;
    this.length--;
    return true;
  }
  describe(): string {
    return this.length <= 0 ? "suppressed to *" : `first ${this.length} characters`;
  }
}

class MergeRareGeneralizer implements Generalizer {
  #kept = new Set<string>();
  #values: readonly string[] = [];
  #any = false;
  constructor(
    readonly column: string,
    private threshold: number,
  ) {}
  prepare(values: readonly string[]): void {
    this.#values = values;
    this.#recount();
  }
  #recount(): void {
    const counts = new Map<string, number>();
    for (const v of this.#values) counts.set(v, (counts.get(v) ?? 0) + 1);
    this.#kept = new Set([...counts].filter(([v, n]) => n >= this.threshold && v !== "").map(([v]) => v));
  }
  apply(value: string): string {
    if (this.#any) return ANY;
    if (value === "") return "";
    return this.#kept.has(value) ? value : OTHER;
  }
  coarsen(): boolean {
    if (this.#any) return false;
    if (this.#kept.size <= 1) this.#any = true;
    else {
      this.threshold *= 2;
      this.#recount();
    }
    return true;
  }
  describe(): string {
    return this.#any
      ? "suppressed to *"
      : `categories with fewer than ${this.threshold} rows merged into ${OTHER}`;
  }
}

class KeepGeneralizer implements Generalizer {
  #any = false;
  constructor(readonly column: string) {}
  prepare(): void {}
  apply(value: string): string {
    return this.#any ? ANY : value.trim();
  }
  coarsen(): boolean {
    if (this.#any) return false;
    this.#any = true;
    return true;
  }
  describe(): string {
    return this.#any ? "suppressed to *" : "kept";
  }
}

/** Refuses policy entries that name columns the dictionary does not allow them on. */
export function checkPolicyColumns(columns: readonly ColumnDescriptor[], policy: ExploreSamplePolicy): void {
  const byName = new Map(columns.map((c) => [c.name, c]));
  for (const name of Object.keys(policy.bandWidths)) {
    const c = byName.get(name);
    if (c?.role !== "quasi_identifier" || c.generalization?.kind !== "numeric_band") {
      throw invalid(`bandWidths names ${name}, which is not a banded quasi-identifier`);
    }
  }
  for (const noise of policy.noise) {
    const c = byName.get(noise.column);
    if (c?.role !== "attribute" || (c.type !== "number" && c.type !== "integer")) {
      throw invalid(`noise names ${noise.column}, which is not a numeric attribute`);
    }
  }
}

function invalid(message: string): Cce4longError {
  return new Cce4longError("VALIDATION_FAILED", `Explore sample policy: ${message}`);
}

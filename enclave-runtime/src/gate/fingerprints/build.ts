/**
 * Builds the fingerprint index of a dataset version from its rows (runs inside the TEE, at ingest).
 * Two passes over the rows, each in batches with one AES call per batch: the first counts identifier
 * values and quasi-identifier combinations and measures each column's spread; the second emits the
 * minimal rare combinations and the row shingles. Memory is the count tables and the tags, not rows.
 */
import { Cce4longError } from "@cce4long/protocol";
import type { DatasetSchema } from "@cce4long/protocol/datasets/column-roles";
import { CellTagger, NO_TAG } from "./cell-tagger";
import { foldCombo, folded, subsetMasks } from "./combos";
import { FingerprintIndex } from "./fingerprint-index";
import { type FingerprintParamsInput, fingerprintParamsSchema } from "./params";
import { FingerprintKey } from "./prf";
import { forEachBand, RowValues } from "./shingles";
import { TagCounter } from "./tag-counter";
import { TagList } from "./tag-set";

/** A row keyed by column name (any object type whose keys are the column names). */
export type DatasetRow = object;

export interface BuildFingerprintInput {
  /** The 32-byte key of this dataset version (e.g. derived from the dataset key); never stored. */
  datasetKey: Uint8Array;
  schema: DatasetSchema;
  /** The rows, keyed by column name; iterated twice (an array, or an object whose iterator restarts). */
  rows: Iterable<DatasetRow>;
  params?: FingerprintParamsInput;
}

const BATCH_ROWS = 1024;

export function buildFingerprintIndex(input: BuildFingerprintInput): FingerprintIndex {
  const params = fingerprintParamsSchema.parse(input.params ?? {});
  const key = new FingerprintKey(input.datasetKey);
  const columns = input.schema.columns;
  const C = columns.length;
  const L = params.levels.length;
  const k = params.rareThreshold;
  const idCols = columns.flatMap((c, i) =>
    c.role === "direct_identifier" || c.role === "record_key" ? [i] : [],
  );
  const qiCols = columns.flatMap((c, i) => (c.role === "quasi_identifier" ? [i] : []));
  if (qiCols.length > params.maxQiCandidates) {
    throw new Cce4longError(
      "VALIDATION_FAILED",
      `at most ${params.maxQiCandidates} quasi-identifier columns`,
    );
  }
  const names = columns.map((c) => c.name);
  const tagger = new CellTagger(
    key,
    params.levels.map((l) => l.sig),
  );
  const row = new RowValues();

  /** Runs `perRow(cellBase)` for every row after tagging its batch. */
  const pass = (perRow: (base: number) => void): number => {
    let rows = 0;
    let inBatch = 0;
    const drain = () => {
      tagger.flush();
      for (let r = 0; r < inBatch; r++) perRow(r * C);
      tagger.reset();
      inBatch = 0;
    };
    for (const record of input.rows) {
      for (let c = 0; c < C; c++) tagger.addValue((record as Record<string, unknown>)[names[c]!]);
      rows++;
      if (++inBatch === BATCH_ROWS) drain();
    }
    if (inBatch > 0) drain();
    return rows;
  };

  // Pass 1: counts.
  const idCounters = idCols.map(() => new TagCounter(1 << 16));
  const comboCounter = new TagCounter(1 << 16);
  const valueCounters = params.levels.map(() => new TagCounter(1 << 16));
  const valueCols = columns.flatMap((c, i) =>
    c.role === "attribute" || c.role === "quasi_identifier" ? [i] : [],
  );
  const gatherQi = (base: number) => {
    row.reset();
    for (const c of qiCols) {
      const b = tagger.exact[base + c]!;
      if (b !== NO_TAG) row.add(tagger.tags[4 * b]!, tagger.tags[4 * b + 1]!);
    }
  };
  const rows = pass((base) => {
    for (let i = 0; i < idCols.length; i++) {
      const b = tagger.exact[base + idCols[i]!]!;
      if (b !== NO_TAG) idCounters[i]!.add(tagger.tags[4 * b]!, tagger.tags[4 * b + 1]!);
    }
    gatherQi(base);
    for (const mask of subsetMasks(row.count, params.maxComboSize)) {
      foldCombo(row, mask);
      comboCounter.add(folded.lo, folded.hi);
    }
    for (let l = 0; l < L; l++) {
      const counter = valueCounters[l]!;
      for (const c of valueCols) {
        const b = tagger.levels[(base + c) * L + l]!;
        if (b !== NO_TAG) counter.add(tagger.tags[4 * b]!, tagger.tags[4 * b + 1]!);
      }
    }
  });

  const identifiers = new TagList();
  const rareShare = idCounters.map((counter) => {
    let rareRows = 0;
    counter.forEach((lo, hi, count) => {
      if (count < k) {
        identifiers.add(lo, hi);
        rareRows += count;
      }
    });
    return rows === 0 ? 0 : rareRows / rows;
  });
  // Row shingles use attributes and quasi-identifiers, and those direct identifiers that are common
  // enough not to identify alone (a date of birth in a large cohort); only their uncommon values count.
  const maxCounts = params.levels.map((level) => Math.max(1, Math.floor(level.maxValueShare * rows)));
  const sharedIdCols = idCols.flatMap((c, i) =>
    columns[c]!.role === "direct_identifier" && rareShare[i]! <= params.identifierShingleMaxRareShare
      ? [i]
      : [],
  );
  const shingleCols = [...valueCols, ...sharedIdCols.map((i) => idCols[i]!)].sort((a, b) => a - b);
  const eligible = new TagList();
  for (const [l, counter] of valueCounters.entries()) {
    counter.forEach((lo, hi, count) => {
      if (count <= maxCounts[l]!) eligible.add(lo, hi);
    });
  }
  const maxIdCount = Math.max(...maxCounts);
  for (const i of sharedIdCols) {
    idCounters[i]!.forEach((lo, hi, count) => {
      if (count <= maxIdCount) eligible.add(lo, hi);
    });
  }
  const shingleValues = eligible.toSet();

  // Pass 2: minimal rare combinations and row shingles.
  const qiValues = new TagList();
  const rareCombos = new TagList();
  const bands = new TagList();
  const rare = new Uint8Array(1 << qiCols.length);
  const addBand = (lo: number, hi: number) => bands.add(lo, hi);
  const rows2 = pass((base) => {
    gatherQi(base);
    for (const mask of subsetMasks(row.count, params.maxComboSize)) {
      foldCombo(row, mask);
      const isRare = comboCounter.get(folded.lo, folded.hi) < k;
      rare[mask] = isRare ? 1 : 0;
      if (!isRare) continue;
      let minimal = true;
      for (let bit = 1; bit <= mask; bit <<= 1) {
        const sub = mask & ~bit;
        if (mask & bit && sub !== 0 && rare[sub] === 1) {
          minimal = false;
          break;
        }
      }
      if (!minimal) continue;
      rareCombos.add(folded.lo, folded.hi);
      for (let i = 0; i < row.count; i++) if (mask & (1 << i)) qiValues.add(row.los[i]!, row.his[i]!);
    }
    for (let l = 0; l < L; l++) {
      row.reset();
      for (const c of shingleCols) {
        const b = tagger.levels[(base + c) * L + l]!;
        if (b === NO_TAG) continue;
        const lo = tagger.tags[4 * b]!;
        const hi = tagger.tags[4 * b + 1]!;
        if (shingleValues.has(lo, hi)) row.add(lo, hi);
      }
      forEachBand(row, params.levels[l]!, l, addBand);
    }
  });
  if (rows2 !== rows) {
    throw new Cce4longError("VALIDATION_FAILED", "fingerprint build needs rows it can read twice", {
      detail: { firstPass: rows, secondPass: rows2 },
    });
  }

  const named = (idx: number[]) => idx.map((i) => names[i]!);
  return new FingerprintIndex(
    key,
    params,
    {
      rows,
      identifierColumns: named(idCols),
      quasiIdentifierColumns: named(qiCols),
      shingleColumns: named(shingleCols),
    },
    {
      identifiers: identifiers.toSet(),
      qiValues: qiValues.toSet(),
      rareCombos: rareCombos.toSet(),
      shingleValues,
      bands: bands.toSet(),
    },
  );
}

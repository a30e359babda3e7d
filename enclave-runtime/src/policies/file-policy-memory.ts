/**
 * The file-backed PolicyMemory (runs inside the TEE): one JSON file per dataset and kind under
 * `<stateDir>/dataset-policies/`, mode 0600, replaced atomically (temp file, fsync, rename). Each file
 * is parsed by a schema on load; a file that does not parse, or names another dataset or kind, is a
 * POLICY_STATE_CORRUPT error, never "nothing remembered": forgetting would let the store roll the
 * dataset back to an older, looser policy. One process owns the folder; writes are serialized per slot,
 * and what was read or written is kept in memory, so a gate run does not re-read and re-parse the file.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { PolicyDocumentSchema, type PolicyKind, PolicyKindSchema } from "@cce4long/protocol/api/policies";
import { z } from "zod";
import { replaceFile } from "../state/replace-file";
import type { PolicyMemory, RememberedPolicy } from "./policy-memory";

const DATASET_ID = /^0x[0-9a-f]{64}$/;

const RememberedSchema = z.strictObject({
  document: PolicyDocumentSchema,
  provider: z.string().regex(/^0x[0-9a-f]{40}$/),
});

export class FilePolicyMemory implements PolicyMemory {
  readonly #dir: string;
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #known = new Map<string, RememberedPolicy>();
  #ready: Promise<unknown> | undefined;

  constructor(stateDir: string) {
    this.#dir = join(stateDir, "dataset-policies");
  }

  async get(datasetId: string, kind: PolicyKind): Promise<RememberedPolicy | undefined> {
    const file = this.#file(datasetId, kind);
    const known = this.#known.get(file);
    if (known !== undefined) return known;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw corrupt(datasetId, kind, error);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw corrupt(datasetId, kind, error);
    }
    const parsed = RememberedSchema.safeParse(json);
    if (
      !parsed.success ||
      parsed.data.document.datasetId.toLowerCase() !== datasetId.toLowerCase() ||
      parsed.data.document.kind !== kind
    ) {
      throw corrupt(datasetId, kind);
    }
    this.#known.set(file, parsed.data as RememberedPolicy);
    return parsed.data as RememberedPolicy;
  }

  remember(datasetId: string, kind: PolicyKind, remembered: RememberedPolicy): Promise<void> {
    const file = this.#file(datasetId, kind);
    const task = async () => {
      this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
      await this.#ready;
      await replaceFile(file, `${JSON.stringify(remembered)}\n`);
      this.#known.set(file, remembered);
    };
    const run = (this.#locks.get(file) ?? Promise.resolve()).then(task, task);
    this.#locks.set(
      file,
      run.catch(() => {}),
    );
    return run;
  }

  #file(datasetId: string, kind: PolicyKind): string {
    const id = datasetId.toLowerCase();
    // Both become a file name: only the exact shapes, so no path can be smuggled in.
    if (!DATASET_ID.test(id) || !PolicyKindSchema.safeParse(kind).success) {
      throw new Cce4longError("VALIDATION_FAILED", "Dataset id or policy kind malformed");
    }
    return join(this.#dir, `${id}.${kind}.json`);
  }
}

function corrupt(datasetId: string, kind: PolicyKind, cause?: unknown): Cce4longError {
  return new Cce4longError("POLICY_STATE_CORRUPT", "The remembered policy of a dataset cannot be read", {
    detail: { datasetId, kind },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Key versions kept on disk (runs inside the TEE: in production the folder is on dstack's encrypted,
 * measured disk; locally under the stack's state folder). One JSON file per dataset, replaced atomically
 * (write a temporary file, then rename); compare-and-set is serialized per dataset within the process,
 * which is the only writer of its folder. The state holds no secret (versions, statuses, fingerprints).
 * A file that does not parse is an error, never "no state": a dataset must not silently fall back to
 * version 1 and write under a key its readers do not expect.
 */
import { mkdirSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Cce4longError } from "@cce4long/protocol";
import { z } from "zod";
import type { KeyVersionStore } from "./key-version-store";
import type { DatasetKeyState } from "./key-versions";
import { assertDatasetId } from "./paths";

const StateSchema = z.strictObject({
  datasetId: z.string(),
  currentVersion: z.number().int().min(1),
  versions: z.array(
    z.strictObject({
      version: z.number().int().min(1),
      status: z.enum(["active", "retired"]),
      fingerprint: z.string(),
      createdAt: z.string(),
      retiredAt: z.string().optional(),
    }),
  ),
  revision: z.number().int().min(1),
});

export class FileKeyVersionStore implements KeyVersionStore {
  readonly #dir: string;
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#dir = dir;
  }

  #file(datasetId: string): string {
    assertDatasetId(datasetId);
    return join(this.#dir, `${datasetId}.json`);
  }

  async get(datasetId: string): Promise<DatasetKeyState | undefined> {
    const file = this.#file(datasetId);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new Cce4longError("KEY_PROVIDER_FAILED", "the key-version state cannot be read", {
        cause: error,
      });
    }
    const parsed = StateSchema.safeParse(JSON.parse(text));
    if (!parsed.success || parsed.data.datasetId !== datasetId) {
      throw new Cce4longError("KEY_PROVIDER_FAILED", "the key-version state of a dataset is corrupt", {
        detail: { datasetId },
      });
    }
    return parsed.data;
  }

  compareAndSet(datasetId: string, expectedRevision: number, next: DatasetKeyState): Promise<boolean> {
    const task = async () => {
      const current = await this.get(datasetId);
      if ((current?.revision ?? 0) !== expectedRevision) return false;
      const file = this.#file(datasetId);
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, file);
      return true;
    };
    const result = (this.#locks.get(datasetId) ?? Promise.resolve()).then(task);
    this.#locks.set(
      datasetId,
      result.catch(() => {}),
    );
    return result;
  }
}

/**
 * The production Attester (runs inside a GCE Confidential VM with Intel TDX): asks the kernel for a
 * TDX quote through configfs-tsm (Documentation/ABI/testing/configfs-tsm): make an entry under
 * /sys/kernel/config/tsm/report, write the 64-byte report_data to `inblob`, read the quote from `outblob`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isCce4longError } from "@cce4long/protocol";
import {
  type Attester,
  attesterFailed,
  bytesEqual,
  ensureReportDataLength,
  quoteReportData,
} from "../attester";

export const DEFAULT_TSM_REPORT_PATH = "/sys/kernel/config/tsm/report";
/** The `provider` the TDX guest driver reports; anything else (sev_guest...) is not our TEE. */
const TDX_PROVIDER = "tdx_guest";

/** The four file operations used; configfs entries are directories removed with rmdir, never rm -r. */
export interface ConfigfsIo {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  rmdir(path: string): Promise<void>;
}

export const nodeConfigfsIo: ConfigfsIo = {
  mkdir: async (path) => {
    await mkdir(path);
  },
  writeFile: (path, data) => writeFile(path, data),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  rmdir: (path) => rmdir(path),
};

export interface ConfigfsTsmAttesterOptions {
  /** The tsm report directory; a temp directory in tests. */
  basePath?: string;
  io?: ConfigfsIo;
}

export function createConfigfsTsmAttester(options: ConfigfsTsmAttesterOptions = {}): Attester {
  const basePath = options.basePath ?? DEFAULT_TSM_REPORT_PATH;
  const io = options.io ?? nodeConfigfsIo;
  const text = async (path: string) => new TextDecoder().decode(await io.readFile(path)).trim();

  return {
    async attest(reportData) {
      ensureReportDataLength(reportData);
      // One entry per request: concurrent attesters never share inblob/outblob.
      const entry = join(basePath, `cce4long-${randomUUID()}`);
      try {
        await io.mkdir(entry);
      } catch (error) {
        throw attesterFailed(
          "configfs-tsm unavailable (not a TDX guest, or configfs not mounted)",
          { basePath },
          error,
        );
      }
      try {
        const provider = await text(join(entry, "provider"));
        if (provider !== TDX_PROVIDER) throw attesterFailed("configfs-tsm provider is not TDX", { provider });
        await io.writeFile(join(entry, "inblob"), reportData);
        const generation = await text(join(entry, "generation"));
        const quote = await io.readFile(join(entry, "outblob"));
        // `generation` counts writes: a change means another writer touched our entry in between.
        if ((await text(join(entry, "generation"))) !== generation) {
          throw attesterFailed("configfs-tsm entry was written concurrently");
        }
        const bound = quoteReportData(quote);
        if (!bound) throw attesterFailed("outblob is not a TDX quote", { length: quote.length });
        if (!bytesEqual(bound, reportData)) throw attesterFailed("outblob does not carry our report_data");
        return { kind: "tdx-quote", bytes: quote };
      } catch (error) {
        if (isCce4longError(error)) throw error;
        throw attesterFailed("configfs-tsm request failed", { entry }, error);
      } finally {
        await io.rmdir(entry).catch(() => undefined);
      }
    },
  };
}

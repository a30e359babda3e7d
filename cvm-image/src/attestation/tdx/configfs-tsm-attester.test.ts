/**
 * Tests of the configfs-tsm attester against a fake tsm/report tree in a temp directory, with a
 * fake "kernel" that answers inblob writes with a quote (runs in Node; no TDX needed).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConfigfsIo, createConfigfsTsmAttester, nodeConfigfsIo } from "./configfs-tsm-attester";

const VECTOR_QUOTE = join(import.meta.dirname, "../../../../test/vectors/tdx/tdx_quote");
const REPORT_DATA_OFFSET = 48 + 520;

let base = "";
let realQuote: Uint8Array;
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "cce4long-tsm-"));
  realQuote = new Uint8Array(await readFile(VECTOR_QUOTE));
});
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

interface KernelBehaviour {
  provider?: string;
  /** Bump the generation between the inblob write and the outblob read (another writer). */
  race?: boolean;
  /** What to put in outblob instead of a quote over inblob. */
  outblob?: (inblob: Uint8Array) => Uint8Array;
}

/** Real file operations in the temp tree, plus what the kernel would do on mkdir and inblob writes. */
function fakeKernel(behaviour: KernelBehaviour = {}): ConfigfsIo {
  return {
    async mkdir(path) {
      await nodeConfigfsIo.mkdir(path);
      await writeFile(join(path, "provider"), `${behaviour.provider ?? "tdx_guest"}\n`);
      await writeFile(join(path, "generation"), "0\n");
    },
    async writeFile(path, data) {
      await nodeConfigfsIo.writeFile(path, data);
      if (!path.endsWith("inblob")) return;
      const entry = join(path, "..");
      const quote = behaviour.outblob ? behaviour.outblob(data) : realQuote.slice();
      if (!behaviour.outblob) quote.set(data, REPORT_DATA_OFFSET);
      await writeFile(join(entry, "outblob"), quote);
      await writeFile(join(entry, "generation"), "1\n");
    },
    async readFile(path) {
      if (behaviour.race && path.endsWith("outblob")) await writeFile(join(path, "..", "generation"), "2\n");
      return nodeConfigfsIo.readFile(path);
    },
    // A real configfs entry is removed with rmdir; the fake tree has real files in it.
    rmdir: (path) => rm(path, { recursive: true }),
  };
}

const reportData = new Uint8Array(64).map((_, i) => i);

describe("configfs-tsm attester", () => {
  it("writes report_data to inblob, returns the quote from outblob, and removes its entry", async () => {
    const attester = createConfigfsTsmAttester({ basePath: base, io: fakeKernel() });
    const evidence = await attester.attest(reportData);
    expect(evidence.kind).toBe("tdx-quote");
    expect(evidence.bytes).toHaveLength(realQuote.length);
    expect([...evidence.bytes.subarray(REPORT_DATA_OFFSET, REPORT_DATA_OFFSET + 64)]).toEqual([
      ...reportData,
    ]);
    expect(await readdir(base)).toEqual([]);
  });

  it("error: report_data that is not 64 bytes, before touching the tree", async () => {
    const attester = createConfigfsTsmAttester({ basePath: base, io: fakeKernel() });
    for (const length of [0, 32, 63, 65]) {
      await expect(attester.attest(new Uint8Array(length))).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
    }
    expect(await readdir(base)).toEqual([]);
  });

  it("error: no configfs-tsm (not a TDX guest) -> ATTESTER_FAILED, with the real file system", async () => {
    const attester = createConfigfsTsmAttester({ basePath: join(base, "does-not-exist") });
    await expect(attester.attest(reportData)).rejects.toMatchObject({ code: "ATTESTER_FAILED" });
  });

  it("error: a provider other than tdx_guest", async () => {
    const attester = createConfigfsTsmAttester({ basePath: base, io: fakeKernel({ provider: "sev_guest" }) });
    await expect(attester.attest(reportData)).rejects.toMatchObject({
      code: "ATTESTER_FAILED",
      detail: expect.objectContaining({ provider: "sev_guest" }),
    });
    expect(await readdir(base)).toEqual([]);
  });

  it("error: another writer changed the entry between inblob and outblob", async () => {
    const attester = createConfigfsTsmAttester({ basePath: base, io: fakeKernel({ race: true }) });
    await expect(attester.attest(reportData)).rejects.toMatchObject({
      detail: expect.objectContaining({ problem: "configfs-tsm entry was written concurrently" }),
    });
  });

  it("error: an outblob that is not a TDX quote, or carries other report_data", async () => {
    const notAQuote = createConfigfsTsmAttester({
      basePath: base,
      io: fakeKernel({ outblob: () => new Uint8Array(10) }),
    });
    await expect(notAQuote.attest(reportData)).rejects.toMatchObject({
      detail: expect.objectContaining({ problem: "outblob is not a TDX quote" }),
    });
    const otherData = createConfigfsTsmAttester({
      basePath: base,
      io: fakeKernel({ outblob: () => realQuote.slice() }),
    });
    await expect(otherData.attest(reportData)).rejects.toMatchObject({
      detail: expect.objectContaining({ problem: "outblob does not carry our report_data" }),
    });
    expect(await readdir(base)).toEqual([]);
  });

  it("the default io removes entries with rmdir (what configfs requires), not a recursive delete", async () => {
    const dir = join(base, "entry");
    await mkdir(dir);
    await writeFile(join(dir, "file"), "x");
    await expect(nodeConfigfsIo.rmdir(dir)).rejects.toThrow();
    await rm(dir, { recursive: true });
  });
});

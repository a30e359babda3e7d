/** The file-backed key-version store keeps versions across restarts and refuses stale or corrupt state. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileKeyVersionStore } from "./file-key-version-store";
import { initialKeyState, rotatedKeyState } from "./key-versions";

const dir = mkdtempSync(join(tmpdir(), "cce4long-kvs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = new Date("2026-11-21T00:00:00Z");

describe("FileKeyVersionStore", () => {
  it("keeps a dataset's versions across a new store over the same folder (a restart)", async () => {
    const first = new FileKeyVersionStore(dir);
    const v1 = initialKeyState("ds-a", "f1", now);
    expect(await first.compareAndSet("ds-a", 0, v1)).toBe(true);
    const v2 = rotatedKeyState(v1, "f2", now);
    expect(await first.compareAndSet("ds-a", v1.revision, v2)).toBe(true);
    const again = await new FileKeyVersionStore(dir).get("ds-a");
    expect(again?.currentVersion).toBe(2);
    expect(again?.versions.map((v) => v.fingerprint)).toEqual(["f1", "f2"]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refuses a write against a stale revision, also when two race", async () => {
    const store = new FileKeyVersionStore(dir);
    const v1 = initialKeyState("ds-b", "f1", now);
    const [a, b] = await Promise.all([
      store.compareAndSet("ds-b", 0, v1),
      store.compareAndSet("ds-b", 0, v1),
    ]);
    expect([a, b].sort()).toEqual([false, true]);
    expect(await store.compareAndSet("ds-b", 0, v1)).toBe(false);
  });

  it("error: a corrupt state file is an error, never 'no state'", async () => {
    writeFileSync(join(dir, "ds-c.json"), "{ not json of ours");
    await expect(new FileKeyVersionStore(dir).get("ds-c")).rejects.toThrow();
    writeFileSync(join(dir, "ds-d.json"), JSON.stringify({ ...initialKeyState("ds-other", "f", now) }));
    await expect(new FileKeyVersionStore(dir).get("ds-d")).rejects.toMatchObject({
      code: "KEY_PROVIDER_FAILED",
    });
  });

  it("error: a dataset id that is not a safe file name is refused", async () => {
    await expect(new FileKeyVersionStore(dir).get("../escape")).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});

/**
 * The file-backed transparency log store (runs in Node): reopens to the same head, refuses racing
 * appends, and refuses a file cut in the middle of a line.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransparencyLog } from "@cce4long/protocol/transparency/log";
import { afterAll, describe, expect, it } from "vitest";
import { fileLogStore } from "./file-log-store";

const dir = mkdtempSync(join(tmpdir(), "cce4long-tlog-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (n: number) => ({
  apiVersion: "cce4long.dev/transparency-entry/v1",
  kind: "algorithm-image",
  loggedAt: "2026-11-21T10:00:00Z",
  imageDigest: `sha256:${n.toString(16).padStart(64, "0")}`,
});

describe("fileLogStore", () => {
  it("writes one canonical entry per line and reopens to the same head", async () => {
    const file = join(dir, "a", "log.jsonl");
    const log = await TransparencyLog.open(fileLogStore(file));
    for (let i = 0; i < 5; i++) await log.append(entry(i));
    expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(5);
    expect((await TransparencyLog.open(fileLogStore(file))).head()).toEqual(log.head());
  });

  it("error: a second writer appending at a stale size is refused", async () => {
    const file = join(dir, "race.jsonl");
    const a = await TransparencyLog.open(fileLogStore(file));
    const b = await TransparencyLog.open(fileLogStore(file));
    await a.append(entry(1));
    await expect(b.append(entry(2))).rejects.toMatchObject({ code: "CONFLICT" });
    expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(1);
  });

  it("error: a file ending in a partial line is refused", async () => {
    const file = join(dir, "partial.jsonl");
    const log = await TransparencyLog.open(fileLogStore(file));
    await log.append(entry(1));
    appendFileSync(file, '{"apiVersion":');
    await expect(TransparencyLog.open(fileLogStore(file))).rejects.toMatchObject({
      code: "TRANSPARENCY_LOG_INVALID",
      message: "transparency log file ends in a partial line",
    });
  });

  it("error: a hand-edited line is refused when the log is opened", async () => {
    const file = join(dir, "edited.jsonl");
    writeFileSync(file, `${JSON.stringify({ ...entry(1), kind: "vm-measurement" })}\n`);
    await expect(TransparencyLog.open(fileLogStore(file))).rejects.toMatchObject({
      code: "TRANSPARENCY_LOG_INVALID",
    });
  });
});

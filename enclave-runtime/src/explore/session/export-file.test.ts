/**
 * Tests of reading a file to export from a session's notebook folder (runs in Node under vitest): plain
 * files only, directly in the folder, never through a symlink, never above the gate's size limit.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isCce4longError } from "@cce4long/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { accessTokenMatches, hashAccessToken, newAccessToken } from "./access-token";
import { readExportFile } from "./export-file";

const dir = mkdtempSync(join(tmpdir(), "explore-export-"));
const outside = mkdtempSync(join(tmpdir(), "explore-outside-"));
writeFileSync(join(dir, "table.csv"), "a,b\n1,2\n");
writeFileSync(join(outside, "secret.csv"), "secret\n");
symlinkSync(join(outside, "secret.csv"), join(dir, "link.csv"));
mkdirSync(join(dir, "sub"));
writeFileSync(join(dir, "sub", "x.csv"), "x\n");
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const code = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (isCce4longError(e) ? e.code : String(e)),
  );

describe("readExportFile", () => {
  it("reads a plain file in the notebook folder", async () => {
    expect(new TextDecoder().decode(await readExportFile(dir, "table.csv", 1000))).toBe("a,b\n1,2\n");
  });

  it("does not follow a symlink planted by the consumer's code", async () => {
    expect(await code(readExportFile(dir, "link.csv", 1000))).toBe("NOT_FOUND");
  });

  it.each(["../x.csv", "sub/x.csv", "/etc/passwd", ".hidden", ""])("refuses the name %j", async (name) => {
    expect(await code(readExportFile(dir, name, 1000))).toBe("VALIDATION_FAILED");
  });

  it("refuses folders, missing files and files above the limit", async () => {
    expect(await code(readExportFile(dir, "sub", 1000))).toBe("VALIDATION_FAILED");
    expect(await code(readExportFile(dir, "missing.csv", 1000))).toBe("NOT_FOUND");
    expect(await code(readExportFile(dir, "table.csv", 3))).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("session access tokens", () => {
  it("match only the token they were made from", () => {
    const token = newAccessToken();
    const hash = hashAccessToken(token);
    expect(accessTokenMatches(token, hash)).toBe(true);
    expect(accessTokenMatches(newAccessToken(), hash)).toBe(false);
    expect(accessTokenMatches(undefined, hash)).toBe(false);
    expect(accessTokenMatches("", hash)).toBe(false);
  });
});

/** Every stable error code has a deliberate exit code, and the documented groups hold. */
import { ERROR_CODES, type ErrorCode } from "@cce4long/protocol";
import { describe, expect, it } from "vitest";
import { EXIT, exitCodeFor } from "./exit-codes";

describe("exit codes", () => {
  it("maps every error code to a defined exit code", () => {
    const exits = new Set<number>(Object.values(EXIT));
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) expect(exits).toContain(exitCodeFor(code));
  });

  it("reports unreachable services as UNAVAILABLE, failed checks as VERIFICATION_FAILED", () => {
    expect(exitCodeFor("PRIVACY_PLANE_UNAVAILABLE")).toBe(EXIT.UNAVAILABLE);
    expect(exitCodeFor("OBJECT_STORE_FAILED")).toBe(EXIT.UNAVAILABLE);
    expect(exitCodeFor("KEY_UNWRAP_FAILED")).toBe(EXIT.VERIFICATION_FAILED);
    expect(exitCodeFor("SEAL_INTEGRITY")).toBe(EXIT.VERIFICATION_FAILED);
    expect(exitCodeFor("UPLOAD_STATE_INVALID")).toBe(EXIT.CONFLICT);
  });
});

/**
 * Publishing job specs (runs in workerd): who may publish, what is refused before the store is
 * touched. Storing and serving against the real object store is covered by test/e2e (the demo story).
 */
import { describe, expect, it } from "vitest";
import { bearer, bob, expectProblem, get, mintTestToken, post } from "./helpers";

const SPEC = {
  apiVersion: "cce4long.dev/job/v1",
  name: "mean-age",
  image: { digest: `sha256:${"ab".repeat(32)}` },
  command: ["/usr/bin/python3", "main.py"],
  outputs: [{ kind: "free_text", path: "out.txt", description: "a sentence", format: "txt" }],
};

describe("POST /v1/algorithms/specs", () => {
  it("error: no token", async () => {
    await expectProblem(await post("/v1/algorithms/specs", SPEC), 401, "AUTH_REQUIRED");
  });

  it("error: a spec that fails validation names the problem and stores nothing", async () => {
    const token = await mintTestToken({ sub: bob.address });
    const { image: _image, ...withoutImage } = SPEC;
    const problem = await expectProblem(
      await post("/v1/algorithms/specs", withoutImage, bearer(token)),
      422,
      "VALIDATION_FAILED",
    );
    expect(JSON.stringify(problem)).toContain("image");
  });

  it("error: an image named by tag instead of digest", async () => {
    const token = await mintTestToken({ sub: bob.address });
    await expectProblem(
      await post("/v1/algorithms/specs", { ...SPEC, image: { digest: "python:3.11" } }, bearer(token)),
      422,
      "VALIDATION_FAILED",
    );
  });

  it("error: malformed JSON", async () => {
    const token = await mintTestToken({ sub: bob.address });
    await expectProblem(await post("/v1/algorithms/specs", "{not json", bearer(token)), 400, "BAD_REQUEST");
  });
});

describe("GET /v1/algorithms/specs/{specCommitment}", () => {
  it("error: a malformed commitment", async () => {
    await expectProblem(await get("/v1/algorithms/specs/0x1234"), 422, "VALIDATION_FAILED");
  });
});

/**
 * Algorithm records (runs anywhere): publish a directory-image job to an in-memory DA layer, fetch it
 * back by the spec commitment, and see every kind of tampering fail the check. The same with the real
 * examples/ folder and the object store: enclave-runtime/src/algorithms/object-store-da.test.ts.
 */
import { type Hex, sha256 } from "viem";
import { describe, expect, it } from "vitest";
import { directoryImageDigest } from "../jobs/directory-image";
import { imageDigestBytes32, jobSpecCommitment } from "../jobs/job-spec";
import { algorithmKeys, algorithmRecordBytes, buildAlgorithm } from "./algorithm-record";
import { memoryDataAvailability } from "./data-availability";
import { fetchVerifiedAlgorithm, publishAlgorithm } from "./publish-fetch";
import { createTar } from "./reproducible-tar";

const enc = (text: string) => new TextEncoder().encode(text);
const FILES = [
  { path: "main.py", bytes: enc("import os\nprint(len(os.listdir(os.environ['CCE4LONG_DATA_DIR'])))\n") },
  { path: "lib/stats.py", bytes: enc("def mean(xs):\n    return sum(xs) / len(xs)\n") },
];
const SPEC = {
  apiVersion: "cce4long.dev/job/v1",
  name: "count-files",
  image: {
    digest: directoryImageDigest(FILES.map((f) => ({ path: f.path, sha256: sha256(f.bytes).slice(2) }))),
  },
  command: ["/usr/bin/python3", "main.py"],
  parameters: { MIN_CELL_COUNT: "10" },
  outputs: [{ kind: "free_text", path: "count.txt", description: "how many files", format: "txt" }],
};
const COMMITMENT = jobSpecCommitment(SPEC);
const IMAGE = imageDigestBytes32(SPEC.image.digest);

async function published() {
  const da = memoryDataAvailability();
  const algorithm = buildAlgorithm(SPEC, FILES);
  await publishAlgorithm(da, algorithm);
  return { da, algorithm };
}

const expectInvalid = (promise: Promise<unknown>, message: string | RegExp) =>
  expect(promise).rejects.toMatchObject({
    code: "ALGORITHM_RECORD_INVALID",
    message: expect.stringMatching(message),
  });

describe("algorithm records", () => {
  it("binds a directory image's source through the spec's image digest", () => {
    const { record } = buildAlgorithm(SPEC, FILES);
    expect(record).toMatchObject({ specCommitment: COMMITMENT, imageDigest: SPEC.image.digest });
    expect(record.source.binding).toBe("directory-image");
  });

  it("fetches by the on-chain commitment and verifies spec, image and source", async () => {
    const { da } = await published();
    const verified = await fetchVerifiedAlgorithm(da, {
      specCommitment: COMMITMENT,
      onChainImageDigest: IMAGE,
    });
    expect(verified.spec.name).toBe("count-files");
    expect(verified.files.map((f) => f.path)).toContain("main.py");
  });

  it("stores the source content-addressed by its sha256", async () => {
    const { da, algorithm } = await published();
    const key = algorithmKeys.source(sha256(algorithm.sourceTar).slice(2));
    expect(da.objects.has(key)).toBe(true);
  });

  it("marks a source that is not the image as only declared (OCI images)", () => {
    const { record } = buildAlgorithm(SPEC, [{ path: "Dockerfile", bytes: enc("FROM x\n") }]);
    expect(record.source.binding).toBe("declared");
  });

  it("error: a tampered stored source fails the check", async () => {
    const { da, algorithm } = await published();
    const key = algorithmKeys.source(algorithm.record.source.sha256);
    const tampered = da.objects.get(key)!;
    tampered[512]! ^= 0x01; // the first content byte (lib/stats.py)
    await expectInvalid(
      fetchVerifiedAlgorithm(da, { specCommitment: COMMITMENT }),
      "the source tarball does not match the sha256 in the algorithm record",
    );
  });

  it("error: a re-pointed record (another source with its own correct sha256) fails the image binding", async () => {
    const { da, algorithm } = await published();
    const evil = FILES.map((f) => (f.path === "main.py" ? { ...f, bytes: enc("leak()\n") } : f));
    const evilTar = createTar(evil);
    const evilSha = sha256(evilTar).slice(2);
    await da.put(algorithmKeys.source(evilSha), evilTar, "application/x-tar");
    const record = {
      ...algorithm.record,
      source: { ...algorithm.record.source, sha256: evilSha, bytes: evilTar.length },
    };
    await da.put(algorithmKeys.record(COMMITMENT), algorithmRecordBytes(record), "application/json");
    await expectInvalid(
      fetchVerifiedAlgorithm(da, { specCommitment: COMMITMENT }),
      "the source files do not hash to the spec's directory-image digest",
    );
  });

  it("error: a tampered stored spec fails the commitment check", async () => {
    const { da } = await published();
    const key = algorithmKeys.spec(COMMITMENT);
    const spec = JSON.parse(new TextDecoder().decode(da.objects.get(key)!)) as Record<string, unknown>;
    da.objects.set(
      key,
      new TextEncoder().encode(JSON.stringify({ ...spec, parameters: { MIN_CELL_COUNT: "1" } })),
    );
    await expectInvalid(
      fetchVerifiedAlgorithm(da, { specCommitment: COMMITMENT }),
      "the job spec does not hash to the on-chain spec commitment",
    );
  });

  it("error: a job whose on-chain image digest differs from the spec's is refused", async () => {
    const { da } = await published();
    await expectInvalid(
      fetchVerifiedAlgorithm(da, {
        specCommitment: COMMITMENT,
        onChainImageDigest: `0x${"ab".repeat(32)}` as Hex,
      }),
      "the spec's image digest is not the on-chain image digest of the job",
    );
  });

  it("error: a record that is not JSON, or names another commitment, is refused", async () => {
    const { da, algorithm } = await published();
    const other = `0x${"cd".repeat(32)}` as Hex;
    da.objects.set(
      algorithmKeys.record(COMMITMENT),
      algorithmRecordBytes({ ...algorithm.record, specCommitment: other }),
    );
    await expectInvalid(
      fetchVerifiedAlgorithm(da, { specCommitment: COMMITMENT }),
      "names another spec commitment",
    );
    da.objects.set(algorithmKeys.record(COMMITMENT), new TextEncoder().encode("{nope"));
    await expectInvalid(fetchVerifiedAlgorithm(da, { specCommitment: COMMITMENT }), "malformed");
  });

  it("error: an algorithm missing from the DA layer is NOT_FOUND", async () => {
    await expect(
      fetchVerifiedAlgorithm(memoryDataAvailability(), { specCommitment: COMMITMENT }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: "the algorithm record is not in the data-availability layer",
    });
  });
});

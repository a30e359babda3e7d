/**
 * Result Manifest verification (runs in tests): a table of manifests — genuine, forged, altered,
 * replayed from another job, released without approval — each with the verdict expected offline,
 * and a table of chain states against the on-chain checks (fake RPC client).
 */
import { type Hex, keccak256, type PublicClient, stringToBytes } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { REVIEW_DECISION_TYPES, reviewDecisionDomain, reviewDecisionMessage } from "../api/reviews";
import { JobStatus } from "../chain/lifecycle";
import { outputsCommitment } from "../jobs/output-bundle";
import { resultManifestHash, resultManifestTypedData } from "./manifest-hash";
import {
  RESULT_ENCRYPTION,
  RESULT_MANIFEST_KIND,
  type ResultManifestBody,
  type SignedResultManifest,
} from "./result-manifest";
import { verifyManifestOffline } from "./verify-manifest";
import { verifyManifestOnChain } from "./verify-on-chain";

const h = (s: string) => keccak256(stringToBytes(s));
const HUB: Hex = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const planeKey = privateKeyToAccount(generatePrivateKey());
const intruder = privateKeyToAccount(generatePrivateKey());
const reviewer = privateKeyToAccount(generatePrivateKey());

const OUTPUTS = [
  { path: "table.csv", sha256: "a".repeat(64), size: 90, plaintextSha256: "b".repeat(64), plaintextSize: 41 },
];

function body(overrides: Partial<ResultManifestBody> = {}): ResultManifestBody {
  return {
    kind: RESULT_MANIFEST_KIND,
    version: 1,
    chainId: 31337,
    hub: HUB,
    jobId: h("job-1"),
    datasetId: h("dataset"),
    datasetVersion: 1,
    datasetVersionRoot: h("root"),
    consumer: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    imageDigest: h("image"),
    specCommitment: h("spec"),
    measurementId: h("measurement"),
    outputsCommitment: outputsCommitment(h("job-1"), [{ path: "table.csv", sha256: "b".repeat(64) }]),
    encryption: RESULT_ENCRYPTION,
    resultPublicKey: h("result-key"),
    outputs: OUTPUTS,
    gate: {
      decision: "auto-approved",
      files: [{ path: "table.csv", verdict: "pass", rules: [] }],
      setRules: [],
      checkedAt: "2026-11-21T10:00:00.000Z",
    },
    reviews: [],
    submittedAt: "2026-11-21T09:59:00.000Z",
    releasedAt: "2026-11-21T10:00:01.000Z",
    signer: planeKey.address,
    ...overrides,
  };
}

async function sign(b: ResultManifestBody, key = planeKey): Promise<SignedResultManifest> {
  return {
    ...b,
    manifestHash: resultManifestHash(b),
    signature: await key.signTypedData(resultManifestTypedData(b)),
  };
}

async function approvedReview(b: ResultManifestBody, signer = reviewer) {
  const fields = {
    jobId: b.jobId,
    datasetId: b.datasetId,
    outputsCommitment: b.outputsCommitment,
    decision: "approve" as const,
    reason: "fine",
    reviewer: reviewer.address,
    nonce: "1",
    deadline: 2_000_000_000,
  };
  const signature = await signer.signTypedData({
    domain: reviewDecisionDomain(b.chainId, b.hub as Hex),
    types: REVIEW_DECISION_TYPES,
    primaryType: "ReviewDecision",
    message: reviewDecisionMessage(fields),
  });
  return {
    reviewer: reviewer.address,
    decision: "approve" as const,
    reasonHash: h("fine"),
    outputsCommitment: b.outputsCommitment,
    nonce: "1",
    deadline: 2_000_000_000,
    signature,
    decidedAt: "2026-11-21T10:00:00.500Z",
  };
}

const reviewed = async (signer = reviewer) => {
  const b = body({ gate: { ...body().gate, decision: "needs-review" } });
  return sign({ ...b, reviews: [await approvedReview(b, signer)] });
};

describe("offline verification", () => {
  const cases: Array<[string, () => Promise<unknown>, RegExp | null, { expectedJobId?: string }?]> = [
    ["a genuine auto-approved manifest", () => sign(body()), null],
    ["a genuine reviewed manifest", () => reviewed(), null],
    [
      "an altered output hash (hash left as signed)",
      async () => {
        const m = await sign(body());
        return { ...m, outputs: [{ ...m.outputs[0], sha256: "c".repeat(64) }] };
      },
      /altered/,
    ],
    [
      "an altered manifest with its hash recomputed",
      async () => {
        const m = await sign(body());
        const changed = { ...body(), datasetVersion: 2 };
        return { ...m, datasetVersion: 2, manifestHash: resultManifestHash(changed) };
      },
      /forged or altered/,
    ],
    [
      "an output list that is not the submitted set (re-signed)",
      () =>
        sign(
          body({
            outputs: [{ ...OUTPUTS[0], plaintextSha256: "d".repeat(64) }] as ResultManifestBody["outputs"],
          }),
        ),
      /outputs commitment/,
    ],
    [
      "a manifest signed by another key in the Privacy Plane's name",
      () => sign(body(), intruder),
      /forged or altered/,
    ],
    ["a manifest replayed from another job", () => sign(body()), /not 0x/, { expectedJobId: h("job-2") }],
    ["a reviewer decision signed by someone else", () => reviewed(intruder), /reviewer decision 1/],
    [
      "a needs-review set released without approval",
      () => sign(body({ gate: { ...body().gate, decision: "needs-review" } })),
      /without a reviewer's approval/,
    ],
    [
      "a set the rules rejected",
      () => sign(body({ gate: { ...body().gate, decision: "rejected-by-rules" } })),
      /rejected/,
    ],
    ["not a manifest at all", async () => ({ hello: "world" }), /not a Result Manifest/],
  ];
  it.each(cases)("%s", async (_name, make, failure, options) => {
    const run = verifyManifestOffline(await make(), options);
    if (failure === null)
      await expect(run).resolves.toMatchObject({ checks: expect.arrayContaining(["signature"]) });
    else
      await expect(run).rejects.toMatchObject({
        code: "MANIFEST_INVALID",
        message: expect.stringMatching(failure),
      });
  });
});

interface ChainState {
  chainId: number;
  signers: string[];
  status: number;
  job: Record<string, unknown>;
  root: Hex;
  released: Hex[];
  measurements: Hex[];
  /** ExploreExportSubmitted records of the id: the session each names. */
  exportSessions?: Hex[];
}

function fakeClient(state: ChainState): PublicClient {
  return {
    getChainId: async () => state.chainId,
    readContract: async ({ functionName, args }: { functionName: string; args: unknown[] }) => {
      switch (functionName) {
        case "isPrivacyPlaneSigner":
          return state.signers.includes(String(args[0]).toLowerCase());
        case "jobStatus":
          return state.status;
        case "getJob":
          return state.job;
        case "datasetVersionRoot":
          return state.root;
      }
      throw new Error(functionName);
    },
    getContractEvents: async ({ eventName }: { eventName: string }) =>
      eventName === "JobResultReleased"
        ? state.released.map((resultManifestHash) => ({ args: { resultManifestHash } }))
        : eventName === "ExploreExportSubmitted"
          ? (state.exportSessions ?? []).map((sessionId) => ({ args: { sessionId } }))
          : state.measurements.map((measurementId) => ({ args: { measurementId } })),
  } as unknown as PublicClient;
}

describe("on-chain verification", async () => {
  const manifest = await sign(body());
  const good = (): ChainState => ({
    chainId: 31337,
    signers: [planeKey.address.toLowerCase()],
    status: JobStatus.ResultReleased,
    job: {
      consumer: manifest.consumer,
      datasetVersion: 1,
      datasetId: manifest.datasetId,
      imageDigest: manifest.imageDigest,
      specCommitment: manifest.specCommitment,
      resultPublicKey: manifest.resultPublicKey,
    },
    root: manifest.datasetVersionRoot as Hex,
    released: [manifest.manifestHash as Hex],
    measurements: [manifest.measurementId as Hex],
  });
  const cases: Array<[string, (s: ChainState) => void, RegExp | null, Hex?]> = [
    ["a manifest whose hash is on-chain", () => {}, null],
    [
      "a signer that is not authorized on-chain",
      (s) => {
        s.signers = [];
      },
      /not an authorized Privacy Plane signer/,
    ],
    [
      "a job not released on-chain",
      (s) => {
        s.status = JobStatus.Approved;
      },
      /not ResultReleased/,
    ],
    [
      "an on-chain release with another manifest hash (replayed manifest)",
      (s) => {
        s.released = [h("other")];
      },
      /another manifest hash/,
    ],
    [
      "no release record at all",
      (s) => {
        s.released = [];
      },
      /no result-released record/,
    ],
    [
      "another image on the on-chain job",
      (s) => {
        s.job.imageDigest = h("evil");
      },
      /imageDigest/,
    ],
    [
      "another dataset version root",
      (s) => {
        s.root = h("other-root");
      },
      /version root/,
    ],
    [
      "another measurement at key release",
      (s) => {
        s.measurements = [h("other-m")];
      },
      /measurement/,
    ],
    [
      "another chain",
      (s) => {
        s.chainId = 1;
      },
      /chain 31337/,
    ],
    ["another hub", () => {}, /names hub/, "0x0000000000000000000000000000000000000001"],
  ];
  it.each(cases)("%s", async (_name, change, failure, hub) => {
    const state = good();
    change(state);
    const run = verifyManifestOnChain(manifest, manifest.manifestHash as Hex, {
      client: fakeClient(state),
      hub: hub ?? HUB,
    });
    if (failure === null) await expect(run).resolves.toContain("result-released-record");
    else
      await expect(run).rejects.toMatchObject({
        code: "MANIFEST_INVALID",
        message: expect.stringMatching(failure),
      });
  });
});

describe("on-chain verification of an Explore export's manifest (no measurement)", async () => {
  const session = h("explore session");
  const manifest = await sign(
    body({
      measurementId: `0x${"00".repeat(32)}`,
      imageDigest: `0x${"00".repeat(32)}`,
      specCommitment: session,
    }),
  );
  const state = (exportSessions: Hex[]): ChainState => ({
    chainId: 31337,
    signers: [planeKey.address.toLowerCase()],
    status: JobStatus.ResultReleased,
    job: {
      consumer: manifest.consumer,
      datasetVersion: 1,
      datasetId: manifest.datasetId,
      imageDigest: manifest.imageDigest,
      specCommitment: manifest.specCommitment,
      resultPublicKey: manifest.resultPublicKey,
    },
    root: manifest.datasetVersionRoot as Hex,
    released: [manifest.manifestHash as Hex],
    measurements: [],
    exportSessions,
  });
  const verify = (exportSessions: Hex[]) =>
    verifyManifestOnChain(manifest, manifest.manifestHash as Hex, {
      client: fakeClient(state(exportSessions)),
      hub: HUB,
    });

  it("verifies against the export record of its session", async () => {
    await expect(verify([session])).resolves.toContain("explore-export-record");
  });

  it("error: a zero measurement without an export record of that session is refused", async () => {
    await expect(verify([])).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
    await expect(verify([h("another session")])).rejects.toMatchObject({ code: "MANIFEST_INVALID" });
  });
});

/**
 * Offline verification of a signed Result Manifest (runs anywhere: the user's machine, a browser):
 * shape, hash, the Privacy Plane's EIP-712 signature and every reviewer's signature. Fails with
 * MANIFEST_INVALID and the reason; what it cannot know offline (is the signer authorized, is this
 * hash on-chain) is verify-on-chain.ts.
 */
import { type Hex, isAddressEqual, recoverTypedDataAddress } from "viem";
import { REVIEW_DECISION_CODES, REVIEW_DECISION_TYPES, reviewDecisionDomain } from "../api/reviews";
import { Cce4longError } from "../errors/index";
import { outputsCommitment } from "../jobs/output-bundle";
import { resultManifestHash, resultManifestTypedData } from "./manifest-hash";
import { manifestBody, type SignedResultManifest, SignedResultManifestSchema } from "./result-manifest";

export interface OfflineVerification {
  manifest: SignedResultManifest;
  manifestHash: Hex;
  /** Names of the checks that passed, in order. */
  checks: string[];
}

export function manifestInvalid(reason: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("MANIFEST_INVALID", `manifest verification failed: ${reason}`, { detail });
}

export async function verifyManifestOffline(
  json: unknown,
  options: { expectedJobId?: string } = {},
): Promise<OfflineVerification> {
  const parsed = SignedResultManifestSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(manifest)"}: ${i.message}`);
    throw manifestInvalid(`not a Result Manifest (${where.join("; ")})`);
  }
  const manifest = parsed.data;
  const checks: string[] = ["schema"];
  const body = manifestBody(manifest);
  const manifestHash = resultManifestHash(body);
  if (manifestHash !== manifest.manifestHash) {
    throw manifestInvalid("the manifest's content does not match its hash (altered)", {
      stated: manifest.manifestHash,
      computed: manifestHash,
    });
  }
  checks.push("hash");
  const commitment = outputsCommitment(
    manifest.jobId,
    manifest.outputs.map((o) => ({ path: o.path, sha256: o.plaintextSha256 })),
  );
  if (commitment !== manifest.outputsCommitment) {
    throw manifestInvalid(
      "the listed outputs are not the output set that was submitted (outputs commitment)",
    );
  }
  checks.push("outputs-commitment");
  if (options.expectedJobId !== undefined && options.expectedJobId.toLowerCase() !== manifest.jobId) {
    throw manifestInvalid(`the manifest is for job ${manifest.jobId}, not ${options.expectedJobId}`);
  }
  const signer = await recover(() =>
    recoverTypedDataAddress({ ...resultManifestTypedData(body), signature: manifest.signature as Hex }),
  );
  if (signer === undefined || !isAddressEqual(signer, manifest.signer as Hex)) {
    throw manifestInvalid("the signature is not the stated signer's (forged or altered)", {
      signer: manifest.signer,
      recovered: signer,
    });
  }
  checks.push("signature");
  for (const [i, review] of manifest.reviews.entries()) {
    const recovered = await recover(() =>
      recoverTypedDataAddress({
        domain: reviewDecisionDomain(manifest.chainId, manifest.hub as Hex),
        types: REVIEW_DECISION_TYPES,
        primaryType: "ReviewDecision",
        message: {
          jobId: manifest.jobId as Hex,
          datasetId: manifest.datasetId as Hex,
          outputsCommitment: review.outputsCommitment as Hex,
          decision: REVIEW_DECISION_CODES[review.decision],
          reasonHash: review.reasonHash as Hex,
          reviewer: review.reviewer as Hex,
          nonce: BigInt(review.nonce),
          deadline: BigInt(review.deadline),
        },
        signature: review.signature as Hex,
      }),
    );
    if (recovered === undefined || !isAddressEqual(recovered, review.reviewer as Hex)) {
      throw manifestInvalid(`reviewer decision ${i + 1} is not signed by its reviewer`, {
        reviewer: review.reviewer,
      });
    }
  }
  if (manifest.reviews.length > 0) checks.push("reviewer-signatures");
  if (manifest.gate.decision === "needs-review" && manifest.reviews.at(-1)?.decision !== "approve") {
    throw manifestInvalid("outputs that needed review were released without a reviewer's approval");
  }
  if (manifest.gate.decision === "rejected-by-rules") {
    throw manifestInvalid("outputs the gate rejected cannot have been released");
  }
  checks.push("decisions");
  return { manifest, manifestHash, checks };
}

async function recover(f: () => Promise<Hex>): Promise<Hex | undefined> {
  try {
    return await f();
  } catch {
    return undefined;
  }
}

/**
 * Publishing algorithm records (runs anywhere): a consumer publishes a job spec before requesting the
 * job on-chain; it is stored content-addressed by its commitment (the bytes32 the job request names),
 * and anyone can fetch it by that commitment and recompute it.
 */
import { z } from "zod";
import { Bytes32Schema } from "./common";

export const SpecPathSchema = z.object({ specCommitment: Bytes32Schema });

export const PublishedSpecSchema = z.object({
  specCommitment: Bytes32Schema.meta({ description: "keccak256 of the spec's RFC 8785 canonical JSON" }),
  imageDigest: Bytes32Schema.meta({ description: "The image digest as the job request takes it (bytes32)" }),
});
export type PublishedSpec = z.infer<typeof PublishedSpecSchema>;

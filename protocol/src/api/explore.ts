/**
 * Explore Mode on the wire (runs anywhere): opening a Jupyter session over a dataset's desensitized
 * sample (edge API -> Privacy Plane), the session's description, and exports through the Output Gate.
 * docs/explore-mode.md explains the flow; the notebook itself is served by the Privacy Plane's proxy.
 */
import { z } from "zod";
import { gateReportSchema } from "../gate/report";
import { declaredOutputSchema } from "../jobs/declared-outputs";
import { AddressSchema, Bytes32Schema, DatasetIdSchema, TimestampSchema } from "./common";

/** The Privacy Plane's Explore routes; the notebook is under `${path}/{sessionId}/jupyter/`. */
export const PRIVACY_PLANE_EXPLORE_SESSIONS_PATH = "/v1/explore/sessions";

export const OpenExploreSessionRequestSchema = z
  .object({ datasetId: DatasetIdSchema })
  .strict()
  .meta({ description: "The dataset to explore (needs an active rental, or the provider's free preview)" });
export type OpenExploreSessionRequest = z.infer<typeof OpenExploreSessionRequestSchema>;

export const ExploreSessionPathSchema = z.object({ sessionId: Bytes32Schema });

/** What the Privacy Plane answers when it opened a session (to the edge API, which passes it on). */
export const ExploreSessionSchema = z
  .object({
    sessionId: Bytes32Schema.meta({ description: "Session id, also recorded on-chain" }),
    datasetId: DatasetIdSchema,
    consumer: AddressSchema,
    freePreview: z.boolean().meta({ description: "True when opened without a rental, as a free preview" }),
    accessToken: z.string().min(32).meta({
      description:
        "The session's bearer token (shown once). Send it as `Authorization: Bearer`, or open jupyterUrl once in a browser",
    }),
    jupyterUrl: z
      .url()
      .meta({ description: "Point a browser here: it exchanges the token for a session cookie" }),
    apiBase: z
      .url()
      .meta({ description: "Base of the notebook server's REST and WebSocket API for this session" }),
    openedAt: TimestampSchema,
    expiresAt: TimestampSchema.meta({ description: "The session is closed at this time" }),
    startMs: z
      .number()
      .int()
      .min(0)
      .meta({ description: "How long the Privacy Plane took to prepare the session" }),
  })
  .strict();
export type ExploreSession = z.infer<typeof ExploreSessionSchema>;

export const ExploreSessionStateSchema = z
  .object({
    sessionId: Bytes32Schema,
    datasetId: DatasetIdSchema,
    consumer: AddressSchema,
    freePreview: z.boolean(),
    jupyterPath: z.string(),
    expiresAt: TimestampSchema,
  })
  .strict();

/**
 * Take one file of the notebook folder out, declared like a job output. `resultPublicKey` (the consumer's
 * X25519 key, as for a job) is needed only if the gate holds the file for review: an approved export is
 * then encrypted to it and fetched like a job result (`GET /v1/jobs/{exportId}/result`).
 */
export const ExploreExportRequestSchema = z
  .object({
    output: declaredOutputSchema,
    resultPublicKey: Bytes32Schema.optional().meta({
      description: "X25519 key an export approved by a reviewer is encrypted to",
    }),
  })
  .strict();
export type ExploreExportRequest = z.input<typeof ExploreExportRequestSchema>;

export const ExploreExportResponseSchema = z
  .object({
    decision: z.enum(["auto-approved", "needs-review", "rejected-by-rules"]),
    released: z.boolean(),
    report: gateReportSchema,
    /** The file's bytes (base64) when the gate approved it automatically. */
    contentBase64: z.string().optional(),
    /** When the gate held the file for review: the review item (its id is also the on-chain job id). */
    review: z
      .object({ exportId: Bytes32Schema, state: z.string(), outputsCommitment: Bytes32Schema })
      .strict()
      .optional(),
  })
  .strict();
export type ExploreExportResponse = z.infer<typeof ExploreExportResponseSchema>;

/**
 * INSECURE development guest agent: the dstack guest API calls, as plain functions over JSON (runs on a
 * developer machine only). Paths and shapes are those @phala/dstack-sdk 0.5.8 sends and reads:
 * /GetKey, /GetQuote, /Attest, /Info, /Version, /EmitEvent. Anything else answers {"error": ...}.
 */
import { createHash, randomBytes } from "node:crypto";
import { Cce4longError } from "@cce4long/protocol";
import { DEV_EVIDENCE_WARNING, encodeDevEvidenceHex } from "@cce4long/protocol/attestation/dev-evidence";
import { z } from "zod";
import type { DevKeyDeriver } from "./derivation";
import { devBootEvents, devMrtd, type EventLogEntry, replayRtmr, runtimeEvent } from "./measurements";

export const DEV_AGENT_VERSION = "0.5.8-cce4long-insecure-dev";

const GetKeyRequest = z.object({
  path: z.string().max(1024).default(""),
  purpose: z.string().max(1024).default(""),
  algorithm: z.enum(["secp256k1", "k256", "", "ed25519"]).default("secp256k1"),
});
const ReportDataRequest = z.object({ report_data: z.string().regex(/^(0x)?[0-9a-fA-F]{0,128}$/) });
const EmitEventRequest = z.object({
  event: z.string().min(1).max(256),
  payload: z
    .string()
    .regex(/^[0-9a-fA-F]*$/)
    .max(8192)
    .default(""),
});

export interface GuestApiOptions {
  deriver: DevKeyDeriver;
  appId: Uint8Array;
  /** The app compose document; its SHA-256 is the compose hash (as dstack computes it). */
  appCompose: string;
}

export type GuestApiHandler = (body: unknown) => unknown;

export function createGuestApi(options: GuestApiOptions): Record<string, GuestApiHandler> {
  const appId = Buffer.from(options.appId).toString("hex");
  const instanceId = randomBytes(20).toString("hex");
  const composeHash = createHash("sha256").update(options.appCompose).digest("hex");
  const events: EventLogEntry[] = [
    ...devBootEvents(),
    runtimeEvent("app-id", options.appId),
    runtimeEvent("compose-hash", Buffer.from(composeHash, "hex")),
    runtimeEvent("instance-id", Buffer.from(instanceId, "hex")),
    runtimeEvent("boot-mr-done", new Uint8Array(0)),
  ];
  const registers = () => ({
    mrtd: devMrtd(),
    rtmr0: replayRtmr(events, 0),
    rtmr1: replayRtmr(events, 1),
    rtmr2: replayRtmr(events, 2),
    rtmr3: replayRtmr(events, 3),
  });
  const evidence = (reportDataHex: string) => {
    // Short report_data is zero-padded on the right to 64 bytes, as the guest agent does.
    const reportData = reportDataHex.replace(/^0x/, "").toLowerCase().padEnd(128, "0");
    const quote = encodeDevEvidenceHex({
      warning: DEV_EVIDENCE_WARNING,
      report_data: reportData,
      ...registers(),
      app_id: appId,
      instance_id: instanceId,
      compose_hash: composeHash,
      issued_at: new Date().toISOString(),
    });
    return { quote, reportData };
  };

  return {
    GetKey(body) {
      const request = parse(GetKeyRequest, body);
      const algorithm = request.algorithm === "ed25519" ? "ed25519" : "secp256k1";
      const derived = options.deriver.getKey(request.path, request.purpose, algorithm);
      try {
        return {
          key: Buffer.from(derived.key).toString("hex"),
          signature_chain: derived.signatureChain.map((signature) => Buffer.from(signature).toString("hex")),
        };
      } finally {
        derived.key.fill(0);
      }
    },
    GetQuote(body) {
      const { quote, reportData } = evidence(parse(ReportDataRequest, body).report_data);
      return {
        quote,
        event_log: JSON.stringify(events),
        report_data: reportData,
        vm_config: JSON.stringify({ insecure_development: true }),
      };
    },
    Attest(body) {
      return { attestation: evidence(parse(ReportDataRequest, body).report_data).quote };
    },
    EmitEvent(body) {
      const request = parse(EmitEventRequest, body);
      events.push(runtimeEvent(request.event, Buffer.from(request.payload, "hex")));
      return {};
    },
    Info() {
      const { mrtd, rtmr0, rtmr1, rtmr2, rtmr3 } = registers();
      const mrAggregated = createHash("sha256")
        .update(Buffer.from(mrtd + rtmr0 + rtmr1 + rtmr2 + rtmr3, "hex"))
        .digest("hex");
      const osImageHash = createHash("sha256").update("cce4long insecure development os image").digest("hex");
      return {
        app_id: appId,
        instance_id: instanceId,
        app_cert: "",
        tcb_info: JSON.stringify({
          mrtd,
          rtmr0,
          rtmr1,
          rtmr2,
          rtmr3,
          mr_aggregated: mrAggregated,
          os_image_hash: osImageHash,
          compose_hash: composeHash,
          device_id: "",
          app_compose: options.appCompose,
          event_log: events,
        }),
        app_name: "cce4long-privacy-plane (INSECURE DEVELOPMENT GUEST AGENT)",
        device_id: "",
        mr_aggregated: mrAggregated,
        os_image_hash: osImageHash,
        key_provider_info: JSON.stringify({
          name: "cce4long-insecure-dev",
          id: Buffer.from(options.deriver.appPublicKey()).toString("hex"),
        }),
        compose_hash: composeHash,
        vm_config: JSON.stringify({ insecure_development: true }),
      };
    },
    Version() {
      return { version: DEV_AGENT_VERSION, rev: "insecure-development" };
    },
  };
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    throw new Cce4longError(
      "BAD_REQUEST",
      `Invalid request: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`,
    );
  }
  return parsed.data;
}

/**
 * INSECURE development Attester (runs on a developer machine, in the local stand-in for the VM):
 * asks the development dstack guest agent for a "quote" over the dstack guest API (GetQuote, through
 * @phala/dstack-sdk). Its evidence is forgeable. It cannot be built outside a development deployment.
 */
import { Cce4longError } from "@cce4long/protocol";
import { decodeDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { DstackClient } from "@phala/dstack-sdk";
import { type Attester, attesterFailed, bytesEqual, ensureReportDataLength } from "../attester";

/** The one guest API call used; DstackClient satisfies it. */
export interface GuestQuoteClient {
  getQuote(reportData: Uint8Array): Promise<{ quote: string }>;
}

export interface DevAttesterOptions {
  /** Must be exactly "development"; anything else throws INSECURE_DEV_REFUSED. */
  deployment: string | undefined;
  /** The dev guest agent: a unix socket path or an http URL (ignored when `client` is given). */
  endpoint?: string;
  client?: GuestQuoteClient;
}

export function createDevAttester(options: DevAttesterOptions): Attester {
  if (options.deployment !== "development") {
    throw new Cce4longError(
      "INSECURE_DEV_REFUSED",
      "The development attester produces forgeable evidence; it is refused unless the deployment is development",
      { detail: { deployment: options.deployment ?? null } },
    );
  }
  const client = (): GuestQuoteClient => {
    if (options.client) return options.client;
    if (!options.endpoint) throw attesterFailed("no development guest agent endpoint configured");
    try {
      return new DstackClient(options.endpoint);
    } catch (error) {
      throw attesterFailed("development guest agent unreachable", { endpoint: options.endpoint }, error);
    }
  };

  return {
    async attest(reportData) {
      ensureReportDataLength(reportData);
      let quoteHex: string;
      try {
        quoteHex = (await client().getQuote(reportData)).quote;
      } catch (error) {
        if (error instanceof Cce4longError) throw error;
        throw attesterFailed(
          "development guest agent GetQuote failed",
          { endpoint: options.endpoint },
          error,
        );
      }
      const bytes = Uint8Array.from(Buffer.from(String(quoteHex).replace(/^0x/, ""), "hex"));
      let bound: Uint8Array;
      try {
        bound = Buffer.from(decodeDevEvidence(bytes).report_data, "hex");
      } catch (error) {
        throw attesterFailed(
          "development guest agent returned something that is not development evidence",
          {},
          error,
        );
      }
      if (!bytesEqual(bound, reportData))
        throw attesterFailed("development evidence does not carry our report_data");
      return { kind: "insecure-dev", bytes };
    },
  };
}

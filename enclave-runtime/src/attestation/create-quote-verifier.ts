/**
 * Builds the Privacy Plane's QuoteVerifier for its deployment (runs inside the TEE). Production gets
 * the TDX verifier and nothing else; a development deployment also accepts development evidence,
 * told apart by its magic, so real TDX quotes still verify the real way there.
 */
import { isDevEvidence } from "@cce4long/protocol/attestation/dev-evidence";
import { createDevQuoteVerifier } from "./insecure/dev-quote-verifier";
import type { DeploymentKind, QuoteVerifier } from "./quote-verifier";
import { createTdxQuoteVerifier, type TdxQuoteVerifierOptions } from "./tdx/tdx-quote-verifier";

export interface QuoteVerifierConfig {
  deployment: DeploymentKind;
  tdx: TdxQuoteVerifierOptions;
}

export function createQuoteVerifier(config: QuoteVerifierConfig): QuoteVerifier {
  const tdx = createTdxQuoteVerifier(config.tdx);
  if (config.deployment !== "development") return tdx;
  const dev = createDevQuoteVerifier({ deployment: config.deployment });
  return {
    verify: (evidence, options) =>
      isDevEvidence(evidence) ? dev.verify(evidence, options) : tdx.verify(evidence, options),
  };
}

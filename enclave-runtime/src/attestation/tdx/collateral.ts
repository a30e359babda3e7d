/**
 * Intel DCAP collateral for TDX quotes (runs inside the TEE and in the CLI): its shape, parsed by a
 * schema, and the platform it belongs to. Collateral is per platform family (FMSPC) and per PCK CA
 * (processor or platform), so that pair is its cache key.
 */
import { X509Certificate } from "node:crypto";
import { isCce4longError } from "@cce4long/protocol";
import type { Collateral as DcapCollateral } from "@phala/dcap-qvl";
import { z } from "zod";
import { ATTESTATION_FAILURE, attestationRejected } from "../attestation-error";

/** DER blobs arrive hex-encoded (files, PCCS) or as byte arrays (dcap-qvl's own fetcher). */
const Bytes = z.union([z.string().regex(/^([0-9a-fA-F]{2})+$/), z.array(z.number().int().min(0).max(255))]);

export const CollateralSchema = z.object({
  pck_crl_issuer_chain: z.string().min(1),
  root_ca_crl: Bytes,
  pck_crl: Bytes,
  tcb_info_issuer_chain: z.string().min(1),
  /** The exact signed JSON text: never re-serialize it, the signature covers these bytes. */
  tcb_info: z.string().min(1),
  tcb_info_signature: Bytes,
  qe_identity_issuer_chain: z.string().min(1),
  qe_identity: z.string().min(1),
  qe_identity_signature: Bytes,
  pck_certificate_chain: z.string().nullish(),
});

export type Collateral = z.infer<typeof CollateralSchema> & DcapCollateral;

export type PckCa = "processor" | "platform";

/** Which platform a quote or a collateral set is for. */
export interface PlatformId {
  /** 6-byte FMSPC, upper-case hex (as Intel writes it in TCB info). */
  fmspc: string;
  ca: PckCa;
}

export function platformKey(platform: PlatformId): string {
  return `${platform.fmspc.toUpperCase()}/${platform.ca}`;
}

/** What a cache needs to know about one collateral set, read from its own signed contents. */
export interface CollateralFacts {
  platform: PlatformId;
  /** The earliest and latest instants at which both TCB info and QE identity are current. */
  validFrom: Date;
  validUntil: Date;
}

const SignedWindow = z.object({ issueDate: z.iso.datetime(), nextUpdate: z.iso.datetime() });
const TcbInfoHead = SignedWindow.extend({ fmspc: z.string().regex(/^[0-9a-fA-F]{12}$/), id: z.string() });

/** Parses collateral from JSON-shaped data; throws ATTESTATION_INVALID/COLLATERAL_INVALID on any defect. */
export function parseCollateral(value: unknown): { collateral: Collateral; facts: CollateralFacts } {
  const parsed = CollateralSchema.safeParse(value);
  if (!parsed.success) {
    throw attestationRejected(ATTESTATION_FAILURE.COLLATERAL_INVALID, {
      fields: [...new Set(parsed.error.issues.map((issue) => issue.path.join(".")))],
    });
  }
  const collateral = parsed.data as Collateral;
  try {
    const tcbInfo = TcbInfoHead.parse(JSON.parse(collateral.tcb_info));
    const qeIdentity = SignedWindow.parse(JSON.parse(collateral.qe_identity));
    const validFrom = new Date(Math.max(Date.parse(tcbInfo.issueDate), Date.parse(qeIdentity.issueDate)));
    const validUntil = new Date(Math.min(Date.parse(tcbInfo.nextUpdate), Date.parse(qeIdentity.nextUpdate)));
    const ca = pckCaOfChain(collateral.pck_crl_issuer_chain, "subject");
    return {
      collateral,
      facts: { platform: { fmspc: tcbInfo.fmspc.toUpperCase(), ca }, validFrom, validUntil },
    };
  } catch (error) {
    if (isCce4longError(error)) throw error;
    throw attestationRejected(
      ATTESTATION_FAILURE.COLLATERAL_INVALID,
      { problem: "tcb_info, qe_identity or pck_crl_issuer_chain unreadable" },
      error,
    );
  }
}

export function isCollateralCurrent(facts: CollateralFacts, now: Date): boolean {
  const t = now.getTime();
  return facts.validFrom.getTime() <= t && t <= facts.validUntil.getTime();
}

/**
 * The PCK CA named by the first certificate of a PEM chain: its subject (for the CRL issuer chain,
 * whose leaf IS the CA) or its issuer (for a PCK chain, whose leaf is signed BY the CA).
 */
export function pckCaOfChain(pemChain: string, field: "subject" | "issuer"): PckCa {
  const first = pemChain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
  if (!first) throw new Error("no PEM certificate in chain");
  const name = new X509Certificate(first[0])[field];
  if (/CN=Intel SGX PCK Platform CA/.test(name)) return "platform";
  if (/CN=Intel SGX PCK Processor CA/.test(name)) return "processor";
  throw new Error(`not an Intel PCK CA: ${name.replace(/\n/g, ", ")}`);
}

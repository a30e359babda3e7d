/**
 * The encrypted form of a released output (runs inside the TEE to seal, on the consumer's machine to
 * open): HPKE (RFC 9180, sealing/src/hpke.ts suite) to the consumer's X25519 result public key from the
 * job request, purpose RESULT_OUTPUT with the dataset id in `info`.
 *
 * Format v1: "c4lr" (4 bytes) | version 0x01 | enc (32 bytes) | AES-256-GCM ciphertext with tag.
 * AAD = the 5 header bytes || job id (0x-hex, lower case) || "/" || output path, so a file cannot be
 * passed off as another job's or another path's. One shot: outputs are bounded by the gate's limits.
 */
import { Cce4longError } from "@cce4long/protocol";
import { HPKE_ENC_BYTES, hpkeOpen, hpkeSeal } from "@cce4long/sealing/hpke";

const MAGIC = new Uint8Array([0x63, 0x34, 0x6c, 0x72]); // "c4lr"
const VERSION = 0x01;
const HEADER_BYTES = MAGIC.length + 1;

export interface ResultFileContext {
  jobId: string;
  datasetId: string;
  path: string;
}

export function isResultEnvelope(bytes: Uint8Array): boolean {
  return bytes.length > HEADER_BYTES + HPKE_ENC_BYTES && MAGIC.every((b, i) => bytes[i] === b);
}

export async function sealResultFile(
  recipientPublicKey: Uint8Array,
  context: ResultFileContext,
  plaintext: Uint8Array,
): Promise<Uint8Array> {
  const header = new Uint8Array([...MAGIC, VERSION]);
  const sealed = await hpkeSeal({
    recipientPublicKey,
    context: { purpose: "RESULT_OUTPUT", datasetId: context.datasetId },
    plaintext,
    aad: aad(header, context),
  });
  const out = new Uint8Array(HEADER_BYTES + sealed.enc.length + sealed.ciphertext.length);
  out.set(header);
  out.set(sealed.enc, HEADER_BYTES);
  out.set(sealed.ciphertext, HEADER_BYTES + sealed.enc.length);
  return out;
}

/** Opens a sealed output; any failure (other key, job, path, altered byte) is KEY_UNWRAP_FAILED. */
export async function openResultFile(
  recipientPrivateKey: Uint8Array,
  context: ResultFileContext,
  envelope: Uint8Array,
): Promise<Uint8Array> {
  if (!isResultEnvelope(envelope)) {
    throw new Cce4longError("SEAL_FORMAT_INVALID", `${context.path} is not a cce4long result file`);
  }
  if (envelope[MAGIC.length] !== VERSION) {
    throw new Cce4longError(
      "SEAL_VERSION_UNSUPPORTED",
      `${context.path} has result format version ${envelope[4]}`,
    );
  }
  const header = envelope.subarray(0, HEADER_BYTES);
  return hpkeOpen({
    recipientPrivateKey,
    context: { purpose: "RESULT_OUTPUT", datasetId: context.datasetId },
    sealed: {
      enc: envelope.slice(HEADER_BYTES, HEADER_BYTES + HPKE_ENC_BYTES),
      ciphertext: envelope.slice(HEADER_BYTES + HPKE_ENC_BYTES),
    },
    aad: aad(header, context),
  });
}

function aad(header: Uint8Array, context: ResultFileContext): Uint8Array {
  const text = new TextEncoder().encode(`${context.jobId.toLowerCase()}/${context.path}`);
  const out = new Uint8Array(header.length + text.length);
  out.set(header);
  out.set(text, header.length);
  return out;
}

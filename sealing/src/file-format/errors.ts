/**
 * The file format's typed failures (runs wherever the format is read or written).
 * Messages are caller-visible: they describe structure and positions, never key bytes or plaintext.
 */
import { Cce4longError } from "@cce4long/protocol";

export function formatInvalid(message: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("SEAL_FORMAT_INVALID", `encrypted file: ${message}`, { detail });
}

export function versionUnsupported(version: number): Cce4longError {
  return new Cce4longError(
    "SEAL_VERSION_UNSUPPORTED",
    `encrypted file: format version ${version} is not supported (this reader knows version 1)`,
    { detail: { version } },
  );
}

export function integrityFailed(message: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("SEAL_INTEGRITY", `encrypted file: ${message}`, { detail });
}

export function keyInvalid(message: string, detail?: Record<string, unknown>): Cce4longError {
  return new Cce4longError("SEAL_KEY_INVALID", message, { detail });
}

/**
 * Reads the job's instance metadata from the GCE metadata server (runs in the Confidential VM): the
 * values the GCE launcher put there under the keys of protocol/src/jobs/vm-metadata.ts. The metadata server is the one host the firewall always allows.
 */
import { Cce4longError } from "@cce4long/protocol";
import { VM_METADATA_KEYS } from "@cce4long/protocol/jobs/vm-metadata";

const METADATA_BASE = "http://metadata.google.internal/computeMetadata/v1/instance/attributes";

export async function readInstanceMetadata(
  fetchImpl: typeof fetch = fetch,
): Promise<Record<keyof typeof VM_METADATA_KEYS, string>> {
  const out: Record<string, string> = {};
  for (const [name, key] of Object.entries(VM_METADATA_KEYS)) {
    let response: Response;
    try {
      response = await fetchImpl(`${METADATA_BASE}/${key}`, { headers: { "Metadata-Flavor": "Google" } });
    } catch (cause) {
      throw new Cce4longError("CONFIG_INVALID", "Instance metadata server unreachable", {
        cause,
        detail: { key },
      });
    }
    if (!response.ok)
      throw new Cce4longError("CONFIG_INVALID", `Instance metadata ${key} missing`, {
        detail: { status: response.status },
      });
    out[name] = (await response.text()).trim();
  }
  return out as Record<keyof typeof VM_METADATA_KEYS, string>;
}

/**
 * Structured logging of the Privacy Plane (runs inside the TEE): one JSON object per line on
 * stdout. Callers pass named fields; nothing here may be given key material or plaintext.
 */
export type LogFields = Record<string, unknown>;

export function log(event: string, fields: LogFields = {}): void {
  process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), event, ...fields })}\n`);
}

/**
 * INSECURE development guest agent: fake but self-consistent measurements (runs on a developer machine
 * only). MRTD and the boot events are fixed SHA-384 values from a label; RTMR3 carries the app id, the
 * compose hash and every EmitEvent, and each RTMR is the replay of the event log exactly as the dstack
 * SDK's replayRtmrs() computes it, so that check passes on development quotes too.
 */
import { createHash } from "node:crypto";
import { DEV_GUEST_AGENT_MEASUREMENT_LABEL } from "@cce4long/sealing/keys/labels";

/** dstack's event type for runtime (RTMR3) events. */
export const DSTACK_RUNTIME_EVENT_TYPE = 0x08000001;
/** Our fake boot events (RTMR0..2); no real firmware wrote them. */
export const DEV_BOOT_EVENT_TYPE = 0x00000001;

export interface EventLogEntry {
  imr: number;
  event_type: number;
  digest: string;
  event: string;
  event_payload: string;
}

export function devMrtd(): string {
  return sha384Hex(`${DEV_GUEST_AGENT_MEASUREMENT_LABEL}:mrtd`);
}

/** The fixed boot part of the log: one fake event in each of RTMR0, 1 and 2. */
export function devBootEvents(): EventLogEntry[] {
  return ["firmware", "kernel", "initrd-and-cmdline"].map((name, imr) => ({
    imr,
    event_type: DEV_BOOT_EVENT_TYPE,
    digest: sha384Hex(`${DEV_GUEST_AGENT_MEASUREMENT_LABEL}:${name}`),
    event: `insecure-dev-${name}`,
    event_payload: "",
  }));
}

/** A runtime event as dstack measures it: SHA-384(type as u32 LE || ":" || event || ":" || payload). */
export function runtimeEvent(event: string, payload: Uint8Array): EventLogEntry {
  const type = Buffer.alloc(4);
  type.writeUInt32LE(DSTACK_RUNTIME_EVENT_TYPE);
  const digest = createHash("sha384")
    .update(type)
    .update(":")
    .update(event)
    .update(":")
    .update(payload)
    .digest("hex");
  return {
    imr: 3,
    event_type: DSTACK_RUNTIME_EVENT_TYPE,
    digest,
    event,
    event_payload: Buffer.from(payload).toString("hex"),
  };
}

/** RTMR[imr] = fold of SHA-384(rtmr || digest) from 48 zero bytes (digests zero-padded to 48 bytes). */
export function replayRtmr(events: readonly EventLogEntry[], imr: number): string {
  let register: Buffer = Buffer.alloc(48);
  for (const entry of events) {
    if (entry.imr !== imr) continue;
    let content = Buffer.from(entry.digest, "hex");
    if (content.length < 48) content = Buffer.concat([content, Buffer.alloc(48 - content.length)]);
    register = createHash("sha384").update(register).update(content).digest();
  }
  return register.toString("hex");
}

function sha384Hex(text: string): string {
  return createHash("sha384").update(text).digest("hex");
}

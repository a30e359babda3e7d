/**
 * @cce4long/sealing: key-material code (encrypted file format, key labels, key wrapping).
 * Trusted parts only: the edge API and the protocol package may not import it.
 */

// --- encrypted file format (docs/encrypted-file-format.md) ---
export * from "./file-format/index";

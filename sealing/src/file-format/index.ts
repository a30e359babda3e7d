/**
 * The cce4long encrypted file format, version 1 (docs/encrypted-file-format.md): public API.
 * Trusted code only (Privacy Plane, boot agent's decrypting FUSE, the data owner's CLI).
 */

export { beginRead, type FileReaderSession } from "./begin-read";
export { beginWrite, type EncryptOptions, type FileWriter } from "./begin-write";
export { type DecryptedFile, decryptBuffer, encryptBuffer } from "./buffer";
export { chunkCount, encryptedFileLength } from "./chunk";
export {
  DEFAULT_CHUNK_SIZE,
  FORMAT_VERSION,
  HEADER_MAX_LENGTH,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  TAG_LENGTH,
} from "./constants";
export { type FileHeader, headerLength, type ParsedHeader, parseHeader } from "./header";
export { decryptRange, openSealedFile, type SealedFile } from "./random-access";
export { bufferReader, type FileRandomAccessReader, openFileReader, type RandomAccessReader } from "./reader";
export {
  decryptStream,
  encryptStream,
  type StreamDecryptOptions,
  type StreamEncryptOptions,
} from "./stream";

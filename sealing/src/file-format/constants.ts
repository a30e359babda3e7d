/**
 * Fixed numbers of the encrypted file format, version 1 (docs/encrypted-file-format.md, sections 3-6).
 * Pure data; runs wherever the format is read or written (Privacy Plane, boot agent FUSE, CLI).
 */

/** `0x89` then ASCII "CCE4LEF"; the high bit keeps text files from looking like a header. */
export const MAGIC = Uint8Array.of(0x89, 0x43, 0x43, 0x45, 0x34, 0x4c, 0x45, 0x46);
export const FORMAT_VERSION = 1;

/** magic (8) + version (1) + dataset_id_len (1): enough to know the header's full length. */
export const HEADER_PREFIX_LENGTH = 10;
/** Header bytes after the dataset id: key_version 4, chunk_size 4, length 8, file_id 16, key_check 32, mac 32. */
export const HEADER_FIXED_TAIL_LENGTH = 96;
export const DATASET_ID_MAX_LENGTH = 128;
/** The longest possible v1 header; a reader may read this many bytes up front. */
export const HEADER_MAX_LENGTH = HEADER_PREFIX_LENGTH + DATASET_ID_MAX_LENGTH + HEADER_FIXED_TAIL_LENGTH;

export const FILE_ID_LENGTH = 16;
export const KEY_CHECK_LENGTH = 32;
export const HEADER_MAC_LENGTH = 32;
export const DATASET_KEY_LENGTH = 32;

export const MIN_CHUNK_SIZE = 64;
export const MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const TAG_LENGTH = 16;
export const NONCE_LENGTH = 12;

/** Lengths stay exact JavaScript integers. */
export const MAX_PLAINTEXT_LENGTH = Number.MAX_SAFE_INTEGER;
export const MAX_KEY_VERSION = 0xffff_ffff;

/** Characters a dataset id may use: it travels in paths, logs and HKDF info unescaped. */
export const DATASET_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

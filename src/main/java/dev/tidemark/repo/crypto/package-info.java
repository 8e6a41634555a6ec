/**
 * Encryption at rest. An encrypted repository (format 4) has a random 256-bit master key, stored only wrapped by
 * passwords ({@link dev.tidemark.repo.crypto.KeyFile}, scrypt and AES-256-GCM, under {@code keys/}). Every other
 * object is encrypted by {@link dev.tidemark.repo.crypto.EncryptedStore} in segments of 64 KiB, each sealed with
 * AES-256-GCM ({@link dev.tidemark.repo.crypto.SegmentCipher}), so a positional read decrypts only the segments it
 * touches and a flipped bit anywhere is an authentication failure naming the object. Object names are not
 * encrypted; they reveal no content: packs are named by a hash keyed with the repository's secret seeds (in the
 * encrypted config), points and journal objects by time and sequence number.
 */
package dev.tidemark.repo.crypto;

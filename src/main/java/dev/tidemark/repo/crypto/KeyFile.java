package dev.tidemark.repo.crypto;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.SCrypt;

/**
 * One password's way to the master key, stored as {@code keys/<id>} in the clear (it must be read before anything
 * can be decrypted): scrypt's parameters and salt, and the master key sealed with AES-256-GCM under the key scrypt
 * derives from the password. It holds nothing else (no host, no user name).
 *
 * @param kdf     always "scrypt"
 * @param n       scrypt's cost (a power of two)
 * @param r       scrypt's block size
 * @param p       scrypt's parallelism
 * @param salt    32 random bytes, base64
 * @param nonce   the 12-byte GCM nonce, base64
 * @param sealed  the 32-byte master key sealed (48 bytes with the tag), base64
 * @param created when the key was added
 */
public record KeyFile(@JsonProperty("kdf") String kdf, @JsonProperty("n") int n, @JsonProperty("r") int r,
                      @JsonProperty("p") int p, @JsonProperty("salt") String salt, @JsonProperty("nonce") String nonce,
                      @JsonProperty("sealed") String sealed, @JsonProperty("created") Instant created) {
    /** 2^15 x 8 x 128 bytes = 32 MiB of memory and about 0.1 s per attempt: costly to guess, cheap to open. */
    static final int N = 1 << 15;
    static final int R = 8;
    static final int P = 1;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] AAD = "tidemark master key".getBytes(StandardCharsets.US_ASCII);

    /** Seals {@code masterKey} under {@code password}. */
    static KeyFile seal(byte[] masterKey, char[] password, Instant now) {
        byte[] salt = new byte[32];
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(salt);
        RANDOM.nextBytes(nonce);
        byte[] kek = derive(password, salt, N, R, P);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(AAD);
            byte[] sealed = c.doFinal(masterKey);
            Base64.Encoder b = Base64.getEncoder();
            return new KeyFile("scrypt", N, R, P, b.encodeToString(salt), b.encodeToString(nonce),
                    b.encodeToString(sealed), now);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this Java", e);
        }
    }

    /** The master key, or null if {@code password} is not this key's; {@code what} names the key in errors. */
    byte[] open(char[] password, String what) throws IOException {
        if (!"scrypt".equals(kdf) || n < 2 || Integer.bitCount(n) != 1 || n > (1 << 20) || r < 1 || r > 32 || p < 1
                || p > 16) {
            throw new IOException(what + " has parameters this tidemark does not use (" + kdf
                    + ", N=" + n + ", r=" + r + ", p=" + p + "): damaged, or written by a newer tidemark");
        }
        if (salt == null || nonce == null || sealed == null) {
            throw new dev.tidemark.repo.DamageException(what + " is damaged: its salt, nonce or sealed key is missing");
        }
        Base64.Decoder b = Base64.getDecoder();
        SegmentCipher.warmUp(); // beside scrypt, on the other core
        try {
            byte[] kek = derive(password, b.decode(salt), n, r, p);
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, b.decode(nonce)));
            c.updateAAD(AAD);
            return c.doFinal(b.decode(sealed));
        } catch (AEADBadTagException e) {
            return null;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new dev.tidemark.repo.DamageException(what + " is damaged: " + e.getMessage(), e);
        }
    }

    private static byte[] derive(char[] password, byte[] salt, int n, int r, int p) {
        // Encoded straight from the chars: a String of the password would stay in the heap until collected.
        java.nio.ByteBuffer b = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(password));
        byte[] pw = new byte[b.remaining()];
        b.get(pw);
        try {
            // OpenSSL's scrypt where it is there (~0.14 s of CPU in a fresh JVM, Bouncy Castle's ~0.2 s), same bytes.
            return Libcrypto.AVAILABLE ? Libcrypto.scrypt(pw, salt, n, r, p, 32)
                    : SCrypt.generate(pw, salt, n, r, p, 32);
        } finally {
            java.util.Arrays.fill(pw, (byte) 0);
            java.util.Arrays.fill(b.array(), (byte) 0);
        }
    }

    byte[] toJson() throws IOException {
        return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
    }

    static KeyFile parse(byte[] json, String what) throws IOException {
        return dev.tidemark.repo.CheckedRecord.parse(json, KeyFile.class, what);
    }
}

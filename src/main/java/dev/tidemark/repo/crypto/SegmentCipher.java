package dev.tidemark.repo.crypto;

import dev.tidemark.repo.DamageException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The layout of an encrypted object: a 16-byte header ({@code TMX1}, 4 reserved bytes, an 8-byte random nonce prefix
 * chosen per object), then the plaintext in segments of {@value #SEGMENT} bytes (the last shorter, and an empty
 * object one empty segment), each sealed with AES-256-GCM: nonce = the prefix and the segment's number, additional
 * data = the number and whether it is the last, tag 16 bytes. A segment moved, dropped, or an object cut short at a
 * segment boundary fails authentication like a flipped bit.
 */
final class SegmentCipher {
    static final int SEGMENT = 64 << 10;
    static final int TAG = 16;
    static final int HEADER = 16;
    static final int SEALED = SEGMENT + TAG;
    private static final byte[] MAGIC = {'T', 'M', 'X', '1'};
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Cipher.getInstance looks the provider up each time: one instance per thread, re-initialised per segment. */
    private static final ThreadLocal<Cipher> GCM = ThreadLocal.withInitial(() -> {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this Java", e);
        }
    });

    /** Small segments sealed and opened by the warm-up: enough calls for the JIT to compile GCM's intrinsics. */
    private static final int WARM_UP_ROUNDS = 8000;
    private static final java.util.concurrent.atomic.AtomicBoolean WARMING = new java.util.concurrent.atomic.AtomicBoolean();

    private final Libcrypto.Gcm gcm;
    private final Jdk jdk;

    /** Under {@code key}: OpenSSL's AES-GCM where it is there ({@link Libcrypto}), the JDK's where not. */
    SegmentCipher(byte[] key) {
        this(key, Libcrypto.AVAILABLE);
    }

    SegmentCipher(byte[] key, boolean openssl) {
        this.gcm = openssl ? new Libcrypto.Gcm(key) : null;
        this.jdk = openssl ? null : new Jdk(key);
    }

    /**
     * Once per process, in the background: seals and opens {@value #WARM_UP_ROUNDS} segments of 256 bytes under a
     * throwaway key. The JDK's AES-GCM runs at about 45 MB/s until the optimising compiler has seen its GHASH loop
     * called some thousands of times and replaced it with the carry-less-multiply intrinsic (about 2 GB/s); a
     * restore of 64 KiB segments gets there only after 100-odd MiB. The warm-up gets there in about 0.2 s of the
     * other core, while the password's scrypt runs.
     */
    static void warmUp() {
        if (Libcrypto.AVAILABLE || !WARMING.compareAndSet(false, true)) {
            return;
        }
        Thread t = new Thread(() -> {
            byte[] k = new byte[32];
            RANDOM.nextBytes(k);
            Jdk c = new Jdk(k);
            byte[] header = newHeader();
            byte[] plain = new byte[256];
            byte[] sealed = new byte[plain.length + TAG];
            try {
                for (int i = 0; i < WARM_UP_ROUNDS; i++) {
                    int n = c.seal(header, i, false, plain, 0, plain.length, sealed, 0);
                    c.open(header, i, false, sealed, 0, n, plain, 0, "warm-up");
                }
            } catch (DamageException | RuntimeException e) {
                // only ever slower, never wrong: the real segments are sealed and opened as always
            }
        }, "tidemark-gcm-warm-up");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        t.start();
    }

    /** A new object's header, with a fresh random nonce prefix. */
    static byte[] newHeader() {
        byte[] h = new byte[HEADER];
        System.arraycopy(MAGIC, 0, h, 0, 4);
        byte[] prefix = new byte[8];
        RANDOM.nextBytes(prefix);
        System.arraycopy(prefix, 0, h, 8, 8);
        return h;
    }

    static void checkHeader(byte[] h, String object) throws DamageException {
        for (int i = 0; i < 4; i++) {
            if (h[i] != MAGIC[i]) {
                throw new DamageException(object + ": not an encrypted tidemark object (damaged, or written "
                        + "without the repository's key)");
            }
        }
    }

    /** Plaintext size of a ciphertext of {@code sealed} bytes; -1 if no plaintext has that size (damage). */
    static long plainSize(long sealed) {
        long m = sealed - HEADER;
        if (m < TAG) {
            return -1;
        }
        long segments = (m + SEALED - 1) / SEALED;
        long last = m - (segments - 1) * SEALED;
        if (last < TAG) {
            return -1;
        }
        return m - segments * TAG;
    }

    /** Seals {@code len} bytes of segment {@code n} into {@code out} at {@code outOff}; returns the bytes written. */
    int seal(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff) {
        return gcm != null ? gcm.seal(header, n, last, in, off, len, out, outOff)
                : jdk.seal(header, n, last, in, off, len, out, outOff);
    }

    /**
     * Opens segment {@code n} ({@code len} sealed bytes); returns the plaintext bytes written to {@code out}, which
     * may be {@code in} itself, at the same offset.
     */
    int open(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff, String object)
            throws DamageException {
        return gcm != null ? gcm.open(header, n, last, in, off, len, out, outOff, object)
                : jdk.open(header, n, last, in, off, len, out, outOff, object);
    }

    static DamageException unauthentic(String object, long n) {
        return new DamageException(object + ": segment " + n + " fails authentication: the object was damaged or "
                + "altered");
    }

    /** The JDK's AES-GCM: fast only once C2 has compiled it (bin/tidemark's crypto directives). */
    static final class Jdk {
        private final SecretKeySpec key;

        Jdk(byte[] key) {
            this.key = new SecretKeySpec(key, "AES");
        }

        int seal(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff) {
            try {
                return cipher(Cipher.ENCRYPT_MODE, header, n, last).doFinal(in, off, len, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM is not available in this Java", e);
            }
        }

        int open(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff,
                 String object) throws DamageException {
            try {
                return cipher(Cipher.DECRYPT_MODE, header, n, last).doFinal(in, off, len, out, outOff);
            } catch (AEADBadTagException e) {
                throw unauthentic(object, n);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-GCM is not available in this Java", e);
            }
        }

        /** This thread's GCM cipher, set for segment {@code n} of the object whose header is {@code header}. */
        private Cipher cipher(int mode, byte[] header, long n, boolean last) throws GeneralSecurityException {
            Cipher c = GCM.get();
            c.init(mode, key, new GCMParameterSpec(TAG * 8, nonce(header, n)));
            c.updateAAD(aad(n, last));
            return c;
        }
    }

    private static byte[] nonce(byte[] header, long n) {
        byte[] nonce = new byte[12];
        System.arraycopy(header, 8, nonce, 0, 8);
        nonce[8] = (byte) (n >>> 24);
        nonce[9] = (byte) (n >>> 16);
        nonce[10] = (byte) (n >>> 8);
        nonce[11] = (byte) n;
        return nonce;
    }

    private static byte[] aad(long n, boolean last) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) (last ? 1 : 0)};
    }
}

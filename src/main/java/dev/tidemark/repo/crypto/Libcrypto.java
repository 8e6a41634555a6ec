package dev.tidemark.repo.crypto;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM and scrypt from the system's OpenSSL (libcrypto 3 or 1.1), bound through JNA, where it is there.
 *
 * <p>Why: a one-shot command runs the C1 compiler alone, in which the JDK's AES-GCM does about 30 MB/s; the JDK's
 * fast GCM needs C2, which for a restore meant compiling hot code twice and a new GCM engine and GHASH state per
 * 64 KiB segment. OpenSSL's AES-GCM uses AES-NI and carry-less multiplication whatever the JIT does, keeps its key
 * schedule in one context per thread, and makes no garbage. Its scrypt is native too. The bytes are the same as the
 * JDK's and Bouncy Castle's: the self-test at load compares a sealed segment with the JDK's, and tests compare both
 * ways; if the library is missing or the test fails, {@link #AVAILABLE} is false and the JDK is used.
 * {@code TIDEMARK_CRYPTO=jdk} (or {@code -Dtidemark.crypto=jdk}) asks for the JDK.
 */
final class Libcrypto {
    private static final Logger LOG = LoggerFactory.getLogger(Libcrypto.class);
    private static final int EVP_CTRL_AEAD_GET_TAG = 0x10;
    private static final int EVP_CTRL_AEAD_SET_TAG = 0x11;
    /** Frees contexts nothing holds; before {@link #AVAILABLE}, whose self-test makes one. */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    static final boolean AVAILABLE = load();

    private Libcrypto() {
    }

    private static boolean load() {
        String asked = System.getProperty("tidemark.crypto", System.getenv("TIDEMARK_CRYPTO"));
        if ("jdk".equals(asked)) {
            return false;
        }
        for (String name : new String[] {"libcrypto.so.3", "libcrypto.so.1.1", "crypto"}) {
            try {
                Native.register(Libcrypto.class, NativeLibrary.getInstance(name));
                if (selfTest()) {
                    return true;
                }
                LOG.warn("{}: AES-GCM does not agree with the JDK's; using the JDK's", name);
                return false;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                LOG.debug("{} not used: {}", name, e.toString());
            }
        }
        return false;
    }

    /** One segment sealed here and by the JDK under the same key, nonce and data: the bytes must be the same. */
    private static boolean selfTest() {
        byte[] key = new byte[32];
        byte[] header = new byte[SegmentCipher.HEADER];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 1);
        }
        header[9] = 42;
        byte[] plain = new byte[100];
        Arrays.fill(plain, (byte) 'x');
        byte[] ours = new byte[plain.length + SegmentCipher.TAG];
        byte[] jdk = new byte[ours.length];
        Gcm g = new Gcm(key);
        try {
            g.seal(header, 3, true, plain, 0, plain.length, ours, 0);
            new SegmentCipher.Jdk(key).seal(header, 3, true, plain, 0, plain.length, jdk, 0);
            byte[] back = new byte[plain.length];
            return Arrays.equals(ours, jdk) && g.open(header, 3, true, ours, 0, ours.length, back, 0, "self-test")
                    == plain.length && Arrays.equals(back, plain);
        } catch (dev.tidemark.repo.DamageException e) {
            return false;
        }
    }

    // libcrypto, bound directly (no interface proxy): pointers are contexts and native buffers.
    static native Pointer EVP_CIPHER_CTX_new();

    static native void EVP_CIPHER_CTX_free(Pointer ctx);

    static native Pointer EVP_aes_256_gcm();

    static native int EVP_CipherInit_ex(Pointer ctx, Pointer cipher, Pointer engine, Pointer key, Pointer iv, int enc);

    static native int EVP_CipherUpdate(Pointer ctx, Pointer out, Pointer outl, Pointer in, int inl);

    static native int EVP_CipherFinal_ex(Pointer ctx, Pointer out, Pointer outl);

    static native int EVP_CIPHER_CTX_ctrl(Pointer ctx, int type, int arg, Pointer ptr);

    static native int EVP_PBE_scrypt(Pointer pass, long passlen, Pointer salt, long saltlen, long n, long r, long p,
                                     long maxmem, Pointer key, long keylen);

    /** scrypt, the same bytes as Bouncy Castle's; the password and the key are wiped from native memory after. */
    static byte[] scrypt(byte[] password, byte[] salt, int n, int r, int p, int keyLen) {
        Memory pw = new Memory(Math.max(1, password.length));
        Memory s = new Memory(Math.max(1, salt.length));
        Memory out = new Memory(keyLen);
        try {
            pw.write(0, password, 0, password.length);
            s.write(0, salt, 0, salt.length);
            // scrypt's own working memory, 128 * r * (N + p + 2) bytes; OpenSSL refuses more than maxmem.
            long maxmem = 128L * r * (n + p + 2) + (1 << 20);
            if (EVP_PBE_scrypt(pw, password.length, s, salt.length, n, r, p, maxmem, out, keyLen) != 1) {
                throw new IllegalStateException("OpenSSL's scrypt failed (N=" + n + ", r=" + r + ", p=" + p + ")");
            }
            return out.getByteArray(0, keyLen);
        } finally {
            pw.clear();
            out.clear();
            pw.close();
            s.close();
            out.close();
        }
    }

    /**
     * AES-256-GCM under one key: a pool of OpenSSL contexts, each set up with the key once and with buffers of its
     * own, taken by one thread for one segment at a time; a context is freed (and its key schedule wiped, which
     * EVP_CIPHER_CTX_free does) once nothing holds it.
     */
    static final class Gcm {
        private final ConcurrentLinkedQueue<Ctx> pool = new ConcurrentLinkedQueue<>();
        private final byte[] key;

        Gcm(byte[] key) {
            this.key = key.clone();
        }

        int seal(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff) {
            Ctx c = take();
            try {
                c.start(header, n, last, 1);
                int m = c.update(in, off, len);
                m += c.finish(m);
                if (m != len || EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_GET_TAG, SegmentCipher.TAG,
                        c.aux.share(AUX_TAG)) != 1) {
                    throw new IllegalStateException("OpenSSL's AES-GCM failed to seal a segment");
                }
                c.out.read(0, out, outOff, m);
                c.aux.read(AUX_TAG, out, outOff + m, SegmentCipher.TAG);
                return m + SegmentCipher.TAG;
            } finally {
                pool.add(c);
            }
        }

        int open(byte[] header, long n, boolean last, byte[] in, int off, int len, byte[] out, int outOff,
                 String object) throws dev.tidemark.repo.DamageException {
            int body = len - SegmentCipher.TAG;
            if (body < 0) {
                throw SegmentCipher.unauthentic(object, n);
            }
            Ctx c = take();
            try {
                c.start(header, n, last, 0);
                int m = c.update(in, off, body);
                c.aux.write(AUX_TAG, in, off + body, SegmentCipher.TAG);
                if (EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_AEAD_SET_TAG, SegmentCipher.TAG, c.aux.share(AUX_TAG)) != 1) {
                    throw new IllegalStateException("OpenSSL's AES-GCM did not take a tag");
                }
                if (EVP_CipherFinal_ex(c.ctx, c.out.share(m), c.aux.share(AUX_OUTL)) <= 0) {
                    throw SegmentCipher.unauthentic(object, n);
                }
                m += c.aux.getInt(AUX_OUTL);
                c.out.read(0, out, outOff, m);
                return m;
            } finally {
                pool.add(c);
            }
        }

        private Ctx take() {
            Ctx c = pool.poll();
            return c != null ? c : new Ctx(key);
        }
    }

    private static final int AUX_IV = 0;
    private static final int AUX_AAD = 16;
    private static final int AUX_TAG = 32;
    private static final int AUX_OUTL = 48;

    /** One OpenSSL context keyed once, and the native buffers a segment passes through. */
    private static final class Ctx {
        final Pointer ctx;
        final Memory in = new Memory(SegmentCipher.SEALED);
        final Memory out = new Memory(SegmentCipher.SEALED);
        final Memory aux = new Memory(64);

        Ctx(byte[] key) {
            Pointer c = EVP_CIPHER_CTX_new();
            if (c == null) {
                throw new OutOfMemoryError("OpenSSL could not allocate a cipher context");
            }
            ctx = c;
            CLEANER.register(this, () -> EVP_CIPHER_CTX_free(c));
            Memory k = new Memory(32);
            try {
                k.write(0, key, 0, 32);
                if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), null, k, null, 1) != 1) {
                    throw new IllegalStateException("OpenSSL's AES-256-GCM did not take the key");
                }
            } finally {
                k.clear();
                k.close();
            }
        }

        /** Sets the nonce and the additional data of segment {@code n} (the key stays), {@code enc} 1 or 0. */
        void start(byte[] header, long n, boolean last, int enc) {
            aux.write(AUX_IV, header, 8, 8);
            aux.setInt(AUX_IV + 8, Integer.reverseBytes((int) n)); // big-endian, as SegmentCipher's nonce
            aux.setInt(AUX_AAD, Integer.reverseBytes((int) n));
            aux.setByte(AUX_AAD + 4, (byte) (last ? 1 : 0));
            if (EVP_CipherInit_ex(ctx, null, null, null, aux.share(AUX_IV), enc) != 1
                    || EVP_CipherUpdate(ctx, null, aux.share(AUX_OUTL), aux.share(AUX_AAD), 5) != 1) {
                throw new IllegalStateException("OpenSSL's AES-GCM did not start a segment");
            }
        }

        int update(byte[] src, int off, int len) {
            if (len == 0) {
                return 0;
            }
            in.write(0, src, off, len);
            if (EVP_CipherUpdate(ctx, out, aux.share(AUX_OUTL), in, len) != 1) {
                throw new IllegalStateException("OpenSSL's AES-GCM failed on a segment");
            }
            return aux.getInt(AUX_OUTL);
        }

        int finish(int at) {
            if (EVP_CipherFinal_ex(ctx, out.share(at), aux.share(AUX_OUTL)) != 1) {
                throw new IllegalStateException("OpenSSL's AES-GCM failed to finish a segment");
            }
            return aux.getInt(AUX_OUTL);
        }
    }
}

package dev.tidemark.repo.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.repo.DamageException;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.crypto.generators.SCrypt;
import org.junit.jupiter.api.Test;

/**
 * OpenSSL's AES-GCM and scrypt (through JNA) make the same bytes as the JDK's and Bouncy Castle's, so a repository
 * written by either is read by the other, and OpenSSL's refuses what the JDK's refuses. CI's machine has libcrypto
 * (.ci/run installs it), so these run against it there rather than passing by skipping.
 */
class LibcryptoTest {
    private static final int[] SIZES = {0, 1, 15, 16, 17, 1000, SegmentCipher.SEGMENT - 1, SegmentCipher.SEGMENT};

    @Test
    void openSslIsThereAndSealsTheSameBytesAsTheJdkBothWays() throws Exception {
        assertTrue(Libcrypto.AVAILABLE, "libcrypto (OpenSSL 3 or 1.1) should be found on this machine");
        Random r = new Random(11);
        byte[] key = new byte[32];
        r.nextBytes(key);
        SegmentCipher ours = new SegmentCipher(key, true);
        SegmentCipher jdk = new SegmentCipher(key, false);
        for (int size : SIZES) {
            for (long n : new long[] {0, 1, 70_000, 0xFFFF_FFFFL}) {
                for (boolean last : new boolean[] {false, true}) {
                    byte[] header = SegmentCipher.newHeader();
                    byte[] plain = new byte[size];
                    r.nextBytes(plain);
                    byte[] a = new byte[size + SegmentCipher.TAG + 3];
                    byte[] b = new byte[a.length];
                    String what = size + " bytes, segment " + n + (last ? ", last" : "");
                    assertEquals(size + SegmentCipher.TAG, ours.seal(header, n, last, plain, 0, size, a, 3), what);
                    assertEquals(size + SegmentCipher.TAG, jdk.seal(header, n, last, plain, 0, size, b, 3), what);
                    assertArrayEquals(b, a, what);
                    byte[] back = new byte[size + 5];
                    assertEquals(size, ours.open(header, n, last, b, 3, size + SegmentCipher.TAG, back, 5, "o"), what);
                    assertArrayEquals(plain, Arrays.copyOfRange(back, 5, 5 + size), what);
                    Arrays.fill(back, (byte) 0);
                    assertEquals(size, jdk.open(header, n, last, a, 3, size + SegmentCipher.TAG, back, 5, "o"), what);
                    assertArrayEquals(plain, Arrays.copyOfRange(back, 5, 5 + size), what);
                }
            }
        }
    }

    @Test
    void openSslRefusesAFlippedBitAMovedSegmentAndTheWrongLastFlag() throws Exception {
        assertTrue(Libcrypto.AVAILABLE);
        byte[] key = new byte[32];
        new Random(12).nextBytes(key);
        SegmentCipher c = new SegmentCipher(key, true);
        byte[] header = SegmentCipher.newHeader();
        byte[] plain = new byte[5000];
        new Random(13).nextBytes(plain);
        byte[] sealed = new byte[plain.length + SegmentCipher.TAG];
        c.seal(header, 7, false, plain, 0, plain.length, sealed, 0);
        byte[] out = new byte[plain.length];
        for (int at : new int[] {0, 2500, plain.length - 1, plain.length, sealed.length - 1}) {
            byte[] bad = sealed.clone();
            bad[at] ^= 0x10;
            DamageException e = assertThrows(DamageException.class,
                    () -> c.open(header, 7, false, bad, 0, bad.length, out, 0, "data/pack-x"));
            assertTrue(e.getMessage().startsWith("data/pack-x: segment 7 fails authentication"), e.getMessage());
        }
        assertThrows(DamageException.class, () -> c.open(header, 8, false, sealed, 0, sealed.length, out, 0, "p"));
        assertThrows(DamageException.class, () -> c.open(header, 7, true, sealed, 0, sealed.length, out, 0, "p"));
        assertThrows(DamageException.class, () -> c.open(header, 7, false, sealed, 0, 10, out, 0, "p"));
        // and the context used for the failures still opens the good segment, in place
        byte[] inPlace = sealed.clone();
        assertEquals(plain.length, c.open(header, 7, false, inPlace, 0, inPlace.length, inPlace, 0, "p"));
        assertArrayEquals(plain, Arrays.copyOf(inPlace, plain.length));
    }

    @Test
    void manyThreadsAtOnceUnderTwoKeysEachGetTheirOwnSegmentsRight() throws Exception {
        assertTrue(Libcrypto.AVAILABLE);
        byte[] k1 = new byte[32];
        byte[] k2 = new byte[32];
        new Random(14).nextBytes(k1);
        new Random(15).nextBytes(k2);
        SegmentCipher[] ours = {new SegmentCipher(k1, true), new SegmentCipher(k2, true)};
        SegmentCipher[] jdk = {new SegmentCipher(k1, false), new SegmentCipher(k2, false)};
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int seed = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    for (int i = 0; i < 300; i++) {
                        int k = r.nextInt(2);
                        byte[] header = SegmentCipher.newHeader();
                        byte[] plain = new byte[r.nextInt(SegmentCipher.SEGMENT + 1)];
                        r.nextBytes(plain);
                        byte[] sealed = new byte[plain.length + SegmentCipher.TAG];
                        ours[k].seal(header, i, false, plain, 0, plain.length, sealed, 0);
                        byte[] back = new byte[plain.length];
                        jdk[k].open(header, i, false, sealed, 0, sealed.length, back, 0, "t");
                        assertArrayEquals(plain, back);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void openSslScryptIsBouncyCastlesScrypt() {
        assertTrue(Libcrypto.AVAILABLE);
        byte[] salt = new byte[16];
        new Random(16).nextBytes(salt);
        for (int[] nrp : new int[][] {{16, 1, 1}, {1024, 8, 1}, {1 << 15, 8, 1}, {256, 4, 3}}) {
            byte[] pw = ("pässword " + nrp[0]).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertArrayEquals(SCrypt.generate(pw, salt, nrp[0], nrp[1], nrp[2], 32),
                    Libcrypto.scrypt(pw, salt, nrp[0], nrp[1], nrp[2], 32), Arrays.toString(nrp));
        }
        // and the RFC 7914 test vector, so both are scrypt and not merely alike
        byte[] expected = java.util.HexFormat.of().parseHex("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
                + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
        assertArrayEquals(expected, Libcrypto.scrypt("password".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                "NaCl".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 1024, 8, 16, 64));
    }
}

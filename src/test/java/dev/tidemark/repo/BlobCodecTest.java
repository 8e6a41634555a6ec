package dev.tidemark.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tidemark.hash.ContentHasher;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * encodeInto (a reused buffer per thread) makes the bytes the segment writer makes, compressed or not, and they
 * decode to the blob: a point's packs are the same whichever way a blob was encoded.
 */
class BlobCodecTest {
    @Test
    void encodeIntoMakesTheSegmentWritersBytesAtEverySizeAndDecodesBack() throws Exception {
        Random r = new Random(31);
        byte[] out = BlobCodec.encodeBuffer();
        for (int len : new int[] {1, 63, 64, 65, 5000, 65536, BlobCodec.SEGMENT - 1, BlobCodec.SEGMENT}) {
            for (int kind = 0; kind < 3; kind++) {
                byte[] raw = new byte[len + 7];
                if (kind == 0) {
                    r.nextBytes(raw); // incompressible: stored raw
                } else if (kind == 1) {
                    Arrays.fill(raw, (byte) 'a'); // compresses well
                } else {
                    r.nextBytes(raw);
                    Arrays.fill(raw, 0, raw.length / 2, (byte) 0); // half and half
                }
                for (boolean compress : new boolean[] {false, true}) {
                    String what = len + " bytes, kind " + kind + (compress ? ", compressing" : "");
                    ByteArrayOutputStream expected = new ByteArrayOutputStream();
                    BlobCodec.writeSegment(expected, raw, 7, len, compress ? BlobCodec.newScratch() : null);
                    int n = BlobCodec.encodeInto(raw, 7, len, compress, out);
                    assertArrayEquals(expected.toByteArray(), Arrays.copyOf(out, n), what);
                    assertArrayEquals(expected.toByteArray(), BlobCodec.encode(raw, 7, len, compress), what);
                    ByteArrayOutputStream back = new ByteArrayOutputStream();
                    ContentHasher h = new ContentHasher(1, 2);
                    BlobCodec.decodeSmall(out, 0, n, len, h.hash(raw, 7, len), h, back::write, what);
                    assertArrayEquals(Arrays.copyOfRange(raw, 7, 7 + len), back.toByteArray(), what);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> BlobCodec.encodeInto(new byte[0], 0, 0, true, out));
        assertEquals(0, BlobCodec.encode(new byte[0], 0, 0, true).length);
    }
}

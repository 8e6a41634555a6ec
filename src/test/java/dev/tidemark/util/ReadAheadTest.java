package dev.tidemark.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadAheadTest {
    @Test
    void handsOutTheSourceByteForByte() throws Exception {
        byte[] data = new byte[(5 << 20) + 12345];
        new Random(1).nextBytes(data);
        try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), 2, "test")) {
            assertArrayEquals(data, in.readAllBytes());
            assertEquals(-1, in.read(), "and stays at its end");
        }
    }

    @Test
    void aFailureOfTheSourceReachesTheReaderAfterWhatCameBefore() throws Exception {
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ == (3 << 20)) {
                    throw new IOException("disk gone");
                }
                return 7;
            }
        };
        try (ReadAhead in = new ReadAhead(failing, 8, "test")) {
            byte[] first = in.readNBytes(3 << 20);
            assertEquals(3 << 20, first.length, "what the source gave before it failed");
            IOException e = assertThrows(IOException.class, () -> in.readNBytes(1 << 20));
            assertEquals("disk gone", e.getMessage());
        }
    }
}

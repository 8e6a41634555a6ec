package dev.tidemark.repo.store;

import java.io.IOException;
import java.io.InputStream;

/**
 * A whole S3 object as a stream that picks up where it broke: a connection dropped in the middle of a large dump or
 * manifest is reopened at the byte it reached (a ranged GET), up to {@value #REOPENS} times in a row.
 */
final class S3ObjectStream extends InputStream {
    static final int REOPENS = 5;
    private final S3Store store;
    private final String key;
    private final long size;
    private InputStream in;
    private long pos;
    private int failures;

    S3ObjectStream(S3Store store, String key, long size) {
        this.store = store;
        this.key = key;
        this.size = size;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (pos >= size) {
                return -1;
            }
            try {
                if (in == null) {
                    in = store.openFrom(key, pos);
                }
                int n = in.read(b, off, len);
                if (n < 0) {
                    throw new java.io.EOFException(key + " in " + store.location() + " ended at byte " + pos
                            + " of " + size);
                }
                pos += n;
                failures = 0;
                return n;
            } catch (ObjectNotFoundException e) {
                throw e;
            } catch (IOException | software.amazon.awssdk.core.exception.SdkClientException e) {
                closeQuietly();
                if (++failures > REOPENS) {
                    throw e instanceof IOException io ? io : new IOException("read of " + key + " from "
                            + store.location() + " broke off " + failures + " times: " + e.getMessage(), e);
                }
            }
        }
    }

    private void closeQuietly() {
        if (in != null) {
            try {
                in.close();
            } catch (IOException e) {
                // reopened below
            }
            in = null;
        }
    }

    @Override
    public void close() {
        closeQuietly();
    }
}

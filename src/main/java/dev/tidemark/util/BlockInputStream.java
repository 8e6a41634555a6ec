package dev.tidemark.util;

import java.io.IOException;
import java.io.InputStream;

/** An input stream handed out a block of bytes at a time by {@link #nextBlock}. */
public abstract class BlockInputStream extends InputStream {
    private byte[] block = new byte[0];
    private int pos;
    private boolean ended;

    /** The next block (it may be empty), or null after the last one. */
    protected abstract byte[] nextBlock() throws IOException;

    private boolean fill() throws IOException {
        while (pos == block.length) {
            if (ended) {
                return false;
            }
            byte[] b = nextBlock();
            if (b == null) {
                ended = true;
                return false;
            }
            block = b;
            pos = 0;
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? block[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (!fill()) {
            return -1;
        }
        int n = Math.min(len, block.length - pos);
        System.arraycopy(block, pos, b, off, n);
        pos += n;
        return n;
    }
}

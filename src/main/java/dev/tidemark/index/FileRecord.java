package dev.tidemark.index;

import dev.tidemark.hash.ContentKey;
import java.nio.ByteBuffer;

/**
 * What the index remembers of a file: the stat fields that must all match for the file to be skipped, its content
 * key, and whether the record can be trusted at all.
 *
 * @param size       bytes
 * @param mtimeNanos modification time
 * @param ctimeNanos status-change time
 * @param inode      inode number
 * @param key        content key; its first lane is the file's 64-bit change hash
 * @param trusted    false when the file's mtime or ctime was too close to the moment it was read: a write in the
 *                   same timestamp tick could have gone unseen, so the file is read again next time
 */
public record FileRecord(long size, long mtimeNanos, long ctimeNanos, long inode, ContentKey key, boolean trusted) {
    static final int BYTES = 8 * 4 + ContentKey.BYTES + 1;

    public long changeHash() {
        return key.hi();
    }

    byte[] encode() {
        ByteBuffer bb = ByteBuffer.allocate(BYTES);
        bb.putLong(size).putLong(mtimeNanos).putLong(ctimeNanos).putLong(inode);
        key.writeTo(bb);
        bb.put((byte) (trusted ? 1 : 0));
        return bb.array();
    }

    static FileRecord decode(byte[] b) {
        if (b.length != BYTES) {
            return null; // an old or foreign record: treat as absent
        }
        ByteBuffer bb = ByteBuffer.wrap(b);
        long size = bb.getLong();
        long mtime = bb.getLong();
        long ctime = bb.getLong();
        long ino = bb.getLong();
        ContentKey k = new ContentKey(bb.getLong(), bb.getLong());
        return new FileRecord(size, mtime, ctime, ino, k, bb.get() == 1);
    }

    /** Same size, mtime, ctime and inode: the only case in which a file is not read again. */
    public boolean matches(long size, long mtimeNanos, long ctimeNanos, long inode) {
        return this.size == size && this.mtimeNanos == mtimeNanos && this.ctimeNanos == ctimeNanos
                && this.inode == inode;
    }
}

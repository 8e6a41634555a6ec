package dev.tidemark.db;

import dev.tidemark.repo.ChunkedWriter;
import dev.tidemark.repo.Chunker;
import dev.tidemark.repo.PackWriter;
import dev.tidemark.repo.Repository;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Streams a dump into the repository in {@link DumpFormat}; memory stays bounded (one statement at a time). */
public final class DumpWriter implements AutoCloseable {
    private final ChunkedWriter object;
    private final OutputStream out;
    private long rawBytes;

    /**
     * Cut into chunks ({@link Chunker#DUMP}) in {@code packs}, each statement header in a chunk of its own (it
     * changes with its statement's length): an unchanged table's rows cost nothing again, a changed row a chunk.
     */
    public DumpWriter(Repository repo, PackWriter packs) {
        this.object = new ChunkedWriter(repo, packs, Chunker.DUMP, true);
        this.out = object;
    }

    /** A comment line (for people reading an export); must not contain a newline. */
    public void comment(String text) throws IOException {
        write(("-- " + text.replace('\n', ' ') + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public void sql(String statement) throws IOException {
        byte[] b = statement.getBytes(StandardCharsets.UTF_8);
        sql(b, b.length);
    }

    /** A statement already encoded (the data path: no String is made of the rows). */
    public void sql(byte[] statement, int len) throws IOException {
        header(DumpFormat.Kind.SQL, len + DumpFormat.SQL_TAIL.length, "");
        out.write(statement, 0, len);
        rawBytes += len;
        write(DumpFormat.SQL_TAIL);
    }

    /** A statement with semicolons inside (routine, trigger, event): wrapped in DELIMITER lines for the client. */
    public void compound(String statement) throws IOException {
        byte[] b = statement.getBytes(StandardCharsets.UTF_8);
        header(DumpFormat.Kind.COMPOUND, DumpFormat.COMPOUND_HEAD.length + b.length + DumpFormat.COMPOUND_TAIL.length, "");
        write(DumpFormat.COMPOUND_HEAD);
        write(b);
        write(DumpFormat.COMPOUND_TAIL);
    }

    /** The statements that follow belong to {@code schema}: creates it (if missing) and makes it the default. */
    public void schema(String schema, String charset, String collation) throws IOException {
        byte[] b = ("CREATE DATABASE IF NOT EXISTS " + Db.quote(schema) + " CHARACTER SET " + charset + " COLLATE "
                + collation + ";\nUSE " + Db.quote(schema) + ";\n").getBytes(StandardCharsets.UTF_8);
        header(DumpFormat.Kind.SCHEMA, b.length, " " + charset + " " + collation + " " + schema);
        write(b);
    }

    private void header(DumpFormat.Kind kind, int len, String extra) throws IOException {
        object.boundary();
        write((DumpFormat.MARK + kind.word + " " + len + extra + "\n").getBytes(StandardCharsets.UTF_8));
        object.boundary();
    }

    private void write(byte[] b) throws IOException {
        out.write(b);
        rawBytes += b.length;
    }

    /** Bytes written so far, before compression. */
    public long rawBytes() {
        return rawBytes;
    }

    /** Seals the dump and returns its reference (a content key); durable once the pack writer is flushed. */
    public String finish() throws IOException {
        header(DumpFormat.Kind.END, 0, "");
        return object.finish().hex();
    }

    /** Bytes the dump added to packs (what the repository did not have). */
    public long storedBytes() {
        return object.storedBytes();
    }

    @Override
    public void close() throws IOException {
        object.close();
    }
}

package dev.tidemark.point;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.tidemark.hash.ContentKey;
import java.io.IOException;

/**
 * One manifest entry as one line of JSON (manifests and the journal). Field names are short words so a decompressed manifest stays readable:
 * <pre>{"path":"2026/a.jpg","type":"f","size":5400,"mode":"644","uid":0,"gid":0,"mtime":1763719200123456789,
 * "ctime":1763719200123456789,"ino":1234,"key":"9f…"}</pre>
 */
public final class ManifestCodec {
    public static final JsonFactory JSON = new JsonFactory();

    private ManifestCodec() {
    }

    public static void write(JsonGenerator g, FileEntry e) throws IOException {
        g.writeStartObject();
        g.writeStringField("path", e.path());
        g.writeStringField("type", e.type().code());
        if (e.isFile()) {
            g.writeNumberField("size", e.size());
        }
        g.writeStringField("mode", Integer.toOctalString(e.mode()));
        g.writeNumberField("uid", e.uid());
        g.writeNumberField("gid", e.gid());
        g.writeNumberField("mtime", e.mtimeNanos());
        g.writeNumberField("ctime", e.ctimeNanos());
        g.writeNumberField("ino", e.inode());
        if (e.key() != null) {
            g.writeStringField("key", e.key().hex());
        }
        if (e.target() != null) {
            g.writeStringField("target", e.target());
        }
        g.writeEndObject();
        g.writeRaw('\n');
    }

    /** Reads the object whose START_OBJECT the parser is on. */
    public static FileEntry read(JsonParser p) throws IOException {
        String path = null;
        EntryType type = null;
        long size = 0;
        long mtime = 0;
        long ctime = 0;
        long ino = 0;
        int mode = 0;
        int uid = 0;
        int gid = 0;
        ContentKey key = null;
        String target = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "path" -> path = p.getText();
                case "type" -> type = EntryType.ofCode(p.getText());
                case "size" -> size = p.getLongValue();
                case "mode" -> mode = Integer.parseInt(p.getText(), 8);
                case "uid" -> uid = p.getIntValue();
                case "gid" -> gid = p.getIntValue();
                case "mtime" -> mtime = p.getLongValue();
                case "ctime" -> ctime = p.getLongValue();
                case "ino" -> ino = p.getLongValue();
                case "key" -> key = ContentKey.parse(p.getText());
                case "target" -> target = p.getText();
                default -> p.skipChildren();
            }
        }
        if (path == null || type == null) {
            throw new IOException("manifest entry without path or type");
        }
        if (type == EntryType.FILE && key == null) {
            throw new IOException("manifest entry " + path + ": file without content key");
        }
        if (type == EntryType.SYMLINK && target == null) {
            throw new IOException("manifest entry " + path + ": symlink without target");
        }
        return new FileEntry(path, type, size, mtime, ctime, mode, uid, gid, ino, key, target);
    }
}

package dev.tidemark.repo;

import dev.tidemark.hash.ContentHasher;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small JSON record (the repository's config, a restore point, the journal's horizon, a binlog gap) with a check
 * line after it, so that a flipped bit is found as damage instead of being read as another time, position or seed:
 * {@code <json>\n#check <32 hex>\n}, the hex being the content key, under fixed seeds, of every byte before
 * {@code #check}.
 *
 * <p>Why a line after the JSON rather than a field in it: JSON readers stop at the end of the first value, so a
 * tidemark that knows nothing of checks (formats 3 and 4 before records were checked) reads a checked record as it
 * always did, and the repository format number need not change. Records written before checks have no such line
 * and are read as they are (unchecked). In an encrypted repository the record is also authenticated by its
 * encryption; the check costs 48 bytes there and keeps one code path.
 */
public final class CheckedRecord {
    private static final byte[] MARK = "#check ".getBytes(StandardCharsets.US_ASCII);
    /** Fixed seeds: the check must be computable before the repository's own seeds (in its config) are known. */
    private static final ContentHasher HASHER = new ContentHasher(0x7469646d61726b31L, 0x636865636b6c696eL);
    private static final int LINE = MARK.length + 32 + 1;

    private CheckedRecord() {
    }

    /** The record as stored: {@code json} (a newline added if it has none), then its check line. */
    public static byte[] seal(byte[] json) {
        boolean nl = json.length > 0 && json[json.length - 1] == '\n';
        byte[] body = nl ? json : Arrays.copyOf(json, json.length + 1);
        if (!nl) {
            body[json.length] = '\n';
        }
        byte[] line = ("#check " + HASHER.hash(body).hex() + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = Arrays.copyOf(body, body.length + line.length);
        System.arraycopy(line, 0, out, body.length, line.length);
        return out;
    }

    /**
     * The JSON of a stored record: checked when it has a check line, as it is when it has none (written before
     * checks). {@code what} names the object in the message when the check fails.
     */
    public static byte[] open(byte[] stored, String what) throws DamageException {
        int at = checkLineStart(stored);
        if (at < 0) {
            // Written before checks: JSON alone, ending in its closing brace. Anything after it is a check line
            // that a flipped bit made unrecognisable.
            int end = stored.length;
            while (end > 0 && (stored[end - 1] == '\n' || stored[end - 1] == ' ' || stored[end - 1] == '\r')) {
                end--;
            }
            if (end == 0 || stored[end - 1] != '}') {
                throw new DamageException(what + " is damaged: its check line is unreadable");
            }
            return stored;
        }
        byte[] body = Arrays.copyOf(stored, at);
        String expected = new String(stored, at + MARK.length, 32, StandardCharsets.US_ASCII);
        String actual = HASHER.hash(body).hex(); // compared as text: an upper-case digit is damage too
        if (!actual.equals(expected)) {
            throw new DamageException(what + " is damaged: its bytes do not match its check (" + printable(expected)
                    + ", found " + actual.substring(0, 8) + ")");
        }
        return body;
    }

    private static String printable(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? s.substring(0, 8) : "unreadable";
    }

    /** A checked record's JSON as {@code type}: damage of any kind (check, syntax, encoding) is damage naming it. */
    public static <T> T read(byte[] stored, Class<T> type, String what) throws DamageException {
        return parse(open(stored, what), type, what);
    }

    /**
     * JSON as {@code type}; bytes that are not such JSON are damage naming {@code what}. Every reader of a JSON
     * object of the repository goes through here: the JSON library's own errors (a syntax error, or an encoding
     * it guessed from the first bytes) are not all of one type, and none of them names the object.
     */
    public static <T> T parse(byte[] json, Class<T> type, String what) throws DamageException {
        try {
            return dev.tidemark.util.Json.MAPPER.readValue(json, type);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new DamageException(what + " is damaged (" + e.getOriginalMessage() + ")", e);
        } catch (java.io.IOException | RuntimeException e) {
            throw new DamageException(what + " is damaged (" + e.getMessage() + ")", e);
        }
    }

    /** Where a well-formed check line starts (it must end the record), or -1. */
    private static int checkLineStart(byte[] b) {
        int at = b.length - LINE;
        if (at < 1 || b[at - 1] != '\n' || b[b.length - 1] != '\n') {
            return -1;
        }
        for (int i = 0; i < MARK.length; i++) {
            if (b[at + i] != MARK[i]) {
                return -1;
            }
        }
        return at;
    }
}

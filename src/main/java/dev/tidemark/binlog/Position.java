package dev.tidemark.binlog;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A place in the server's binary log: a file name and a byte offset in it. Files are ordered by the number after
 * their last dot ({@code binlog.000009} before {@code binlog.000010}, and before {@code binlog.1000000}), which is how
 * the server numbers them.
 */
public record Position(String file, long offset) implements Comparable<Position> {
    /** Where the first event after the file's 4-byte magic starts. */
    public static final long START = 4;
    private static final Pattern NAME = Pattern.compile("([A-Za-z0-9_-][A-Za-z0-9_.-]{0,200})\\.(\\d{1,12})");

    public Position {
        if (!isFileName(file)) {
            throw new IllegalArgumentException("not a binlog file name: " + file);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("negative binlog offset " + offset);
        }
    }

    /** True for names such as {@code binlog.000042}: a base name, a dot, a number. */
    public static boolean isFileName(String file) {
        return file != null && NAME.matcher(file).matches();
    }

    /** The file's number. */
    public static long sequence(String file) {
        Matcher m = NAME.matcher(file);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a binlog file name: " + file);
        }
        return Long.parseLong(m.group(2));
    }

    /** The base name before the number ({@code binlog} of {@code binlog.000042}). */
    public static String base(String file) {
        Matcher m = NAME.matcher(file);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a binlog file name: " + file);
        }
        return m.group(1);
    }

    /** Orders file names as the server numbers them. */
    public static int compareFiles(String a, String b) {
        int c = Long.compare(sequence(a), sequence(b));
        return c != 0 ? c : a.compareTo(b);
    }

    /** True if {@code next} is the file the server writes after {@code file}. */
    public static boolean follows(String file, String next) {
        return base(file).equals(base(next)) && sequence(next) == sequence(file) + 1;
    }

    @Override
    public int compareTo(Position o) {
        int c = compareFiles(file, o.file);
        return c != 0 ? c : Long.compare(offset, o.offset);
    }

    @Override
    public String toString() {
        return file + ":" + offset;
    }
}

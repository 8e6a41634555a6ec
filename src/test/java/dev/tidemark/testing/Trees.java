package dev.tidemark.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Builds random trees and compares trees entry by entry: type, bytes, mode, mtime, link target. */
public final class Trees {
    private Trees() {
    }

    public static final String[] NAMES = {"photo", "照片", "人脸", "顔写真", "얼굴", "😀smile", "🐟fish", "crop",
        "face_01", "a b c", "naïve", "x-y", "z.tmp.keep", "Ω", "数据库", "🙂🙃"};

    /** Writes {@code n} random bytes. */
    public static void write(Path p, Random r, int n) throws IOException {
        byte[] b = new byte[n];
        r.nextBytes(b);
        Files.createDirectories(p.getParent());
        Files.write(p, b);
    }

    /** Sets a file's mtime to a given instant with nanoseconds. */
    public static void mtime(Path p, Instant t) throws IOException {
        Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(FileTime.from(t), null, null);
    }

    /**
     * A random tree: CJK and emoji names, empty files and directories, symlinks (relative, absolute, dangling),
     * deep paths, odd modes, old mtimes with nanoseconds. Returns the number of regular files.
     */
    public static int random(Path root, long seed, int files) throws IOException {
        Random r = new Random(seed);
        Files.createDirectories(root);
        List<Path> dirs = new ArrayList<>();
        dirs.add(root);
        int made = 0;
        for (int i = 0; i < files; i++) {
            if (r.nextInt(8) == 0 || dirs.size() < 3) {
                Path parent = dirs.get(r.nextInt(dirs.size()));
                Path d = parent.resolve(NAMES[r.nextInt(NAMES.length)] + "-d" + i);
                Files.createDirectories(d);
                dirs.add(d);
            }
            Path dir = dirs.get(r.nextInt(dirs.size()));
            Path f = dir.resolve(NAMES[r.nextInt(NAMES.length)] + "-" + i + (r.nextBoolean() ? ".jpg" : ".txt"));
            int size = switch (r.nextInt(10)) {
                case 0 -> 0;
                case 1 -> 1 + r.nextInt(10);
                case 2 -> 100_000 + r.nextInt(2_000_000);
                default -> 100 + r.nextInt(20_000);
            };
            if (r.nextInt(4) == 0) {
                // compressible
                byte[] b = ("line " + i + " of a log file that compresses well\n").repeat(Math.max(1, size / 48)).getBytes();
                Files.write(f, b);
            } else {
                write(f, r, size);
            }
            made++;
        }
        // Empty directories, a deep path, symlinks.
        Files.createDirectories(root.resolve("empty-dir"));
        Files.createDirectories(root.resolve("空の/ディレクトリ"));
        Path deep = root;
        for (int i = 0; i < 40; i++) {
            deep = deep.resolve("level" + i + (i % 7 == 0 ? "-深い" : ""));
        }
        Files.createDirectories(deep);
        write(deep.resolve("deep-file.bin"), r, 1234);
        made++;
        Files.createSymbolicLink(root.resolve("link-relative"), Path.of("empty-dir"));
        Files.createSymbolicLink(root.resolve("link-absolute"), root.resolve("empty-dir").toAbsolutePath());
        Files.createSymbolicLink(root.resolve("link-dangling-😀"), Path.of("no/such/target"));
        // Modes and mtimes.
        try (Stream<Path> s = Files.walk(root)) {
            List<Path> all = s.toList();
            for (Path p : all) {
                if (Files.isSymbolicLink(p)) {
                    continue;
                }
                if (Files.isRegularFile(p)) {
                    int[] modes = {0644, 0600, 0755, 0640, 0444, 0664};
                    Files.setAttribute(p, "unix:mode", modes[r.nextInt(modes.length)]);
                }
                mtime(p, Instant.ofEpochSecond(1_600_000_000L + r.nextInt(100_000_000), r.nextInt(1_000_000_000)));
            }
        }
        // Directory modes (not too tight: the test must be able to clean up).
        Files.setAttribute(root.resolve("empty-dir"), "unix:mode", 0700);
        return made;
    }

    /** Everything about an entry that a restore must reproduce. */
    public record Entry(String type, long size, int mode, long mtimeNanos, String target) {
    }

    public static Map<String, Entry> describe(Path root) throws IOException {
        Map<String, Entry> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                String type = Files.isSymbolicLink(p) ? "l" : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "d" : "f";
                Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
                long mt = t.getEpochSecond() * 1_000_000_000L + t.getNano();
                String target = type.equals("l") ? Files.readSymbolicLink(p).toString() : null;
                out.put(rel, new Entry(type, type.equals("f") ? (Long) a.get("size") : 0,
                        type.equals("l") ? 0 : mode & 07777, type.equals("l") ? 0 : mt, target));
            }
        }
        return out;
    }

    /** Same entries, types, sizes, modes, mtimes (ns), link targets and bytes. */
    public static void assertSame(Path expected, Path actual) throws IOException {
        Map<String, Entry> a = describe(expected);
        Map<String, Entry> b = describe(actual);
        if (!a.keySet().equals(b.keySet())) {
            List<String> missing = new ArrayList<>(a.keySet());
            missing.removeAll(b.keySet());
            List<String> extra = new ArrayList<>(b.keySet());
            extra.removeAll(a.keySet());
            fail("trees differ: missing " + head(missing) + ", extra " + head(extra));
        }
        for (Map.Entry<String, Entry> e : a.entrySet()) {
            String rel = e.getKey();
            Entry x = e.getValue();
            Entry y = b.get(rel);
            if (rel.isEmpty()) {
                // The root itself: only its mode and mtime count.
                assertEquals(x.mode(), y.mode(), "mode of the root");
                assertEquals(x.mtimeNanos(), y.mtimeNanos(), "mtime of the root");
                continue;
            }
            assertEquals(x, y, "entry " + rel);
            if (x.type().equals("f")) {
                assertArrayEquals(Files.readAllBytes(expected.resolve(rel)), Files.readAllBytes(actual.resolve(rel)),
                        "bytes of " + rel);
            }
        }
    }

    private static List<String> head(List<String> l) {
        return l.subList(0, Math.min(5, l.size()));
    }

    /** All regular files under root, sorted. */
    public static List<Path> files(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
    }

    /** Flips the bits of {@code mask} in the byte at {@code at} of {@code file}: damage, in place. */
    public static void flip(Path file, long at, int mask) throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ mask);
        }
    }

    public static long count(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).count();
        }
    }

    public static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Writes a big file of random bytes without holding it in memory. */
    public static void big(Path p, long seed, long bytes) throws IOException {
        Random r = new Random(seed);
        byte[] b = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(p)) {
            for (long n = 0; n < bytes; n += b.length) {
                r.nextBytes(b);
                out.write(b, 0, (int) Math.min(b.length, bytes - n));
            }
        }
    }
}

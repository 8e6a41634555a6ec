package dev.tidemark.testing;

import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A repository with a history: one tree "t" of random files, and restore points taken through the CLI with part of
 * the files rewritten, some deleted and some added between them. Each point can be restored into a reference copy
 * before a prune, to compare with its restore after.
 */
public final class History {
    public final Env env;
    public final List<String> points = new ArrayList<>();
    private final Random rnd;
    private int next;

    private History(Env env, long seed) {
        this.env = env;
        this.rnd = new Random(seed);
    }

    /**
     * {@code files} files of 2-12 KB in 20 directories, then {@code points} points with {@code share} of the files
     * rewritten (and a few deleted and added) before each. With {@code packSize} &gt; 0 the repository is made with
     * that pack size (small packs: many of them for a small test).
     */
    public static History build(Path base, int files, int points, double share, long packSize, long seed)
            throws IOException {
        History h = new History(new Env(base, "t"), seed);
        Path t = h.env.tree("t");
        for (int i = 0; i < files; i++) {
            h.write(t.resolve("d" + (i % 20)).resolve("f" + h.next++ + ".bin"));
        }
        if (packSize > 0) {
            Files.createDirectories(h.env.repo);
            try (LocalDirStore store = new LocalDirStore(h.env.repo)) {
                Repository.init(store, Clock.systemUTC(), packSize);
            }
        } else {
            h.env.ok("init");
        }
        for (int p = 0; p < points; p++) {
            if (p > 0) {
                h.change(share);
            }
            h.point("p" + p);
        }
        return h;
    }

    private void write(Path p) throws IOException {
        Trees.write(p, rnd, 2048 + rnd.nextInt(10_240));
    }

    /** Rewrites {@code share} of the files, deletes a few and adds as many. */
    public void change(double share) throws IOException {
        List<Path> all = Trees.files(env.tree("t"));
        int n = Math.max(1, (int) (all.size() * share));
        for (int i = 0; i < n; i++) {
            write(all.get(rnd.nextInt(all.size())));
        }
        for (int i = 0; i < Math.max(1, n / 4); i++) {
            Files.deleteIfExists(all.get(rnd.nextInt(all.size())));
            write(env.tree("t").resolve("d" + rnd.nextInt(20)).resolve("f" + next++ + ".bin"));
        }
    }

    /** Takes a point through the CLI; returns its id. */
    public String point(String tag) {
        String id;
        try {
            id = dev.tidemark.util.Json.MAPPER.readTree(env.ok("point", "--tag", tag, "--json", "-q").out())
                    .get("point").get("id").asText();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        points.add(id);
        return id;
    }

    /** Restores each of {@code ids} into {@code dir}/{@code id}; returns the tree directories. */
    public Map<String, Path> restore(Path dir, List<String> ids) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String id : ids) {
            Path to = dir.resolve(id);
            env.ok("restore", id, "--to", to.toString(), "--no-sync", "-q");
            out.put(id, to.resolve("t"));
        }
        return out;
    }

    /** Copies the repository and the state directory (the index) to {@code dir}/repo and state; returns dir. */
    public Path copyTo(Path dir) throws IOException {
        copyTree(env.repo, dir.resolve("repo"));
        copyTree(env.state, dir.resolve("state"));
        return dir;
    }

    /**
     * What every interrupted prune or compaction must leave: {@code verify --read-data} clean, each of {@code kept}
     * restoring exactly as {@code before} (from {@link #restore}), and the next prune converging.
     */
    public static void assertWholeAndConverging(Env e, Map<String, Path> before, String trial) throws IOException {
        String verify = e.ok("verify", "--read-data").out();
        if (!verify.contains("no damage")) {
            throw new AssertionError(trial + ": " + verify);
        }
        for (Map.Entry<String, Path> k : before.entrySet()) {
            Path to = e.base.resolve("restored-" + k.getKey());
            e.ok("restore", k.getKey(), "--to", to.toString(), "--no-sync", "-q");
            Trees.assertSame(k.getValue(), to.resolve("t"));
        }
        e.ok("prune", "--max-unused", "0%", "-q");
        String again = e.ok("prune", "--dry-run").out();
        if (!again.contains("nothing to prune")) {
            throw new AssertionError(trial + ": the next prune did not converge:\n" + again);
        }
    }

    /** Copies a trial's directories (repository, state, trees) for a fresh trial: directories, files and symlinks; sockets and FIFOs (a daemon's control socket) are left behind. */
    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                        || Files.isSymbolicLink(p)) {
                    Files.copy(p, q, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}

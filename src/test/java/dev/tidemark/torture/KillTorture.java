package dev.tidemark.torture;

import dev.tidemark.testing.Cli;
import dev.tidemark.torture.FaultInjection.Fault;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.History;
import dev.tidemark.testing.RuntimeClasspath;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * SIGKILL of real tidemark processes at random moments, subject by subject, and what each kill must leave: the
 * repository verifies ({@code verify --read-data} exits 0), every point committed before restores byte-exact, a point
 * the killed process managed to commit restores exactly what the tree held, and the next run of the same work
 * converges. Half the kills of each subject land at a random moment of the whole run, half in its busy middle (from
 * the first change it makes to the repository or the target). Prints a table; returns the failures.
 *
 * <p>Driven by {@code TortureTest} (a few trials a subject, in CI) and {@code bench/torture} (hundreds).
 */
public final class KillTorture implements AutoCloseable {
    /** What is killed. */
    public enum Subject {
        POINT("tidemark point"), POINT_DB("tidemark point, with database"), RESTORE("tidemark restore"), INDEX_REBUILD("tidemark index rebuild"),
        PRUNE("tidemark prune"), RUN("tidemark run, under load");

        final String label;

        Subject(String label) {
            this.label = label;
        }
    }

    /** Outcomes of one subject's trials. */
    public static final class Tally {
        int trials;
        int beforeChange;
        int midway;
        int afterEnd;
        /** RUN: files the killed daemon said it had made durable, each then found in the trees as they were. */
        int reportedDurable;
        /** Fault mode: which faults were drawn, and how many times each. */
        final Map<String, Integer> faultsDrawn = new java.util.TreeMap<>();
        /** Fault mode: how the faulted processes ended, by exit code. */
        final Map<Integer, Integer> faultExits = new java.util.TreeMap<>();
        final List<String> failures = new ArrayList<>();
    }

    private final Path base;
    private final Random rnd;
    /** For POINT_DB: the server, the schema its points dump, its rows, and the config section naming it. */
    private dev.tidemark.testing.MariaDb server;
    private String schema;
    private int rows;
    private String dbSection = "";
    /** Inject I/O faults instead of killing (libfiu's fiu-run and fiu-ctrl must be installed). */
    private final boolean faults;
    /** The faults drawn from: all, or those named by {@code -Dtidemark.torture.faults=read,open}. */
    private final List<Fault> faultKinds = System.getProperty("tidemark.torture.faults", "").isBlank()
            ? List.of(Fault.values()) : java.util.Arrays.stream(System.getProperty("tidemark.torture.faults")
                    .split(",")).map(f -> Fault.valueOf(f.strip().toUpperCase(java.util.Locale.ROOT))).toList();

    public KillTorture(Path base, long seed) {
        this(base, seed, false);
    }

    public KillTorture(Path base, long seed, boolean faults) {
        this.base = base;
        this.rnd = new Random(seed);
        this.faults = faults;
    }

    /** Runs {@code trials} kills of each subject; the table is printed. */
    public Map<Subject, Tally> run(List<Subject> subjects, int trials) throws Exception {
        Map<Subject, Tally> out = new EnumMap<>(Subject.class);
        for (Subject s : subjects) {
            out.put(s, subject(s, trials));
        }
        System.out.println(table(out));
        return out;
    }

    public static String table(Map<Subject, Tally> tallies) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-28s %7s %8s %7s %7s %9s%n", "subject", "trials", "before", "midway", "after",
                "failures"));
        int trials = 0;
        int failures = 0;
        for (Map.Entry<Subject, Tally> e : tallies.entrySet()) {
            Tally t = e.getValue();
            sb.append(String.format("%-28s %7d %8d %7d %7d %9d%n", e.getKey().label, t.trials, t.beforeChange,
                    t.midway, t.afterEnd, t.failures.size()));
            trials += t.trials;
            failures += t.failures.size();
            if (t.reportedDurable > 0) {
                sb.append("  files reported durable before the end, each then restored as of that moment: ")
                        .append(t.reportedDurable).append('\n');
            }
            if (!t.faultsDrawn.isEmpty()) {
                sb.append("  faults (fault=trials): ").append(t.faultsDrawn).append('\n');
            }
            if (!t.faultExits.isEmpty()) {
                sb.append("  ended with exit codes (code=trials): ").append(t.faultExits).append('\n');
            }
            for (String f : t.failures) {
                sb.append("  FAILED ").append(f).append('\n');
            }
        }
        sb.append(String.format("%-28s %7d %35d%n", "total", trials, failures));
        return sb.toString();
    }

    private Tally subject(Subject s, int trials) throws Exception {
        Path dir = base.resolve(s.name().toLowerCase(java.util.Locale.ROOT));
        History h = History.build(dir.resolve("h"), 600, 4, 0.25, 48 << 10, rnd.nextLong());
        if (s == Subject.PRUNE) {
            h.env.ok("forget", "--keep-last", "2");
        }
        dbSection = "";
        if (s == Subject.POINT_DB) {
            database();
            h.env.writeConfig(dbSection);
            h.point("p-db");
        }
        if (s == Subject.POINT || s == Subject.POINT_DB || s == Subject.RUN) {
            h.change(0.3); // work for the point to do
        }
        List<String> live = s == Subject.PRUNE ? h.points.subList(h.points.size() - 2, h.points.size()) : h.points;
        Map<String, Path> before = h.restore(dir.resolve("before"), live);
        Path pristine = h.copyTo(dir.resolve("pristine"));
        History.copyTree(h.env.tree("t"), pristine.resolve("src/t"));
        Map<String, Long> untouched = listing(pristine.resolve("repo"));
        long full = Long.MAX_VALUE;
        Map<String, Long> finished = null;
        for (int run = 0; run < 2; run++) { // the shorter of two: the first pays for cold caches
            Env e = trialEnv(dir.resolve("timing-" + run), pristine, h);
            Process p = start(s, e, h);
            long t0 = System.nanoTime();
            if (s == Subject.RUN) {
                Thread.sleep(3000);
                p.destroy();
            }
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(s.label + " did not finish: " + Files.readString(e.base.resolve("out.log")));
            }
            full = Math.min(full, (System.nanoTime() - t0) / 1_000_000);
            finished = listing(watched(s, e));
            Trees.deleteRecursively(e.base);
        }
        Map<String, Long> untouchedWatched = s == Subject.RESTORE ? Map.of() : s == Subject.INDEX_REBUILD
                ? listing(pristine.resolve("state")) : untouched;
        Tally t = new Tally();
        for (int i = 1; i <= trials; i++) {
            Env e = trialEnv(dir.resolve("trial-" + i), pristine, h);
            String trial = s.label + " #" + i;
            Process p = start(s, e, h);
            Thread writer = s == Subject.RUN ? writer(e) : null;
            if (s == Subject.RUN && i % 2 == 0) {
                // Every other trial is killed after the daemon has said something is durable, so the check always
                // has something to check, however slowly the daemon starts on the machine at hand.
                awaitDurableReport(e, p);
                Thread.sleep((long) (full * 0.3 * rnd.nextDouble()));
            } else if (i % 2 == 1 || s == Subject.RUN) {
                Thread.sleep((long) (full * (0.2 + rnd.nextDouble())));
            } else {
                awaitChange(watched(s, e), untouchedWatched, p);
                Thread.sleep((long) (full * 0.3 * rnd.nextDouble()));
            }
            String faulted = null;
            Fault fault = null;
            if (faults) {
                List<Fault> kinds = faultKinds(s);
                fault = kinds.get(rnd.nextInt(kinds.size()));
                faulted = fault.name().toLowerCase(java.util.Locale.ROOT);
                t.faultsDrawn.merge(faulted, 1, Integer::sum);
                FaultInjection.inject(p, fault);
                if (s == Subject.RUN) {
                    Thread.sleep(3000); // the daemon under the fault and the writer's load, then SIGTERM
                    p.destroy();
                }
                if (!p.waitFor(3, TimeUnit.MINUTES)) {
                    new ProcessBuilder("kill", "-QUIT", String.valueOf(p.pid())).start().waitFor(); // thread dump
                    Thread.sleep(1000);
                    if (Files.isExecutable(Path.of("/usr/bin/gdb"))) { // native stacks, where a lock may be held
                        new ProcessBuilder("/usr/bin/gdb", "-p", String.valueOf(p.pid()), "-batch", "-ex",
                                "thread apply all bt 12").redirectErrorStream(true)
                                .redirectOutput(e.base.resolve("hang-native-stacks.txt").toFile()).start()
                                .waitFor(2, TimeUnit.MINUTES);
                    }
                    p.destroyForcibly();
                    p.waitFor(1, TimeUnit.MINUTES);
                    if (writer != null) {
                        writer.interrupt();
                        writer.join();
                    }
                    t.failures.add(trial + " (" + faulted + "): hung after the fault (kept in " + keep(s, i, e)
                            + ", with a thread dump at the end of out.log)");
                    continue;
                }
            } else {
                p.destroyForcibly(); // SIGKILL
                p.waitFor(1, TimeUnit.MINUTES);
            }
            if (writer != null) {
                writer.interrupt();
                writer.join();
            }
            Map<String, Long> now = listing(watched(s, e));
            if (now.equals(untouchedWatched)) {
                t.beforeChange++;
            } else if (now.equals(finished)) {
                t.afterEnd++;
            } else {
                t.midway++;
            }
            t.trials++;
            try {
                if (faulted != null) {
                    trial += " (" + faulted + " fails)";
                    t.faultExits.merge(p.exitValue(), 1, Integer::sum);
                    FaultInjection.checkFailedCleanly(fault, p.exitValue(), Files.readString(e.base.resolve("out.log")));
                }
                t.reportedDurable += check(s, e, before, trial);
            } catch (AssertionError | RuntimeException err) {
                t.failures.add(trial + ": " + String.valueOf(err.getMessage()).lines().findFirst().orElse("")
                        + " (kept in " + keep(s, i, e) + ")");
                continue;
            }
            Trees.deleteRecursively(e.base);
        }
        return t;
    }

    /**
     * The faults drawn for a subject. Not read(2) faults, failed or short, for {@code run}: the JDK's watch service
     * reads inotify events with read(2), its poller thread ends at the first failure, and from then on registering
     * a directory waits for it forever (seen in this harness; closing is bounded in TreeWatch). That is the JDK's
     * limit, not a disk's: inotify reads do not fail or come short on a real system.
     */
    private List<Fault> faultKinds(Subject s) {
        if (s != Subject.RUN) {
            return faultKinds;
        }
        List<Fault> out = faultKinds.stream().filter(f -> f != Fault.READ && f != Fault.SHORT_READ).toList();
        return out.isEmpty() ? List.of(Fault.PREAD) : out;
    }

    /** Keeps a failed trial's directory under target/torture-failures; returns where it is. */
    private static Path keep(Subject s, int i, Env e) {
        Path kept = Path.of("target", "torture-failures", s.name().toLowerCase(java.util.Locale.ROOT) + "-" + i + "-"
                + System.currentTimeMillis());
        try {
            History.copyTree(e.base, kept);
        } catch (IOException copyFailed) {
            kept = e.base;
        }
        return kept.toAbsolutePath();
    }

    /** POINT_DB's database: a schema of its own on the tests' server, rows enough for a dump of some size. */
    private void database() throws Exception {
        if (server == null) {
            server = dev.tidemark.testing.MariaDb.get();
            schema = server.newSchema("torture");
            rows = 3000;
            server.exec("CREATE TABLE `" + schema + "`.faces (id INT PRIMARY KEY, crop VARCHAR(200), person INT, "
                    + "embedding VARBINARY(512))");
            StringBuilder insert = new StringBuilder();
            for (int i = 0; i < rows; i++) {
                insert.append(insert.length() == 0 ? "INSERT INTO `" + schema + "`.faces VALUES " : ", ")
                        .append("(").append(i).append(", 'p").append(i % 50).append("/crop-").append(i)
                        .append(".jpg', ").append(i % 97).append(", RANDOM_BYTES(512))");
                if (i % 500 == 499) {
                    server.exec(insert.toString());
                    insert.setLength(0);
                }
            }
        }
        dbSection = server.configSection(List.of(schema), "");
    }

    /** Drops POINT_DB's schema, if one was made. */
    @Override
    public void close() {
        if (server != null) {
            server.drop(schema);
        }
    }

    /** The point's database loads into a scratch schema whole: every row there. */
    private void checkDatabase(Env e, String point) throws Exception {
        String scratch = schema + "_r";
        try {
            e.ok("restore", point, "--db-only", "--db-into", scratch, "--force", "-q");
            try (java.sql.Connection c = server.connect(); java.sql.ResultSet rs = c.createStatement().executeQuery(
                    "SELECT COUNT(*), COUNT(DISTINCT embedding) FROM `" + scratch + "`.faces")) {
                rs.next();
                if (rs.getInt(1) != rows || rs.getInt(2) != rows) {
                    throw new AssertionError("point " + point + " restored " + rs.getInt(1) + " rows of " + rows);
                }
            }
        } finally {
            server.drop(scratch);
        }
    }

    /** What a kill changes first: the repository, the restore's target, or the index. */
    private static Path watched(Subject s, Env e) {
        return switch (s) {
            case RESTORE -> e.base.resolve("target");
            case INDEX_REBUILD -> e.state;
            default -> e.repo;
        };
    }

    private Env trialEnv(Path dir, Path pristine, History h) throws IOException {
        Env e = new Env(dir, "t");
        History.copyTree(pristine.resolve("repo"), e.repo);
        History.copyTree(pristine.resolve("state"), e.state);
        History.copyTree(pristine.resolve("src/t"), e.tree("t"));
        e.writeConfig((Files.readString(h.env.configFile).contains("\"run\"") ? "" : "  \"run\": {\"settle\": "
                + "\"100ms\", \"maxDelay\": \"1s\"},\n") + dbSection);
        return e;
    }

    private Process start(Subject s, Env e, History h) throws IOException {
        List<String> args = switch (s) {
            case POINT, POINT_DB -> List.of("point", "--tag", "killed");
            case RESTORE -> List.of("restore", h.points.get(h.points.size() - 1), "--to",
                    e.base.resolve("target").toString(), "--no-sync");
            case INDEX_REBUILD -> List.of("index", "rebuild");
            case PRUNE -> List.of("prune", "--max-unused", "0%");
            case RUN -> List.of("run");
        };
        List<String> cmd = new ArrayList<>(faults ? List.of("/usr/bin/fiu-run", "-x") : List.of());
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-XX:TieredStopAtLevel=1"));
        Path preloaded = e.base.resolve("preloaded");
        if (faults) {
            Files.deleteIfExists(preloaded);
            cmd.addAll(List.of("-Dtidemark.preloaded=" + preloaded, "-cp", FaultInjection.preloadDir(base) + java.io.File.pathSeparator
                    + RuntimeClasspath.get(), Preloaded.class.getName()));
        } else {
            cmd.addAll(List.of("-cp", RuntimeClasspath.get(), "dev.tidemark.cli.Main"));
        }
        cmd.addAll(args);
        // run says per file what it made durable (-v), for checkReportedDurable
        cmd.addAll(List.of("--no-progress", s == Subject.RUN ? "-v" : "-q", "--config", e.configFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(e.base.resolve("out.log").toFile());
        pb.environment().put("LC_ALL", "C.UTF-8");
        Process p = pb.start();
        if (faults) {
            FaultInjection.awaitPreloaded(p, preloaded);
        }
        return p;
    }

    /** For RUN: an app writing new files and rewriting old ones, 20 times a second, until interrupted. */
    private Thread writer(Env e) {
        Random r = new Random(rnd.nextLong());
        Thread w = new Thread(() -> {
            Path t = e.tree("t");
            try {
                for (int n = 0; !Thread.currentThread().isInterrupted(); n++) {
                    Trees.write(t.resolve("d" + (n % 20)).resolve("live-" + n + ".bin"), r, 4096 + r.nextInt(8192));
                    Thread.sleep(50);
                }
            } catch (InterruptedException | IOException ignored) {
                // stopped
            }
        }, "torture-writer");
        w.start();
        return w;
    }

    /** What a kill must leave, subject by subject; returns how many files RUN had reported durable. */
    private int check(Subject s, Env e, Map<String, Path> before, String trial) throws Exception {
        Cli.Result v = e.cli("verify", "--read-data");
        if (v.code() != 0) {
            throw new AssertionError("verify --read-data exited " + v.code() + ": " + v.out() + v.err());
        }
        for (Map.Entry<String, Path> k : before.entrySet()) {
            Path to = e.base.resolve("restored-" + k.getKey());
            e.ok("restore", k.getKey(), "--to", to.toString(), "--no-sync", "-q");
            Trees.assertSame(k.getValue(), to.resolve("t"));
        }
        int reported = s == Subject.RUN ? checkReportedDurable(e) : 0;
        switch (s) {
            case POINT, POINT_DB, RUN -> {
                // A point the killed process committed holds what the tree held (it did not change during a
                // point trial); and the next point converges and holds the tree as it is now.
                Cli.Result killed = e.cli("show", "killed");
                if (s != Subject.RUN && killed.code() == 0) {
                    Path to = e.base.resolve("restored-killed");
                    e.ok("restore", "killed", "--to", to.toString(), "--no-sync", "-q");
                    Trees.assertSame(e.tree("t"), to.resolve("t"));
                    if (s == Subject.POINT_DB) {
                        checkDatabase(e, "killed");
                    }
                }
                e.ok("point", "--tag", "after", "-q");
                Path to = e.base.resolve("restored-after");
                e.ok("restore", "after", "--to", to.toString(), "--no-sync", "-q");
                Trees.assertSame(e.tree("t"), to.resolve("t"));
                if (s == Subject.POINT_DB) {
                    checkDatabase(e, "after");
                }
            }
            case RESTORE -> {
                // The target is whatever was written; the same restore again (made exact with --mirror) converges.
                Path target = e.base.resolve("target");
                String last = before.keySet().stream().reduce((a, b) -> b).orElseThrow();
                e.ok("restore", last, "--to", target.toString(), "--mirror", "--no-sync", "-q");
                Trees.assertSame(before.get(last), target.resolve("t"));
            }
            case INDEX_REBUILD -> {
                Cli.Result p = e.cli("point", "-q");
                if (p.code() != 0) {
                    // A half-rebuilt index must say so and be rebuilt, not be used.
                    e.ok("index", "rebuild", "-q");
                    e.ok("point", "-q");
                }
            }
            case PRUNE -> {
                e.ok("prune", "--max-unused", "0%", "-q");
                String again = e.ok("prune", "--dry-run").out();
                if (!again.contains("nothing to prune")) {
                    throw new AssertionError("the next prune did not converge: " + again);
                }
            }
            default -> throw new IllegalStateException(trial);
        }
        return reported;
    }

    /** A line {@code run --verbose} logs per file, after the journal batch holding it was committed. */
    private static final java.util.regex.Pattern DURABLE = java.util.regex.Pattern.compile(
            "\\bt:(.+?) (?:copied|recorded) \\(.*\\)$");

    /**
     * RUN: every file the killed daemon said it had made durable is in the trees as they were just after the kill
     * ({@code restore --at}, from the journal: no point is taken first), with the bytes the tree holds (the writer
     * never rewrites a file, and the history's changes were made before the daemon started).
     */
    private static int checkReportedDurable(Env e) throws Exception {
        java.util.Set<String> said = new java.util.TreeSet<>();
        for (String line : Files.readAllLines(e.base.resolve("out.log"), java.nio.charset.StandardCharsets.UTF_8)) {
            java.util.regex.Matcher m = DURABLE.matcher(line);
            if (m.find()) {
                said.add(m.group(1));
            }
        }
        if (said.isEmpty()) {
            return 0;
        }
        Thread.sleep(1100); // --at is to the second: the next whole second is after every change the daemon saw
        String at = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        Path to = e.base.resolve("restored-at");
        e.ok("restore", "--at", at, "--to", to.toString(), "--no-sync", "-q");
        for (String p : said) {
            Path got = to.resolve("t").resolve(p);
            if (!Files.isRegularFile(got)) {
                throw new AssertionError("t:" + p + " was reported durable and is missing from the trees as of " + at);
            }
            if (!java.util.Arrays.equals(Files.readAllBytes(got), Files.readAllBytes(e.tree("t").resolve(p)))) {
                throw new AssertionError("t:" + p + " was reported durable and restores with other bytes as of " + at);
            }
        }
        return said.size();
    }

    private static void awaitDurableReport(Env e, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Path log = e.base.resolve("out.log");
        while (p.isAlive() && System.nanoTime() < deadline) {
            // Bytes, not lines: the last line may be half-written.
            if (new String(Files.readAllBytes(log), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .anyMatch(l -> DURABLE.matcher(l).find())) {
                return;
            }
            Thread.sleep(20);
        }
    }

    private static void awaitChange(Path watched, Map<String, Long> untouched, Process p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (unchanged(watched, untouched) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }

    private static boolean unchanged(Path dir, Map<String, Long> untouched) {
        try {
            return listing(dir).equals(untouched);
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // a file went away while listed: it is changing
        }
    }

    /** Files under {@code dir} with their sizes, leases, locks, temporaries and logs left out. */
    static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String k = dir.relativize(p).toString();
                if (!k.startsWith("leases/") && !k.startsWith("locks/") && !k.startsWith("tmp/")
                        && !k.startsWith("logs/") && !k.endsWith(".log") && !k.contains("LOCK")) {
                    out.put(k, Files.size(p));
                }
            }
        }
        return out;
    }
}

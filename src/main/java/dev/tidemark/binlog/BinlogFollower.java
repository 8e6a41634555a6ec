package dev.tidemark.binlog;

import dev.tidemark.TidemarkException;
import dev.tidemark.config.DatabaseConfig;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's binlog archiver: follows the server's binary log as a replica client ({@code mariadb-binlog --raw
 * --stop-never}, supervised: restarted with back-off from where the archive ends) and makes every event it receives
 * durable in the repository within {@link #COMMIT_EVERY}, including the file the server is still writing. Events are
 * placed by the position the server gives each one, never by the order of the local copy, so what is archived is
 * byte for byte the server's file.
 *
 * <p>Pieces are merged as their minute, hour and day pass (each byte rewritten at most three times), the inputs
 * deleted once no reader that might read them is left. A file the server purged before it was archived is a gap,
 * recorded in the repository and shown by {@code status}. Runs on its own thread; it only adds objects under
 * {@code binlog/} (and deletes merged ones), so it never meets the worker's writes.
 */
public final class BinlogFollower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BinlogFollower.class);
    /** How often new events are committed: the database's RPO, with the commit itself. */
    public static final Duration COMMIT_EVERY = Duration.ofMillis(200);
    /** An idle follower records that it is still connected this often (a restore to "now" needs to know). */
    static final Duration MARK_EVERY = Duration.ofSeconds(30);
    private static final Duration MERGE_CHECK = Duration.ofSeconds(10);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final DatabaseConfig db;
    private final Repository repo;
    private final WriterLock lock;
    private final Clock clock;
    private final Path spool;
    private final Supplier<Position> pointStart;
    private final PieceMerger merger;
    private final long replicaId;
    private volatile boolean stopping;
    private volatile Process process;
    private Thread thread;

    // status, read by other threads
    private volatile String state = "starting";
    private volatile String why;
    private final Archived archived = new Archived();
    private volatile long gapsRecorded;
    private volatile List<String> gaps = List.of();

    /**
     * @param spool      a directory of this daemon's own for the local copy the client writes
     * @param pointStart the binlog position of the latest point (where an empty archive starts), or null
     */
    public BinlogFollower(DatabaseConfig db, Repository repo, WriterLock lock, Clock clock, Path spool,
                          Supplier<Position> pointStart) {
        this.db = db;
        this.repo = repo;
        this.lock = lock;
        this.clock = clock;
        this.spool = spool;
        this.pointStart = pointStart;
        this.merger = new PieceMerger(repo, lock, clock);
        this.replicaId = 0x74000000L | (repo.id().hashCode() & 0xffffffL);
    }

    public void start() {
        thread = new Thread(this::loop, "tidemark-binlog");
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops following; what was received is committed first. */
    @Override
    public void close() {
        stopping = true; // the loop ends the client, archives what it wrote and marks the archive complete
        Process p = process;
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(20).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (p != null) {
            p.destroyForcibly();
        }
    }

    /** For {@code status}. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state);
        if (why != null) {
            m.put("why", why);
        }
        archived.describe(m);
        m.put("gapsRecorded", gapsRecorded);
        if (!gaps.isEmpty()) {
            m.put("gaps", gaps);
        }
        return m;
    }

    public String state() {
        return state;
    }

    private void loop() {
        Duration backoff = Duration.ofSeconds(1);
        while (!stopping) {
            long t0 = System.nanoTime();
            try {
                follow();
            } catch (IOException | RuntimeException e) {
                if (e instanceof TidemarkException te && te.exitCode() == dev.tidemark.ExitCode.LOCKED) {
                    state = "stopped";
                    why = te.getMessage();
                    LOG.error("binlog: {}", te.getMessage());
                    return;
                }
                if (!stopping) {
                    state = "retrying";
                    why = e.getMessage();
                    LOG.warn("binlog: {}; trying again in {} s", e.getMessage(), backoff.toSeconds());
                }
            }
            if (stopping) {
                break;
            }
            if (System.nanoTime() - t0 > MAX_BACKOFF.toNanos()) {
                backoff = Duration.ofSeconds(1); // it ran for a while: a fresh failure starts the back-off again
            }
            sleep(backoff);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
        state = "stopped";
    }

    private void sleep(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (!stopping && System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One connection's worth: check the server, choose where to start, run the client, archive what it writes. */
    private void follow() throws IOException {
        ServerLog server = ServerLog.read(db);
        if (!server.usable()) {
            state = "unavailable";
            why = server.why();
            LOG.warn("binlog: not archived: {}", why);
            sleep(Duration.ofMinutes(5));
            return;
        }
        BinlogArchive archive = BinlogArchive.load(repo);
        Position start = start(archive, server);
        noteGaps(BinlogArchive.load(repo));
        Spool tail = new Spool(spool, repo, lock, clock, archived, start, archive);
        clearSpool();
        List<String> cmd = new ArrayList<>(List.of(ClientTools.binlogTool().toString(), "--no-defaults",
                "--read-from-remote-server", "--raw", "--stop-never", "--stop-never-slave-server-id=" + replicaId));
        cmd.addAll(ClientTools.connection(db));
        cmd.add("--start-position=" + start.offset());
        cmd.add(start.file());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(spool.toFile())
                .redirectErrorStream(true).redirectOutput(spool.resolve("client.log").toFile());
        ClientTools.password(db, pb.environment());
        Process p = pb.start();
        process = p;
        state = "following";
        why = null;
        LOG.info("binlog: following {} from {}", server.current() == null ? "the server" : "the server (now at "
                + server.current() + ")", start);
        try {
            long lastMark = System.nanoTime();
            long lastMerge = System.nanoTime();
            while (!stopping && p.isAlive()) {
                sleep(COMMIT_EVERY);
                if (tail.poll()) {
                    lastMark = System.nanoTime();
                } else if (System.nanoTime() - lastMark > MARK_EVERY.toNanos() && p.isAlive()) {
                    tail.mark();
                    lastMark = System.nanoTime();
                }
                if (System.nanoTime() - lastMerge > MERGE_CHECK.toNanos()) {
                    noteGaps(merger.merge(() -> stopping));
                    lastMerge = System.nanoTime();
                }
            }
            boolean connected = p.isAlive();
            p.destroy();
            p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            tail.poll(); // what the client wrote before it ended is archived too
            if (stopping && connected) {
                tail.mark(); // connected to the end: the archive is known complete up to now
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            p.destroyForcibly();
            process = null;
        }
        if (!stopping) {
            String out = clientLog();
            throw new IOException("the binlog client ended (" + (out.isBlank() ? "exit " + p.exitValue() : out) + ")");
        }
    }

    private String clientLog() {
        try {
            List<String> lines = Files.readAllLines(spool.resolve("client.log"), StandardCharsets.UTF_8);
            return String.join(" ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The archive's end if the server still has that file; else (purged) a gap is recorded and the oldest file it
     * has is followed. An empty archive starts at the start of the latest point's file, or of the server's current.
     */
    private Position start(BinlogArchive archive, ServerLog server) throws IOException {
        if (server.logs().isEmpty()) {
            throw new IOException("the server lists no binary log files");
        }
        Position end = archive.end();
        if (end != null) {
            if (server.log(end.file()) != null) {
                return end;
            }
            ServerLog.File oldest = server.logs().get(0);
            if (Position.compareFiles(oldest.name(), end.file()) > 0) {
                Piece.Gap g = new Piece.Gap(end.file(), end.offset(), oldest.name(), clock.instant(),
                        "the server purged binlog files after " + end + " before they were archived (the daemon was "
                                + "stopped longer than the server keeps them, expire_logs_days/binlog_expire_logs_seconds)");
                lock.check();
                repo.store().put(g.key(), dev.tidemark.repo.CheckedRecord.seal(Json.MAPPER.writeValueAsBytes(g)));
                gapsRecorded++;
                LOG.warn("binlog: gap: {}; the database cannot be restored to a time between {} and the next point",
                        g.why(), archive.lastCommit());
                return new Position(oldest.name(), Position.START);
            }
            throw new IOException("the server has no binlog file " + end.file() + " but older ones: its binary log "
                    + "was reset; refusing to mix two histories under one archive");
        }
        Position p = pointStart.get();
        if (p != null && server.log(p.file()) != null) {
            return new Position(p.file(), Position.START);
        }
        String file = server.current() != null ? server.current().file() : server.logs().get(server.logs().size() - 1)
                .name();
        return new Position(file, Position.START);
    }

    private void clearSpool() throws IOException {
        Files.createDirectories(spool);
        try (Stream<Path> s = Files.list(spool)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(f);
            }
        }
    }

    private void noteGaps(BinlogArchive archive) {
        List<String> out = new ArrayList<>();
        for (Piece.Gap g : archive.gaps()) {
            out.add("at " + g.at() + ", seen " + g.time() + ": " + g.why() + "; the database cannot be restored to a "
                    + "time after the last transaction before it and before the next point after it");
        }
        gaps = List.copyOf(out);
    }

}

package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.fail;

import dev.tidemark.config.Config;
import dev.tidemark.index.Index;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.journal.AtTime;
import dev.tidemark.journal.Journal;
import dev.tidemark.journal.JournalEntry;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.scan.SourceFiles;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** A daemon running in this JVM on a real repository, index, lock and watcher, for as long as a test needs it. */
public final class Running implements AutoCloseable {
    public final Env env;
    final Config config;
    public final Repository repo;
    final WriterLock lock;
    final Index index;
    public final Daemon daemon;
    private final Thread thread;
    private volatile Throwable error;

    public Running(Env env) throws Exception {
        this(env, SourceFiles.DEFAULT);
    }

    Running(Env env, SourceFiles sources) throws Exception {
        this(env, sources, store -> store);
    }

    /** A daemon whose repository is reached through {@code wrap} (a decorator that counts or injects faults). */
    static Running through(Env env, java.util.function.UnaryOperator<dev.tidemark.repo.store.Store> wrap)
            throws Exception {
        return new Running(env, SourceFiles.DEFAULT, wrap);
    }

    private Running(Env env, SourceFiles sources, java.util.function.UnaryOperator<dev.tidemark.repo.store.Store> wrap)
            throws Exception {
        this.env = env;
        this.config = env.config();
        this.repo = Repository.open(wrap.apply(config.openStore()), config.passwords()).forHost(config.hostName());
        this.lock = WriterLock.acquireShared(repo.store(), Clock.systemUTC(), "tidemark run", config.hostName(),
                Duration.ofMinutes(1));
        this.index = Index.open(config.indexDir(), repo.id());
        this.daemon = new Daemon(config, repo, index, lock, Clock.systemUTC(), new Daemon.Options(false, sources));
        this.thread = new Thread(() -> {
            try (Control.Server control = Control.Server.start(config.controlSocket(), daemon)) {
                daemon.run();
            } catch (Throwable t) {
                error = t;
            }
        }, "test-daemon");
        thread.start();
        daemon.started().get(120, TimeUnit.SECONDS);
        if (error != null) {
            throw new AssertionError("daemon failed to start", error);
        }
    }

    /** Waits until the daemon stopped by itself; returns why (null if it is still running at the deadline). */
    Throwable awaitFailure(Duration timeout) throws InterruptedException {
        thread.join(timeout.toMillis());
        return thread.isAlive() ? null : error;
    }

    /** The settings these tests use: a short settle window, points only on demand. */
    public static String fastConfig() {
        return "  \"points\": {\"interval\": \"1h\"},\n  \"run\": {\"settle\": \"100ms\", \"maxDelay\": \"2s\"},\n";
    }

    @Override
    public void close() throws Exception {
        daemon.stop();
        thread.join(TimeUnit.MINUTES.toMillis(2));
        if (thread.isAlive()) {
            fail("daemon did not stop within 2 minutes");
        }
        index.close();
        lock.close();
        repo.store().close();
        if (error != null) {
            throw new AssertionError("daemon failed", error);
        }
    }

    /** Every journal change of a tree from the beginning up to now. */
    static List<JournalEntry> journal(Repository repo, String tree) throws IOException {
        List<JournalEntry> out = new ArrayList<>();
        new Journal(repo).read(0, Instant.now(), e -> {
            if (e.tree().equals(tree)) {
                out.add(e);
            }
        });
        return out;
    }

    /** What the repository says the tree was at {@code at}: the last point before it plus the journal. */
    public static Map<String, FileEntry> stateAt(Repository repo, String tree, Instant at) throws IOException {
        Map<String, FileEntry> out = new TreeMap<>();
        try (Entries en = AtTime.of(repo, at).entries(dev.tidemark.testing.TestContents.reader(repo), tree).open()) {
            for (FileEntry e = en.nextOrNull(); e != null; e = en.nextOrNull()) {
                out.put(e.path(), e);
            }
        }
        return out;
    }

    /** Differences between the source tree and the repository's latest state: types, sizes and mtimes. */
    static List<String> differences(Repository repo, String tree, Path source) throws IOException {
        Map<String, Trees.Entry> src = Trees.describe(source);
        Map<String, FileEntry> rep = stateAt(repo, tree, Instant.now());
        List<String> diff = new ArrayList<>();
        for (Map.Entry<String, Trees.Entry> e : src.entrySet()) {
            String path = e.getKey().isEmpty() ? FileEntry.ROOT : e.getKey();
            FileEntry r = rep.remove(path);
            Trees.Entry s = e.getValue();
            if (r == null) {
                diff.add("missing " + path);
            } else if (!r.type().code().equals(s.type()) || (r.isFile() && r.size() != s.size())
                    || (!r.isSymlink() && r.mtimeNanos() != s.mtimeNanos())) {
                diff.add("differs " + path + ": repository " + r + ", source " + s);
            }
        }
        for (String extra : rep.keySet()) {
            diff.add("extra " + extra);
        }
        return diff;
    }

    /** Waits until the daemon follows {@code tree} in {@code mode}. */
    void awaitMode(String tree, Daemon.Mode mode, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (daemon.mode(tree) != mode && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        org.junit.jupiter.api.Assertions.assertEquals(mode, daemon.mode(tree), "mode of tree " + tree);
    }

    /** Waits until the repository's latest state of {@code tree} matches its source. */
    public void awaitReplicated(String tree, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> diff;
        do {
            if (error != null) {
                throw new AssertionError("daemon failed", error);
            }
            diff = differences(repo, tree, env.tree(tree));
            if (diff.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        fail("tree " + tree + " not replicated within " + timeout + ": " + diff.size() + " differences, first "
                + diff.subList(0, Math.min(5, diff.size())));
    }
}

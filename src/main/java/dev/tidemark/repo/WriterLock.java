package dev.tidemark.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository's single-writer lock, held as an object {@code locks/<id>} carrying host, pid, command and a
 * heartbeat refreshed every {@link #HEARTBEAT}.
 *
 * <p>Protocol (works on any store with list-after-write, so also on S3): write our lock object, then list
 * {@code locks/}. If any other lock is live we delete ours and fail; two racing writers may both fail, never both
 * succeed. A lock is stale when its heartbeat is older than {@link #STALE_AFTER}, or when it belongs to this host and
 * its pid is gone (a crash or kill -9); stale locks are removed with a warning.
 */
public final class WriterLock implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WriterLock.class);
    public static final String PREFIX = "locks/";
    public static final Duration HEARTBEAT = Duration.ofSeconds(60);
    public static final Duration STALE_AFTER = Duration.ofMinutes(10);

    /** What a lock object says. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Info(String host, long pid, String command, Instant created, Instant heartbeat) {
        public String describe() {
            return "pid " + pid + " on " + host + " ('" + command + "', since " + created + ", heartbeat " + heartbeat + ")";
        }
    }

    private final Store store;
    private final String key;
    private final Clock clock;
    private final Info info;
    private final ScheduledExecutorService heartbeat;

    private WriterLock(Store store, String key, Clock clock, Info info) {
        this.store = store;
        this.key = key;
        this.clock = clock;
        this.info = info;
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(Threads.daemon("tidemark-lock-heartbeat", false));
    }

    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    /** Takes the writer lock or throws a {@link TidemarkException} with {@link ExitCode#LOCKED}. */
    public static WriterLock acquire(Store store, Clock clock, String command) throws IOException {
        Instant now = clock.instant();
        Info mine = new Info(hostName(), ProcessHandle.current().pid(), command, now, now);
        String key = PREFIX + UUID.randomUUID();
        store.put(key, Json.MAPPER.writeValueAsBytes(mine));
        WriterLock lock = new WriterLock(store, key, clock, mine);
        try {
            List<String> keys = store.list(PREFIX);
            for (String other : keys) {
                if (other.equals(key)) {
                    continue;
                }
                Info theirs = read(store, other);
                if (theirs == null) {
                    continue; // removed meanwhile
                }
                String stale = staleReason(theirs, clock.instant());
                if (stale != null) {
                    LOG.warn("removing stale lock {} of {}: {}", other, theirs.describe(), stale);
                    store.delete(other);
                } else {
                    throw new TidemarkException(ExitCode.LOCKED, "repository " + store.location() + " is locked by "
                            + theirs.describe() + "; wait for it to finish (or stop it) and try again");
                }
            }
        } catch (IOException | RuntimeException e) {
            store.delete(key);
            throw e;
        }
        lock.heartbeat.scheduleWithFixedDelay(lock::beat, HEARTBEAT.toSeconds(), HEARTBEAT.toSeconds(), TimeUnit.SECONDS);
        return lock;
    }

    private static Info read(Store store, String key) throws IOException {
        try {
            return Json.MAPPER.readValue(store.get(key), Info.class);
        } catch (ObjectNotFoundException e) {
            return null;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            // Half a lock cannot exist (puts are atomic); an unreadable one is foreign or damaged: treat as stale.
            return new Info("?", -1, "unreadable lock object", Instant.EPOCH, Instant.EPOCH);
        }
    }

    static String staleReason(Info i, Instant now) {
        if (i.heartbeat() == null || Duration.between(i.heartbeat(), now).compareTo(STALE_AFTER) > 0) {
            return "no heartbeat for more than " + STALE_AFTER.toMinutes() + " minutes";
        }
        if (i.host().equals(hostName()) && i.pid() != ProcessHandle.current().pid()
                && ProcessHandle.of(i.pid()).map(p -> !p.isAlive()).orElse(true)) {
            return "process " + i.pid() + " is gone";
        }
        return null;
    }

    private void beat() {
        try {
            Info next = new Info(info.host(), info.pid(), info.command(), info.created(), clock.instant());
            store.put(key, Json.MAPPER.writeValueAsBytes(next));
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not refresh repository lock {}: {}", key, e.toString());
        }
    }

    public String key() {
        return key;
    }

    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.delete(key);
    }
}

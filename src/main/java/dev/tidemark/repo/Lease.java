package dev.tidemark.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import dev.tidemark.util.Threads;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An object in the repository that says "this process is using the repository", kept alive by a heartbeat: the
 * writer lock ({@code locks/}) and readers' leases ({@code leases/}) are both leases.
 *
 * <p>A lease is one object, {@code <prefix><uuid>}, holding host, pid, command, creation time and the last heartbeat
 * (rewritten every {@link #HEARTBEAT}: a whole put, so it works on any store without append or rename). It is stale,
 * and may be removed by others, when its heartbeat is older than {@link #STALE_AFTER} or when it belongs to this host
 * and its process is gone. Hosts' clocks must agree to within a few minutes, as for any lock of this kind.
 *
 * <p>The heartbeat never re-creates an object someone removed: a lease taken away stays lost, and {@link #lost()}
 * says why. What that means is for the holder to decide (the writer stops; a reader only loses its protection).
 */
public final class Lease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lease.class);
    public static final Duration HEARTBEAT = Duration.ofSeconds(60);
    public static final Duration STALE_AFTER = Duration.ofMinutes(10);

    /** What a lease object says. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Info(String host, long pid, String command, Instant created, Instant heartbeat, Boolean shared,
                       String writesAs) {
        /** A lease or exclusive writer lock (every lock written before shared locks existed is exclusive). */
        public Info(String host, long pid, String command, Instant created, Instant heartbeat) {
            this(host, pid, command, created, heartbeat, null, null);
        }

        /** A shared writer lock: other hosts write beside it; an exclusive lock waits for it. */
        public boolean isShared() {
            return Boolean.TRUE.equals(shared);
        }

        public String describe() {
            return "pid " + pid + " on " + host + (writesAs != null && !writesAs.equals(host) ? " as " + writesAs : "")
                    + " ('" + command + "', since " + created + ", heartbeat " + heartbeat + ")";
        }

        /** The same holder: everything but the heartbeat agrees. */
        boolean sameHolder(Info o) {
            return o != null && host.equals(o.host) && pid == o.pid && command.equals(o.command)
                    && created.equals(o.created);
        }
    }

    /** A lease as listed: its object key and what it says. */
    public record Held(String key, Info info) {
    }

    private final Store store;
    private final String key;
    private final Clock clock;
    private final Info info;
    private final ScheduledExecutorService heartbeat;
    private volatile Instant refreshed;
    private volatile String lost;

    private Lease(Store store, String key, Clock clock, Info info) {
        this.store = store;
        this.key = key;
        this.clock = clock;
        this.info = info;
        this.refreshed = info.heartbeat();
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(Threads.daemon("tidemark-heartbeat", false));
    }

    public static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    /** Writes a new lease object under {@code prefix}. The heartbeat starts with {@link #startHeartbeat()}. */
    static Lease create(Store store, String prefix, Clock clock, String command) throws IOException {
        return create(store, prefix, clock, command, null, null);
    }

    /** As {@link #create(Store, String, Clock, String)}: a shared writer lock when {@code writesAs} is given. */
    static Lease create(Store store, String prefix, Clock clock, String command, Boolean shared, String writesAs)
            throws IOException {
        Instant now = clock.instant();
        Info mine = new Info(hostName(), ProcessHandle.current().pid(), command, now, now, shared, writesAs);
        String key = prefix + UUID.randomUUID();
        store.put(key, Json.MAPPER.writeValueAsBytes(mine));
        return new Lease(store, key, clock, mine);
    }

    /** Takes a reader's lease: deletions wait for it (see {@link DeferredDeletes}). */
    public static Lease reader(Store store, Clock clock, String command) throws IOException {
        Lease l = create(store, DeferredDeletes.LEASES, clock, command);
        l.startHeartbeat();
        return l;
    }

    void startHeartbeat() {
        heartbeat.scheduleWithFixedDelay(this::beat, HEARTBEAT.toSeconds(), HEARTBEAT.toSeconds(), TimeUnit.SECONDS);
    }

    public String key() {
        return key;
    }

    public Info info() {
        return info;
    }

    /** Why the lease is no longer ours, or null while it is. */
    public String lost() {
        return lost;
    }

    /** When the heartbeat last succeeded. */
    Instant refreshed() {
        return refreshed;
    }

    /**
     * Rewrites the heartbeat if the object is still ours; marks the lease lost (and leaves the store alone) if it
     * was removed or replaced. Returns false if the lease is lost.
     */
    synchronized boolean beat() {
        if (lost != null) {
            return false;
        }
        try {
            Info now = read(store, key);
            if (now == null) {
                lost = "its object " + key + " was removed (by another tidemark that took it for stale?)";
            } else if (!info.sameHolder(now)) {
                lost = "its object " + key + " now belongs to " + now.describe();
            } else {
                Instant t = clock.instant();
                store.put(key, Json.MAPPER.writeValueAsBytes(new Info(info.host(), info.pid(), info.command(),
                        info.created(), t, info.shared(), info.writesAs())));
                refreshed = t;
                return true;
            }
            LOG.error("lease {} lost: {}", key, lost);
            return false;
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not refresh lease {}: {}", key, e.toString());
            return lost == null;
        }
    }

    /** Reads a lease object; null if it is gone. An unreadable one reads as stale. */
    static Info read(Store store, String key) throws IOException {
        try {
            return CheckedRecord.parse(store.get(key), Info.class, key);
        } catch (ObjectNotFoundException e) {
            return null;
        } catch (DamageException e) {
            // Half an object cannot exist (puts are atomic): an unreadable one is foreign or damaged.
            return new Info("?", -1, "unreadable lease object", Instant.EPOCH, Instant.EPOCH);
        }
    }

    /** Why a lease is stale at {@code now}, or null if it is live. */
    public static String staleReason(Info i, Instant now) {
        if (i.heartbeat() == null || Duration.between(i.heartbeat(), now).compareTo(STALE_AFTER) > 0) {
            return "no heartbeat for more than " + STALE_AFTER.toMinutes() + " minutes";
        }
        if (i.host().equals(hostName()) && i.pid() != ProcessHandle.current().pid()
                && ProcessHandle.of(i.pid()).map(p -> !p.isAlive()).orElse(true)) {
            return "process " + i.pid() + " is gone";
        }
        return null;
    }

    /** Every lease under {@code prefix}, live or stale, as it is now. */
    public static List<Held> list(Store store, String prefix) throws IOException {
        List<Held> out = new ArrayList<>();
        for (String k : store.list(prefix)) {
            Info i = read(store, k);
            if (i != null) {
                out.add(new Held(k, i));
            }
        }
        return out;
    }

    /** Stops the heartbeat and removes the object (if it is still ours). */
    @Override
    public void close() throws IOException {
        heartbeat.shutdownNow();
        try {
            heartbeat.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (lost == null) {
                store.delete(key);
            }
        }
    }
}

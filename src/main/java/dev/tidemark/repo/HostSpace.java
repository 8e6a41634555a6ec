package dev.tidemark.repo;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Where one host's own objects live (format 5): its journal, its journal horizon and its archived binlog, under
 * {@code hosts/<id>/}. Packs and restore points are shared by every host; only these streams are one host's, because
 * each is numbered or positioned by the one process that writes it (journal batches, binlog offsets of that host's
 * server).
 *
 * <p>The id is the content key of the host's name under the repository's seeds: 32 hex digits, whatever characters
 * the name has, and in an encrypted repository (whose seeds are secret) it says nothing of the name. The name is in
 * {@code hosts/<id>/host}, a checked record the host's first writer creates.
 *
 * <p>The repository upgraded from format 3 keeps its journal, horizon and binlog where they were; the host that
 * wrote them (the host of the newest point at the upgrade) is recorded as their owner ({@code "legacy": true}) and
 * reads them beside its own; its compactions and prunes move them into its space over time.
 *
 * @param host   the host's name as points carry it
 * @param prefix {@code hosts/<id>/}; empty for a repository before format 5 (one journal for everyone)
 * @param legacy whether the objects outside {@code hosts/} are this host's too
 */
public record HostSpace(String host, String prefix, boolean legacy) {
    public static final String PREFIX = "hosts/";
    public static final String RECORD = "host";

    /** The keys under which a host's own objects live, relative to its space. */
    static final List<String> SPACED = List.of("journal/", "binlog/", "journal-horizon");

    /** What {@code hosts/<id>/host} says. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Record(String host, boolean legacy, Instant created) {
    }

    /** The space of a repository before format 5: everything where it always was. */
    public static HostSpace whole(String host) {
        return new HostSpace(host, "", true);
    }

    /** The id of {@code host}'s space. */
    public static String idOf(ContentHasher hasher, String host) {
        byte[] name = host.getBytes(StandardCharsets.UTF_8);
        return hasher.hash(name, 0, name.length).hex();
    }

    /** True if {@code key} (relative to a space) is one of a host's own objects. */
    public static boolean spaced(String key) {
        for (String s : SPACED) {
            if (s.endsWith("/") ? key.startsWith(s) : key.equals(s)) {
                return true;
            }
        }
        return false;
    }

    /** Whether this is a repository before format 5 (no spaces). */
    public boolean whole() {
        return prefix.isEmpty();
    }

    /** The object key of {@code key} in this space. */
    public String key(String key) {
        return prefix + key;
    }

    /**
     * The object keys {@code key} (in this host's view) may be stored under: in the space, and for the owner of the
     * objects format 3 left outside {@code hosts/}, there too.
     */
    public List<String> ownKeys(String key) {
        if (!spaced(key) || whole()) {
            return List.of(key);
        }
        return legacy ? List.of(prefix + key, key) : List.of(prefix + key);
    }

    /** The space's record key: {@code hosts/<id>/host}. */
    public String recordKey() {
        return prefix + RECORD;
    }

    /** Reads the record of the space at {@code prefix}; null if there is none. */
    static Record readRecord(Store store, String prefix) throws IOException {
        try {
            return CheckedRecord.read(store.get(prefix + RECORD), Record.class, "host record " + prefix + RECORD);
        } catch (ObjectNotFoundException e) {
            return null;
        }
    }

    /** Creates this space's record if it has none (the first write of a new host). */
    void claim(Store store, Instant now) throws IOException {
        if (whole()) {
            return;
        }
        byte[] json = CheckedRecord.seal(Json.MAPPER.writeValueAsBytes(new Record(host, legacy, now)));
        store.putIfAbsent(recordKey(), json);
    }

    /**
     * Every host that has a space in {@code store}, with its space: every {@code hosts/<id>/} holding any object,
     * so that a space whose record is missing still keeps its journal's content (named by its id then).
     */
    static List<HostSpace> list(Store store) throws IOException {
        java.util.Set<String> prefixes = new java.util.TreeSet<>();
        for (String k : store.list(PREFIX)) {
            int slash = k.indexOf('/', PREFIX.length());
            if (slash > 0) {
                prefixes.add(k.substring(0, slash + 1));
            }
        }
        List<HostSpace> out = new ArrayList<>();
        for (String prefix : prefixes) {
            Record r;
            try {
                r = readRecord(store, prefix);
            } catch (DamageException e) {
                throw new dev.tidemark.TidemarkException(dev.tidemark.ExitCode.DAMAGED, e.getMessage()
                        + "; copy it back from a replica (it names the host whose journal is there)", e);
            }
            String id = prefix.substring(PREFIX.length(), prefix.length() - 1);
            out.add(r == null ? new HostSpace("(host " + id + ")", prefix, false)
                    : new HostSpace(r.host(), prefix, r.legacy()));
        }
        return out;
    }
}

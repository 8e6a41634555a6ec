package dev.tidemark.point;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.CheckedRecord;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** Restore point records in the repository: {@code points/<id>}, JSON, written last and never changed. */
public final class PointStore {
    public static final String PREFIX = "points/";
    public static final String LATEST = "latest";
    private static final Pattern FULL_ID = Pattern.compile("\\d{8}T\\d{6}Z(-\\d+)?");
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final Repository repo;

    public PointStore(Repository repo) {
        this.repo = repo;
    }

    /** Point ids, oldest first. */
    public List<String> ids() throws IOException {
        List<String> out = new ArrayList<>();
        for (String k : repo.store().list(PREFIX)) {
            out.add(k.substring(PREFIX.length()));
        }
        out.sort(PointStore::compareIds);
        return out;
    }

    /** Ids sort by time, then by the "-N" suffix that tells apart two points of the same second. */
    static int compareIds(String a, String b) {
        String ta = a.length() >= 16 ? a.substring(0, 16) : a;
        String tb = b.length() >= 16 ? b.substring(0, 16) : b;
        int c = ta.compareTo(tb);
        if (c != 0) {
            return c;
        }
        return Integer.compare(suffix(a), suffix(b));
    }

    private static int suffix(String id) {
        int dash = id.lastIndexOf('-');
        if (dash < 16) {
            return 0;
        }
        try {
            return Integer.parseInt(id.substring(dash + 1));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * The newest point of this view's host (points sort by time, see {@link RestorePoint}), or null if it has none.
     * Before format 5 there is one journal, and this is the newest point of any host.
     */
    public RestorePoint latest() throws IOException {
        if (repo.space().whole()) {
            return newest();
        }
        List<String> ids = ids();
        for (int i = ids.size() - 1; i >= 0; i--) {
            RestorePoint p = loadIfPresent(ids.get(i));
            if (p != null && repo.host().equals(p.host())) {
                return p;
            }
        }
        return null;
    }

    /** The newest point of any host, or null if there is none. */
    public RestorePoint newest() throws IOException {
        List<String> ids = ids();
        return ids.isEmpty() ? null : load(ids.get(ids.size() - 1));
    }

    /**
     * Every point of this view's host, oldest first (before format 5, every point): the points its journal runs
     * between.
     */
    public List<RestorePoint> ofHost() throws IOException {
        List<RestorePoint> out = all();
        if (!repo.space().whole()) {
            out.removeIf(p -> !repo.host().equals(p.host()));
        }
        return out;
    }

    /**
     * What "latest" names: this host's newest point; where this host has none and every point is one other host's
     * (a machine renamed, a restore on a new machine), that host's newest. Points of several other hosts and none of
     * this one's: a one-line error naming them and {@code --host}.
     */
    private RestorePoint latestOfUser(List<String> ids) throws IOException {
        if (repo.space().whole()) {
            return load(ids.get(ids.size() - 1));
        }
        RestorePoint mine = latest();
        if (mine != null) {
            return mine;
        }
        // None of this host's: latest() has read every point; one more pass says whose they are.
        List<RestorePoint> all = all();
        java.util.TreeSet<String> hosts = new java.util.TreeSet<>();
        for (RestorePoint p : all) {
            hosts.add(p.host());
        }
        if (hosts.size() == 1) {
            return all.get(all.size() - 1);
        }
        throw TidemarkException.failed("repository " + repo.location() + " has no restore points of host "
                + repo.host() + " but points of " + hosts.size() + " other hosts (" + String.join(", ", hosts)
                + "): choose one with --host NAME");
    }

    /** Every point, oldest first; one forgotten between the listing and its reading is passed over. */
    public List<RestorePoint> all() throws IOException {
        List<RestorePoint> out = new ArrayList<>();
        for (String id : ids()) {
            RestorePoint p = loadIfPresent(id);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    /** The point, or null if there is none (any more) by that id. */
    public RestorePoint loadIfPresent(String id) throws IOException {
        try {
            byte[] stored = repo.store().get(PREFIX + id);
            return CheckedRecord.read(stored, RestorePoint.class, "restore point " + id + " in " + repo.location());
        } catch (ObjectNotFoundException e) {
            return null;
        } catch (DamageException e) {
            throw new TidemarkException(ExitCode.DAMAGED, e.getMessage() + "; run 'tidemark verify'", e);
        }
    }

    /** Deletes point records (forget): the writer lock is checked first. Their content stays until a prune. */
    public void forget(List<String> ids, WriterLock lock) throws IOException {
        if (ids.isEmpty()) {
            return;
        }
        lock.check();
        List<String> keys = new ArrayList<>();
        for (String id : ids) {
            keys.add(PREFIX + id);
        }
        repo.store().delete(keys);
    }

    public RestorePoint load(String id) throws IOException {
        RestorePoint p = loadIfPresent(id);
        if (p == null) {
            throw new TidemarkException(ExitCode.FAILED, "no restore point " + id + " in " + repo.location());
        }
        return p;
    }

    private static final java.util.regex.Pattern TAG = java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");

    /**
     * Refuses a tag that a point name could not tell apart: it must start with a letter (ids start with digits, so a
     * tag is never taken for an id prefix), hold 1-64 of A-Z a-z 0-9 . _ -, and not be "latest".
     */
    public static void checkTag(String tag) {
        if (tag == null || !TAG.matcher(tag).matches()) {
            throw TidemarkException.usage("tag '" + tag + "' is not allowed: start with a letter, then up to 63 of "
                    + "A-Z a-z 0-9 . _ - (a tag starting with a digit could be taken for a point id)");
        }
        if (tag.equals(LATEST)) {
            throw TidemarkException.usage("tag 'latest' is not allowed: 'latest' always names the newest point; "
                    + "choose another tag");
        }
    }

    /** Resolves "latest", a full id, a unique prefix of one, or a tag (the newest point carrying it). */
    public RestorePoint resolve(String spec) throws IOException {
        List<String> ids = ids();
        if (ids.isEmpty()) {
            throw TidemarkException.failed("repository " + repo.location() + " has no restore points yet: "
                    + "take one with 'tidemark point'");
        }
        if (spec.equals(LATEST)) {
            return latestOfUser(ids);
        }
        if (ids.contains(spec)) {
            return load(spec);
        }
        if (FULL_ID.matcher(spec).matches()) {
            // A whole id is never a prefix of another point's (20261122T061710Z is not 20261122T061710Z-2).
            throw TidemarkException.failed("no restore point " + spec + " in " + repo.location()
                    + " (forgotten, or never taken here); 'tidemark points' lists them");
        }
        List<String> matches = ids.stream().filter(i -> i.startsWith(spec)).toList();
        if (matches.size() == 1) {
            return load(matches.get(0));
        }
        if (matches.isEmpty()) {
            // Last resort: a tag names the newest point that carries it.
            for (int i = ids.size() - 1; i >= 0; i--) {
                RestorePoint p = load(ids.get(i));
                if (p.tags().contains(spec)) {
                    return p;
                }
            }
            throw TidemarkException.failed("no restore point '" + spec + "' in " + repo.location()
                    + " (by id, id prefix or tag); 'tidemark points' lists them");
        }
        throw TidemarkException.failed("'" + spec + "' matches " + matches.size() + " restore points ("
                + String.join(", ", matches.subList(0, Math.min(4, matches.size()))) + "); give more of the id");
    }

    /** A new id for a point taken at {@code time}, unique in this repository (the writer lock makes this safe). */
    public String newId(Instant time) throws IOException {
        String base = ID.format(time);
        String id = base;
        for (int n = 2; repo.store().size(PREFIX + id).isPresent(); n++) {
            id = base + "-" + n;
        }
        return id;
    }

    /**
     * Writes the point record: the last step of taking a point. The writer lock is checked first, and the record is
     * created only if its id is free: a point never replaces another.
     */
    public void save(RestorePoint p, WriterLock lock) throws IOException {
        lock.check();
        if (!repo.store().putIfAbsent(PREFIX + p.id(), CheckedRecord.seal(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(p)))) {
            throw TidemarkException.failed("restore point " + p.id() + " exists already in " + repo.location()
                    + ": another writer is using the repository; nothing was replaced");
        }
    }
}

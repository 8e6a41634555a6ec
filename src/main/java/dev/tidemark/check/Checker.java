package dev.tidemark.check;

import dev.tidemark.TidemarkException;
import dev.tidemark.hash.ContentHasher;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.db.DumpReader;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.progress.Progress;
import dev.tidemark.repo.BlobCodec;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.BlobReader;
import dev.tidemark.repo.ChunkList;
import dev.tidemark.repo.Contents;
import dev.tidemark.repo.PackDirectory;
import dev.tidemark.repo.DamageException;
import dev.tidemark.repo.PackFormat;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tidemark verify}: checks the repository against itself, never against the index.
 *
 * <p>Always: every pack trailer parses; every point record parses; every manifest exists, parses and matches its
 * name; every file in every manifest names content some pack holds; journal objects do not partly overlap, every one a reader
 * would read matches its name and every file version in it names content some pack holds. With {@code readData}: every pack's bytes hash to
 * its name, and every blob decodes and hashes to its content key. Damage is reported with the files (and points) it
 * affects, so a person knows what a restore would lose. Content stored as a chunk list is checked through the list:
 * every chunk present and, with {@code readData}, sound; a damaged or missing chunk names every file and dump that
 * uses it.
 */
public final class Checker {
    private static final Logger LOG = LoggerFactory.getLogger(Checker.class);

    /** The outcome: a list of damage found (empty when the repository is sound) and what was checked. */
    public record Report(List<String> damage, List<String> affected, int packs, long blobs, int points, int manifests,
                         long fileEntries, long bytesRead, int journalObjects, long journalChanges, int dumps,
                         int binlogPieces, long binlogBytes, int packsRead) {
        public boolean ok() {
            return damage.isEmpty();
        }
    }

    private final Repository repo;
    private final Progress.Mode progressMode;
    /** Whether to read the data of one object (a pack, a dump, a binlog piece): all, or a random share. */
    private java.util.function.Predicate<String> sample = k -> true;
    private final List<String> damage = new ArrayList<>();
    private final Set<ContentKey> damagedKeys = new HashSet<>();
    private final Set<ContentKey> blobs = new HashSet<>();
    private final Set<ContentKey> lists = new HashSet<>();
    /** What is wrong with the content of each list key checked so far ("" if nothing). */
    private final Map<ContentKey, String> listProblems = new HashMap<>();
    private Contents contents;

    public Checker(Repository repo, Progress.Mode progressMode) {
        this.repo = repo;
        this.progressMode = progressMode;
    }

    private void damage(String what) {
        LOG.debug("damage: {}", what);
        damage.add(what);
    }

    /** Thrown inside a check when a listed object is gone: garbage a compaction or prune let go meanwhile. */
    static final class Vanished extends RuntimeException {
        Vanished(String key) {
            super(key, null, false, false);
        }
    }

    /**
     * Checks the repository. A pack or journal object that vanishes between the listing and its reading was garbage
     * already when this check began (deletions wait for readers that started before), so the check starts over
     * with a fresh listing, up to a few times.
     */
    public Report check(boolean readData) throws IOException {
        return check(readData, 1.0);
    }

    /**
     * As {@link #check(boolean)}, reading the data of only a random {@code fraction} of the packs, dumps and binlog
     * pieces (a different sample each run: over many runs everything is read), the structure of all of them.
     */
    public Report check(boolean readData, double fraction) throws IOException {
        this.sample = fraction >= 1.0 ? k -> true : k -> java.util.concurrent.ThreadLocalRandom.current().nextDouble()
                < fraction;
        for (int attempt = 1; ; attempt++) {
            damage.clear();
            damagedKeys.clear();
            blobs.clear();
            lists.clear();
            listProblems.clear();
            try (BlobReader reader = new BlobReader(repo, new PackDirectory(repo))) {
                contents = reader;
                return checkOnce(readData);
            } catch (Vanished v) {
                if (attempt == 5) {
                    throw TidemarkException.failed("verify: objects keep vanishing while they are read (the last: "
                            + v.getMessage() + "); try again when the daemon's prune has finished");
                }
                LOG.info("verify: {} was deleted meanwhile (a compaction or prune); starting over", v.getMessage());
            }
        }
    }

    private Report checkOnce(boolean readData) throws IOException {
        Store store = repo.store();
        // Only the keys are kept (about 64 bytes each): a million blobs must fit in a small heap.
        List<String> packIds = repo.packIds();
        Set<String> readableTrailers = new HashSet<>();
        long totalPackBytes = 0;
        for (String id : packIds) {
            try {
                for (BlobLocation b : repo.readTrailer(id)) {
                    blobs.add(b.key());
                    if (b.list()) {
                        lists.add(b.key());
                    }
                }
                readableTrailers.add(id);
            } catch (ObjectNotFoundException e) {
                throw new Vanished(PackFormat.keyOf(id));
            } catch (DamageException e) {
                damage(e.getMessage());
            }
            totalPackBytes += store.size(PackFormat.keyOf(id)).orElse(0);
        }
        long bytesRead = 0;
        int packsRead = 0;
        if (readData) {
            try (Progress progress = Progress.start("verify", 0, totalPackBytes, progressMode)) {
                for (String id : packIds) {
                    if (!sample.test(id)) {
                        continue;
                    }
                    packsRead++;
                    try {
                        bytesRead += readPack(id, readableTrailers.contains(id) ? repo.readTrailer(id) : null,
                                progress);
                    } catch (ObjectNotFoundException e) {
                        throw new Vanished(PackFormat.keyOf(id));
                    }
                }
            }
        }
        PointStore points = new PointStore(repo);
        List<String> ids = points.ids();
        Map<String, List<String>> manifestPoints = new LinkedHashMap<>();
        Map<String, String> manifestTree = new HashMap<>();
        int pointCount = 0;
        Map<String, List<String>> dumpPoints = new LinkedHashMap<>();
        for (String id : ids) {
            RestorePoint p;
            try {
                p = points.load(id);
            } catch (dev.tidemark.TidemarkException e) {
                damage(e.getMessage());
                continue;
            }
            pointCount++;
            if (p.database() != null && p.database().dump() != null) {
                dumpPoints.computeIfAbsent(p.database().dump(), k -> new ArrayList<>()).add(p.id());
            }
            for (TreeSnapshot t : p.trees()) {
                manifestPoints.computeIfAbsent(t.manifest(), k -> new ArrayList<>()).add(p.id());
                manifestTree.put(t.manifest(), t.name());
            }
        }
        long entries = 0;
        List<String> affected = new ArrayList<>();
        for (Map.Entry<String, List<String>> m : manifestPoints.entrySet()) {
            String key = m.getKey();
            String tree = manifestTree.get(key);
            try (ManifestReader r = new ManifestReader(contents, key)) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    entries++;
                    if (!e.isFile()) {
                        continue;
                    }
                    String why = problem(e.key());
                    if (why != null) {
                        affected.add(tree + "/" + e.path() + " (content " + e.key().shortHex() + why + "; points "
                                + String.join(", ", m.getValue()) + ")");
                    }
                }
            } catch (IOException e) {
                damage("manifest " + key + " of tree '" + tree + "' (points " + String.join(", ", m.getValue())
                        + "): " + e.getMessage());
            }
        }
        // Each host's own streams: its journal, then (below, after the dumps) its archived binlog.
        HostStreams.Findings findings = new HostStreams.Findings() {
            @Override
            public String problem(ContentKey key) {
                return Checker.this.problem(key);
            }

            @Override
            public void damage(String what) {
                Checker.this.damage(what);
            }

            @Override
            public void affected(String what) {
                affected.add(what);
            }
        };
        HostStreams.Journals journals = HostStreams.journals(repo, findings);
        // Database dumps: each one there; with readData, every byte read, checked and parsed statement by statement.
        for (Map.Entry<String, List<String>> d : dumpPoints.entrySet()) {
            String what = "database dump " + d.getKey() + " (points " + String.join(", ", d.getValue()) + ")";
            try {
                ContentKey content = dev.tidemark.repo.ContentObject.contentRef(d.getKey());
                String why = content == null ? (store.size(d.getKey()).isEmpty() ? " missing" : null)
                        : problem(content);
                if (why != null) {
                    damage(what + ":" + why);
                } else if (readData && sample.test(d.getKey())) {
                    try (DumpReader r = new DumpReader(contents, d.getKey())) {
                        long statements = 0;
                        while (r.next() != null) { // parsed; the segments are checked as they are read
                            statements++;
                        }
                        LOG.debug("{}: {} statements", what, statements);
                    }
                }
            } catch (IOException | dev.tidemark.TidemarkException e) {
                damage(what + ": " + e.getMessage());
            }
        }
        HostStreams.Binlogs binlogs = HostStreams.binlogs(repo, readData, sample, findings);
        if (!affected.isEmpty() && damage.isEmpty()) {
            damage(affected.size() + " files name content that no pack holds");
        }
        return new Report(List.copyOf(damage), List.copyOf(new TreeSet<>(affected)), packIds.size(), blobs.size(),
                pointCount, manifestPoints.size(), entries, bytesRead, journals.objects(), journals.changes(),
                dumpPoints.size(), binlogs.pieces(), binlogs.bytes(), packsRead);
    }

    /**
     * What is wrong with the content of {@code key} (" missing", " damaged", or which chunk of its list), or null.
     * Checked against the packs' trailers and, after a data read, what failed to decode.
     */
    private String problem(ContentKey key) {
        if (!blobs.contains(key)) {
            return " missing";
        }
        if (damagedKeys.contains(key)) {
            return " damaged";
        }
        if (!lists.contains(key)) {
            return null;
        }
        String p = listProblems.get(key);
        if (p == null) {
            p = checkList(key);
            listProblems.put(key, p);
        }
        return p.isEmpty() ? null : p;
    }

    /** What is wrong with the chunks of list {@code k} ("" if nothing); a group of chunks is checked in turn. */
    private String checkList(ContentKey k) {
        ChunkList list;
        try {
            list = contents.listOf(k);
        } catch (ObjectNotFoundException e) {
            throw new Vanished(e.getMessage());
        } catch (IOException e) {
            return ": its chunk list is unreadable (" + e.getMessage() + ")";
        }
        for (int i = 0; i < list.chunks().size(); i++) {
            ContentKey c = list.chunks().get(i).key();
            if (!blobs.contains(c) || damagedKeys.contains(c)) {
                return ": chunk " + i + " of " + list.chunks().size() + " (" + c.shortHex() + ")"
                        + (blobs.contains(c) ? " damaged" : " missing");
            }
            if (lists.contains(c)) {
                String inner = problem(c);
                if (inner != null) {
                    return ": chunk group " + i + " of " + list.chunks().size() + inner;
                }
            }
        }
        return "";
    }

    /** Hashes a whole pack against its name, then decodes every blob; returns the bytes read. */
    private long readPack(String id, List<BlobLocation> trailer, Progress progress) throws IOException {
        Store store = repo.store();
        String key = PackFormat.keyOf(id);
        long n = 0;
        ContentHasher hasher = repo.hasher();
        try (InputStream in = store.open(key); ContentHasher.Stream h = hasher.stream()) {
            byte[] buf = new byte[1 << 20];
            for (int r; (r = in.read(buf)) > 0; ) {
                h.update(buf, 0, r);
                n += r;
                progress.add(0, r);
            }
            if (!h.key().hex().equals(id)) {
                damage("pack " + key + ": its bytes do not match its name (corrupted on disk)");
            }
        } catch (DamageException e) {
            // an encrypted pack whose segment fails authentication: the blobs are checked one by one below, so the
            // files that do not depend on the damaged part are told apart from those that do
            damage("pack " + key + ": " + e.getMessage());
        }
        if (trailer == null) {
            return n;
        }
        try (Store.ReadHandle rh = store.openForRead(key)) {
            for (BlobLocation b : trailer) {
                String what = "blob " + b.key().shortHex() + " in pack " + key;
                long[] pos = {b.offset()};
                long end = b.offset() + b.storedLength();
                try {
                    BlobCodec.decode((dst, off, len) -> {
                        if (pos[0] + len > end) {
                            throw new DamageException(what + ": truncated");
                        }
                        rh.readFully(pos[0], dst, off, len);
                        pos[0] += len;
                    }, b.storedLength(), b.rawLength(), b.key(), hasher, (buf, off, len) -> { }, what);
                    progress.add(1, 0);
                } catch (DamageException e) {
                    damage(e.getMessage());
                    damagedKeys.add(b.key());
                }
            }
        }
        return n;
    }
}

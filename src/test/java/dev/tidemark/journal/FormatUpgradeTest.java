package dev.tidemark.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.Entries;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestCodec;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import dev.tidemark.util.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A format-1 repository (its journal one segment per batch, named by time; points without a journal position) is
 * read as it is, and upgraded to format 2 by the first writer, with every second restoring as before.
 */
class FormatUpgradeTest {
    @TempDir
    Path tmp;

    /** Writes a format-1 journal segment as tidemark 0.1 did: named by its first change's time and its content key. */
    private static void legacySegment(Store store, Repository repo, List<String[]> changes, long t,
                                      Map<String, FileEntry> files) throws IOException {
        try (Store.Upload up = store.upload()) {
            SegmentedOutputStream out = new SegmentedOutputStream(up.stream(), repo.hasher());
            JsonGenerator g = ManifestCodec.JSON.createGenerator(out);
            g.writeRaw("{\"journal\":1}\n");
            long at = t;
            for (String[] c : changes) {
                g.writeStartObject();
                g.writeNumberField("t", at++);
                g.writeStringField("tree", "t");
                if (c[0].equals("del")) {
                    g.writeStringField("del", c[1]);
                } else {
                    FileEntry like = files.get(c[2]);
                    g.writeFieldName("put");
                    ManifestCodec.write(g, new FileEntry(c[1], like.type(), like.size(), like.mtimeNanos(),
                            like.ctimeNanos(), like.mode(), like.uid(), like.gid(), like.inode(), like.key(), null));
                }
                g.writeEndObject();
                g.writeRaw('\n');
            }
            g.flush();
            ContentKey key = out.finish();
            Instant i = FileEntry.instant(t);
            String name = "journal/" + DateTimeFormatter.ofPattern("yyyyMMdd").withZone(ZoneOffset.UTC).format(i) + "/"
                    + DateTimeFormatter.ofPattern("HHmmss").withZone(ZoneOffset.UTC).format(i) + "-"
                    + String.format("%09d", i.getNano()) + "-" + key.hex();
            up.commit(name);
        }
    }

    private static Map<String, FileEntry> state(Repository repo, Instant at) throws IOException {
        Map<String, FileEntry> out = new TreeMap<>();
        try (Entries en = AtTime.of(repo, at).entries(dev.tidemark.testing.TestContents.reader(repo), "t").open()) {
            for (FileEntry e = en.nextOrNull(); e != null; e = en.nextOrNull()) {
                out.put(e.path(), e);
            }
        }
        return out;
    }

    @Test
    void aFormatOneRepositoryIsReadAsItIsAndUpgradedByTheFirstWriterWithEverySecondUnchanged() throws Exception {
        Env env = new Env(tmp, "t");
        Path t = env.tree("t");
        for (int i = 0; i < 20; i++) {
            Files.writeString(t.resolve("f" + i + ".txt"), "content " + i, StandardCharsets.UTF_8);
        }
        env.ok("init");
        env.ok("point");
        List<Instant> probes = new ArrayList<>();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            // Back to format 1: the version file, and the point as tidemark 0.1 wrote it (no journal position).
            PointStore points = new PointStore(repo);
            RestorePoint p = points.load(points.ids().get(0));
            ObjectNode json = (ObjectNode) Json.MAPPER.readTree(store.get(PointStore.PREFIX + p.id()));
            json.put("format", 1);
            json.remove("journal");
            Instant pointTime = p.time().minus(java.time.Duration.ofDays(3)); // so that its journal lies in the past
            json.put("time", pointTime.toString());
            store.put(PointStore.PREFIX + p.id(), Json.MAPPER.writeValueAsBytes(json));
            store.put(Repository.VERSION_KEY, "tidemark repository format 1\n".getBytes(StandardCharsets.US_ASCII));
            ObjectNode config = (ObjectNode) Json.MAPPER.readTree(store.get(Repository.CONFIG_KEY));
            config.put("format", 1); // and the config as 0.1 wrote it: format 1, no check line
            store.put(Repository.CONFIG_KEY, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            Map<String, FileEntry> files = new TreeMap<>();
            try (ManifestReader r = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), p.trees().get(0).manifest())) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    files.put(e.path(), e);
                }
            }
            // Two days of format-1 segments after the point: copies of stored files under new names, and deletes.
            long t0 = FileEntry.nanos(pointTime) + 1_000_000_000L;
            for (int b = 0; b < 30; b++) {
                long at = t0 + b * 3_000_000_000_000L; // every 50 minutes
                legacySegment(store, repo, List.of(new String[] {"put", "copy" + b + ".txt", "f" + (b % 20) + ".txt"},
                        new String[] {"del", "f" + (b % 20) + ".txt"}), at, files);
                probes.add(FileEntry.instant(at - 1));
                probes.add(FileEntry.instant(at));
                probes.add(FileEntry.instant(at + 1));
            }
        }
        List<Map<String, FileEntry>> before = new ArrayList<>();
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository v1 = Repository.open(store);
            assertEquals(1, v1.format());
            assertEquals(30, new Journal(v1).list().size());
            for (Instant at : probes) {
                before.add(state(v1, at));
            }
        }
        assertEquals("copy29.txt", before.get(before.size() - 1).keySet().stream()
                .filter(k -> k.startsWith("copy29")).findFirst().orElse("none"), "the format-1 journal is read");
        Path old = tmp.resolve("old");
        env.ok("restore", "--at", probes.get(40).toString(), "--to", old.toString());

        env.ok("verify");
        String out = env.ok("point").out(); // the first writer upgrades
        assertTrue(out.contains("committed"), out);
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository v2 = Repository.open(store);
            assertEquals(Repository.FORMAT, v2.format());
            assertEquals("tidemark repository format " + Repository.FORMAT, new String(store.get(Repository.VERSION_KEY),
                    StandardCharsets.US_ASCII).trim());
            List<JournalObject> objects = new Journal(v2).list();
            assertTrue(objects.stream().allMatch(o -> o.level() == JournalObject.MAX_LEVEL), objects.toString());
            assertTrue(objects.size() >= 2 && objects.size() <= 3, "one object per day: " + objects);
            assertEquals(objects.size(), v2.store().list(JournalObject.PREFIX).size(), "the format-1 segments are gone");
            for (int i = 0; i < probes.size(); i++) {
                assertEquals(before.get(i), state(v2, probes.get(i)), "state at " + probes.get(i));
            }
        }
        Path now = tmp.resolve("now");
        env.ok("restore", "--at", probes.get(40).toString(), "--to", now.toString());
        Trees.assertSame(old.resolve("t"), now.resolve("t"));
        env.ok("verify", "--read-data");
    }
}

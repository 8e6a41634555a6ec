package dev.tidemark.prune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.ManifestWriter;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.TreeSnapshot;
import dev.tidemark.repo.BlobLocation;
import dev.tidemark.repo.Lease;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.History;
import dev.tidemark.testing.Trees;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** forget and prune through the CLI, on a real repository with a history. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PruneTest {
    @TempDir
    Path tmp;

    /**
     * The content keys the given points name: their manifests (and what those name, read with the full manifest
     * parser) and their dumps, each with the chunks of its chunk list if it has one.
     */
    private static Set<ContentKey> named(LocalDirStore store, Repository repo, List<String> ids) throws Exception {
        Set<ContentKey> out = new HashSet<>();
        PointStore points = new PointStore(repo);
        for (String id : ids) {
            var p = points.load(id);
            if (p.database() != null && p.database().dump() != null) {
                out.add(ContentKey.parse(p.database().dump()));
            }
            for (TreeSnapshot t : p.trees()) {
                out.add(ContentKey.parse(t.manifest()));
                try (ManifestReader r = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), t.manifest())) {
                    for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                        if (e.isFile()) {
                            out.add(e.key());
                        }
                    }
                }
            }
        }
        try (var contents = dev.tidemark.testing.TestContents.reader(repo)) {
            java.util.ArrayDeque<ContentKey> todo = new java.util.ArrayDeque<>(out);
            while (!todo.isEmpty()) {
                var list = contents.listOf(todo.poll());
                if (list != null) {
                    list.chunks().forEach(c -> {
                        out.add(c.key());
                        todo.add(c.key());
                    });
                }
            }
        }
        return out;
    }

    /** Every blob in every pack, with the number of its copies. */
    private static Map<ContentKey, Integer> blobs(Repository repo) throws Exception {
        Map<ContentKey, Integer> out = new HashMap<>();
        for (String id : repo.packIds()) {
            for (BlobLocation b : repo.readTrailer(id)) {
                out.merge(b.key(), 1, Integer::sum);
            }
        }
        return out;
    }

    /** Every object in the repository with its size. */
    private static Map<String, Long> listing(Path repo) throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(repo)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(repo.relativize(p).toString(), Files.size(p));
            }
        }
        return out;
    }

    @Test
    void pruneRemovesExactlyWhatNoKeptPointNamesAndEveryKeptPointRestoresAsBefore() throws Exception {
        History h = History.build(tmp.resolve("h"), 400, 8, 0.1, 256 << 10, 1);
        Map<String, Path> before = h.restore(tmp.resolve("before"), h.points);
        List<String> kept = h.points.subList(5, 8);

        Cli.Result f = h.env.ok("forget", "--keep-last", "3");
        assertTrue(f.out().contains("3 restore points kept, 5 forgotten"), f.out());
        Cli.Result p = h.env.ok("prune", "--max-unused", "0%");
        assertTrue(p.out().contains("pruned:"), p.out());

        try (LocalDirStore store = new LocalDirStore(h.env.repo)) {
            Repository repo = Repository.open(store);
            assertEquals(kept, new PointStore(repo).ids());
            Set<ContentKey> live = named(store, repo, kept);
            Map<ContentKey, Integer> stored = blobs(repo);
            Set<ContentKey> extra = new HashSet<>(stored.keySet());
            extra.removeAll(live);
            Set<ContentKey> lost = new HashSet<>(live);
            lost.removeAll(stored.keySet());
            assertEquals(0, lost.size(), "content of kept points lost: " + lost.size() + " of " + live.size());
            assertEquals(0, extra.size(), "content no kept point names left: " + extra.size() + " of " + stored.size());
            assertTrue(stored.values().stream().allMatch(n -> n == 1), "and each once");
            Set<String> manifests = new HashSet<>();
            for (RestorePoint rp : new PointStore(repo).all()) {
                rp.trees().forEach(t -> manifests.add(t.manifest()));
            }
            Set<ContentKey> manifestKeys = new HashSet<>();
            manifests.forEach(m -> manifestKeys.add(ContentKey.parse(m)));
            assertTrue(stored.keySet().containsAll(manifestKeys), "the kept manifests remain (the forgotten ones are "
                    + "among the extra content checked above)");
            assertEquals(List.of(), store.list(ManifestWriter.PREFIX), "no manifest objects: they are content now");
        }
        Map<String, Path> after = h.restore(tmp.resolve("after"), kept);
        for (String id : kept) {
            Trees.assertSame(before.get(id), after.get(id));
        }
        assertTrue(h.env.ok("verify", "--read-data").out().contains("no damage"));
        Cli.Result again = h.env.ok("prune", "--max-unused", "0%");
        assertTrue(again.out().contains("nothing to prune"), "a second prune finds nothing: " + again.out());
        Cli.Result gone = h.env.cli("show", h.points.get(0));
        assertEquals(1, gone.code(), gone.toString());
    }

    @Test
    void aDryRunChangesNothingAndTheJsonPlanHasCountsAndBytes() throws Exception {
        History h = History.build(tmp.resolve("h"), 200, 5, 0.2, 128 << 10, 2);
        Map<String, Long> before = listing(h.env.repo);
        Cli.Result r = h.env.ok("forget", "--keep-last", "1", "--prune", "--dry-run");
        assertTrue(r.out().contains("4 would be forgotten") && r.out().contains("to repack")
                && r.out().contains("dry run"), r.out());
        Cli.Result j = h.env.ok("prune", "--dry-run", "--json");
        JsonNode plan = Json.MAPPER.readTree(j.out()).path("plan");
        assertEquals(5, plan.path("points").asInt());
        assertTrue(plan.path("bytes").path("used").asLong() > 0, j.out());
        assertEquals(before, listing(h.env.repo), "a dry run changes nothing");
    }

    @Test
    void maxUnusedBoundsTheRepacking() throws Exception {
        History h = History.build(tmp.resolve("h"), 300, 6, 0.15, 256 << 10, 3);
        h.env.ok("forget", "--keep-last", "2");
        JsonNode none = Json.MAPPER.readTree(h.env.ok("prune", "--dry-run", "--json", "--max-unused",
                "unlimited").out()).path("plan");
        assertEquals(0, none.path("packs").path("repack").asInt(), "unlimited: nothing repacked");
        JsonNode all = Json.MAPPER.readTree(h.env.ok("prune", "--dry-run", "--json", "--max-unused", "0%").out())
                .path("plan");
        assertTrue(all.path("packs").path("repack").asInt() > 0);
        assertEquals(0, all.path("afterUnused").asLong(), "0%: every unused byte goes");
        JsonNode some = Json.MAPPER.readTree(h.env.ok("prune", "--json", "--max-unused", "10%").out()).path("plan");
        long used = some.path("bytes").path("used").asLong();
        assertTrue(some.path("afterUnused").asLong() <= used * 10 / 90 + 1, some.toString());
        Cli.Result bad = h.env.cli("prune", "--max-unused", "150%");
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("--max-unused") && bad.err().contains("0% to 99%"), bad.err());
    }

    @Test
    void whatAReaderMayStillReadIsLeftForTheNextPrune() throws Exception {
        History h = History.build(tmp.resolve("h"), 200, 4, 0.2, 128 << 10, 4);
        h.env.ok("forget", "--keep-last", "1");
        Set<String> old;
        try (LocalDirStore store = new LocalDirStore(h.env.repo);
             Lease reader = Lease.reader(store, Clock.systemUTC(), "tidemark restore")) {
            old = new HashSet<>(Repository.open(store).packIds());
            Cli.Result r = h.env.ok("prune", "--max-unused", "0%");
            assertTrue(r.out().contains("left for now") && r.out().contains("tidemark restore"), r.out());
            List<String> now = Repository.open(store).packIds();
            assertTrue(now.containsAll(old) && now.size() > old.size(),
                    "the old packs stay while the reader may read them, beside the repacked ones");
            assertTrue(h.env.ok("verify", "--read-data").out().contains("no damage"));
        }
        Cli.Result r = h.env.ok("prune", "--max-unused", "0%");
        assertFalse(r.out().contains("left for now"), r.out());
        // The reader gone, the next prune deletes what waited: nothing unused or duplicated is left.
        JsonNode left = Json.MAPPER.readTree(h.env.ok("prune", "--dry-run", "--json").out()).path("plan");
        assertEquals(0, left.path("bytes").path("duplicate").asLong(), left.toString());
        assertEquals(0, left.path("bytes").path("unused").asLong(), left.toString());
        assertEquals(0, left.path("packs").path("delete").asInt(), left.toString());
        assertTrue(h.env.ok("verify", "--read-data").out().contains("no damage"));
    }

    @Test
    void badPoliciesAreOneLineUsageErrorsAndChangeNothing() throws Exception {
        History h = History.build(tmp.resolve("h"), 50, 2, 0.2, 0, 5);
        Map<String, Long> before = listing(h.env.repo);
        String[][] cases = {
            {"forget"},
            {"forget", "--keep-last", "-1"},
            {"forget", "--keep-last", "0"},
            {"forget", "--keep-within", "3x"},
            {"prune", "--max-repack", "lots"},
        };
        String[] expect = {"has no 'retention' section", "--keep-last -1", "keeps nothing but the newest",
            "--keep-within", "--max-repack"};
        for (int i = 0; i < cases.length; i++) {
            Cli.Result r = h.env.cli(cases[i]);
            assertEquals(2, r.code(), String.join(" ", cases[i]) + ": " + r);
            assertTrue(r.err().contains(expect[i]), r.err());
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("tidemark:")).count(), r.err());
        }
        assertEquals(before, listing(h.env.repo));
    }
}

package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.journal.Journal;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.HostSpace;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts (two configs, two state directories, one repository), each with a tree named "photos": each host's
 * journal is its own (format 5: {@code hosts/<id>/journal}), its points are its own for "latest", {@code --at} and
 * retention, and content either wrote is stored once. Then the upgrade of a format-3 repository, whose journal
 * becomes the first writer's without a byte copied.
 */
class SeveralHostsTest {
    @TempDir
    Path tmp;

    private static Env host(Path base, Path repo, String name) throws Exception {
        Env env = new Env(base, "photos");
        env.repository = repo.toString();
        env.writeConfig(Running.fastConfig() + "  \"host\": \"" + name + "\",\n");
        return env;
    }

    private static void restoreAndCompare(Env env, Path out, String file, String expected, String... args) {
        String[] full = Stream.concat(Stream.of("restore"), Stream.concat(Stream.of(args),
                Stream.of("--to", out.toString()))).toArray(String[]::new);
        env.ok(full);
        try {
            Path f = out.resolve("photos").resolve(file);
            if (expected == null) {
                assertFalse(Files.exists(f), f + " should not be there");
            } else {
                assertEquals(expected, Files.readString(f), String.join(" ", full));
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A change made before a step of the host's daemon. */
    private interface Change {
        void make() throws Exception;
    }

    /**
     * Runs {@code env}'s daemon for two changes a second or more apart, each journaled before the next; returns a
     * moment between them.
     */
    private static Instant journalTwice(Env env, Change first, Change second) throws Exception {
        try (Running d = new Running(env)) {
            first.make();
            d.awaitReplicated("photos", Duration.ofSeconds(30));
            Thread.sleep(1100);
            Instant between = Instant.now();
            Thread.sleep(1100);
            second.make();
            d.awaitReplicated("photos", Duration.ofSeconds(30));
            return between;
        }
    }

    @Test
    void twoHostsKeepTheirOwnJournalsAndPointsAndShareContent() throws Exception {
        Path repo = tmp.resolve("repo");
        Env a = host(tmp.resolve("a"), repo, "nas-a");
        Env b = host(tmp.resolve("b"), repo, "nas-b");
        a.ok("init");
        Random r = new Random(5);
        byte[] shared = new byte[2_000_000];
        r.nextBytes(shared);
        Files.write(a.tree("photos").resolve("shared.bin"), shared);
        Files.writeString(a.tree("photos").resolve("only-a.txt"), "a1");
        a.ok("point");
        Files.write(b.tree("photos").resolve("shared.bin"), shared);
        Files.writeString(b.tree("photos").resolve("only-b.txt"), "b1");
        b.ok("point");

        // Each host's daemon journals its own changes.
        Path onlyA = a.tree("photos").resolve("only-a.txt");
        Instant aAt = journalTwice(a, () -> Files.writeString(onlyA, "a2"), () -> Files.writeString(onlyA, "a3"));
        Path onlyB = b.tree("photos").resolve("only-b.txt");
        Instant bAt = journalTwice(b, () -> Files.writeString(onlyB, "b2"), () -> Files.delete(onlyB));

        try (LocalDirStore store = new LocalDirStore(repo)) {
            Repository any = Repository.open(store);
            List<Repository> hosts = any.hosts();
            assertEquals(List.of("nas-a", "nas-b"), hosts.stream().map(Repository::host).sorted().toList());
            for (Repository h : hosts) {
                assertTrue(h.space().prefix().startsWith(HostSpace.PREFIX), h.space().toString());
                assertFalse(new Journal(h).list().isEmpty(), h.host() + " has a journal of its own");
                assertTrue(new Journal(h).lastSeq() <= 4, "each host numbers its own batches: " + h.host());
            }
            assertTrue(store.list("journal/").isEmpty(), "no journal outside the hosts' spaces");
            List<RestorePoint> points = new PointStore(any).all();
            assertEquals(List.of("nas-a", "nas-b"), points.stream().map(RestorePoint::host).toList());
            // Content either host wrote is stored once: the second host's point of the same 2 MB is not new.
            assertTrue(points.get(1).totals().newBytes() < 100_000, "dedup across hosts: " + points.get(1).totals());
        }

        // --at reads the host's own journal; "latest" is the host's own point.
        restoreAndCompare(a, tmp.resolve("a-at"), "only-a.txt", "a2", "--at", aAt.toString());
        restoreAndCompare(b, tmp.resolve("b-at"), "only-b.txt", "b2", "--at", bAt.toString());
        restoreAndCompare(b, tmp.resolve("b-end"), "only-b.txt", null, "--at", Instant.now().toString());
        restoreAndCompare(a, tmp.resolve("a-latest"), "only-a.txt", "a1", "latest");
        restoreAndCompare(b, tmp.resolve("b-latest"), "only-b.txt", "b1", "latest");
        // One host reads another's: --host.
        restoreAndCompare(a, tmp.resolve("a-as-b"), "only-b.txt", "b2", "--host", "nas-b", "--at", bAt.toString());

        Cli.Result listing = a.ok("points");
        assertTrue(listing.out().contains("HOST") && listing.out().contains("nas-b"), listing.out());
        Cli.Result listB = a.ok("points", "--host", "nas-b", "--json");
        assertTrue(listB.out().contains("nas-b") && !listB.out().contains("nas-a"), listB.out());
        Cli.Result nobody = a.cli("restore", "latest", "--host", "nas-c", "--to", tmp.resolve("c").toString());
        assertEquals(1, nobody.code(), nobody.toString());
        assertTrue(nobody.err().contains("nas-a, nas-b") && nobody.err().contains("--host"), nobody.toString());

        // Retention is per host: A keeps its newest point only, B's stay.
        Files.writeString(a.tree("photos").resolve("only-a.txt"), "a4");
        a.ok("point");
        a.ok("forget", "--keep-last", "1", "--prune");
        try (LocalDirStore store = new LocalDirStore(repo)) {
            List<RestorePoint> points = new PointStore(Repository.open(store)).all();
            assertEquals(List.of("nas-b", "nas-a"), points.stream().map(RestorePoint::host).toList());
        }
        a.ok("verify", "--read-data");
        restoreAndCompare(b, tmp.resolve("b-after"), "only-b.txt", "b2", "--at", bAt.toString());
        Path bShared = tmp.resolve("b-shared");
        b.ok("restore", "latest", "--to", bShared.toString());
        assertTrue(java.util.Arrays.equals(shared, Files.readAllBytes(bShared.resolve("photos/shared.bin"))));
    }

    /** Moves every file under {@code from} to the same place under {@code to}. */
    private static void moveTree(Path from, Path to) throws java.io.IOException {
        if (!Files.isDirectory(from)) {
            return;
        }
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Path dst = to.resolve(from.relativize(p).toString());
                Files.createDirectories(dst.getParent());
                Files.move(p, dst);
            }
        }
    }

    @Test
    void aFormatThreeRepositoryIsReadAsItIsAndItsJournalBecomesTheFirstWritersWithNothingCopied() throws Exception {
        Path repo = tmp.resolve("repo");
        Env old = host(tmp.resolve("old"), repo, "old-name");
        old.ok("init");
        Files.writeString(old.tree("photos").resolve("f.txt"), "v1");
        old.ok("point");
        Path f = old.tree("photos").resolve("f.txt");
        Instant v2At = journalTwice(old, () -> Files.writeString(f, "v2"), () -> Files.writeString(f, "v3"));
        // Format 3's layout: the one journal at the top, no hosts/, version 3.
        Path space;
        try (Stream<Path> s = Files.list(repo.resolve("hosts"))) {
            space = s.findFirst().orElseThrow();
        }
        moveTree(space.resolve("journal"), repo.resolve("journal"));
        moveTree(space.resolve("binlog"), repo.resolve("binlog"));
        dev.tidemark.testing.Trees.deleteRecursively(repo.resolve("hosts"));
        Files.writeString(repo.resolve("version"), "tidemark repository format 3\n");
        String config = new String(dev.tidemark.repo.CheckedRecord.open(Files.readAllBytes(repo.resolve("config")),
                "config"), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(config.contains("\"format\" : " + Repository.FORMAT), config);
        Files.write(repo.resolve("config"), dev.tidemark.repo.CheckedRecord.seal(config.replace("\"format\" : "
                + Repository.FORMAT, "\"format\" : 3").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        long legacyObjects;
        try (Stream<Path> s = Files.walk(repo.resolve("journal"))) {
            legacyObjects = s.filter(Files::isRegularFile).count();
        }

        // Renamed: the next writer is "new-name". Readers first: they read format 3 as it is, and change nothing.
        Env renamed = host(tmp.resolve("new"), repo, "new-name");
        Files.writeString(renamed.tree("photos").resolve("f.txt"), "v4");
        restoreAndCompare(renamed, tmp.resolve("r3"), "f.txt", "v2", "--at", v2At.toString());
        assertEquals("tidemark repository format 3\n", Files.readString(repo.resolve("version")));

        renamed.ok("point"); // the first writer upgrades
        assertEquals("tidemark repository format " + Repository.FORMAT + "\n", Files.readString(repo.resolve("version")));
        try (Stream<Path> s = Files.walk(repo.resolve("journal"))) {
            assertEquals(legacyObjects, s.filter(Files::isRegularFile).count(), "the old journal stays where it was");
        }
        long lastSeq;
        try (LocalDirStore store = new LocalDirStore(repo)) {
            Repository r = Repository.open(store).forHost("new-name");
            assertTrue(r.space().legacy(), "the first writer's host owns the journal of format 3");
            assertFalse(Repository.open(store).forHost("old-name").space().legacy());
            lastSeq = new Journal(r).lastSeq();
            assertTrue(lastSeq >= 2, "the old batches are the new host's: " + lastSeq);
        }
        restoreAndCompare(renamed, tmp.resolve("r5"), "f.txt", "v2", "--at", v2At.toString());
        restoreAndCompare(renamed, tmp.resolve("r5-latest"), "f.txt", "v4", "latest");

        // Its daemon goes on numbering after the old batches, in its space.
        try (Running d = new Running(renamed)) {
            Files.writeString(renamed.tree("photos").resolve("f.txt"), "v5");
            d.awaitReplicated("photos", Duration.ofSeconds(30));
        }
        try (LocalDirStore store = new LocalDirStore(repo)) {
            Repository r = Repository.open(store).forHost("new-name");
            assertTrue(new Journal(r).lastSeq() > lastSeq);
            assertFalse(store.list(r.space().key("journal/")).isEmpty(), "new batches go into the host's space");
        }
        renamed.ok("verify", "--read-data");
        restoreAndCompare(renamed, tmp.resolve("r5-old"), "f.txt", "v2", "--at", v2At.toString());
        restoreAndCompare(renamed, tmp.resolve("r5-now"), "f.txt", "v5", "--at", Instant.now().toString());
        // A prune that moves the horizon keeps what the old journal still needs, and drops the rest.
        renamed.ok("prune");
        renamed.ok("verify", "--read-data");
        restoreAndCompare(renamed, tmp.resolve("r5-pruned"), "f.txt", "v2", "--at", v2At.toString());
    }

    @SuppressWarnings("unchecked")
    private static java.util.Map<String, Object> usb(Running r) {
        return ((List<java.util.Map<String, Object>>) r.daemon.status().get("replicas")).get(0);
    }

    /** Waits until one daemon keeps the replica in sync and the other says it is kept elsewhere; the keeper. */
    private static Running awaitReplicaKept(Running x, Running y) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            java.util.Map<String, Object> sx = usb(x);
            java.util.Map<String, Object> sy = usb(y);
            if ("in sync".equals(sx.get("state")) && "kept by another daemon".equals(sy.get("state"))) {
                return x;
            }
            if ("in sync".equals(sy.get("state")) && "kept by another daemon".equals(sx.get("state"))) {
                return y;
            }
            assertTrue(System.nanoTime() < deadline, "replica states: " + sx + ", " + sy);
            Thread.sleep(200);
        }
    }

    private static void awaitReplicaState(Running r, String state) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (!state.equals(usb(r).get("state"))) {
            assertTrue(System.nanoTime() < deadline, "replica: " + usb(r));
            Thread.sleep(200);
        }
    }

    @Test
    void twoDaemonsWriteAtOnceAndOnlyPruneWaitsUntilOneIsAlone() throws Exception {
        Path repo = tmp.resolve("repo");
        Env a = host(tmp.resolve("a"), repo, "nas-a");
        Env b = host(tmp.resolve("b"), repo, "nas-b");
        String retention = "  \"retention\": {\"keepLast\": 2, \"every\": \"10s\"},\n";
        // Both name the same replica: one daemon keeps it, the other says so, without an alarm.
        String replica = "  \"replicas\": [{\"name\": \"usb\", \"repository\": \"" + tmp.resolve("usb") + "\"}],\n";
        a.writeConfig(Running.fastConfig() + "  \"host\": \"nas-a\",\n" + retention + replica);
        b.writeConfig(Running.fastConfig() + "  \"host\": \"nas-b\",\n" + replica);
        a.ok("init");
        Random r = new Random(9);
        byte[] same = new byte[300_000];
        r.nextBytes(same);
        java.util.Map<String, byte[]> wroteA = new java.util.TreeMap<>();
        java.util.Map<String, byte[]> wroteB = new java.util.TreeMap<>();
        Running db = new Running(b);
        long bPoints;
        try (Running da = new Running(a)) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 5; i++) {
                    byte[] x = new byte[1000 + r.nextInt(20_000)];
                    r.nextBytes(x);
                    String name = "r" + round + "-" + i + ".bin";
                    Files.write(a.tree("photos").resolve(name), x);
                    wroteA.put(name, x);
                    byte[] y = i == 0 ? same : x; // now and then the same bytes on both hosts
                    Files.write(b.tree("photos").resolve(name), y);
                    wroteB.put(name, y);
                }
                da.awaitReplicated("photos", Duration.ofSeconds(30));
                db.awaitReplicated("photos", Duration.ofSeconds(30));
                da.daemon.pointNow(List.of()).get(60, java.util.concurrent.TimeUnit.SECONDS);
                db.daemon.pointNow(List.of()).get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            boolean bKeptIt = awaitReplicaKept(da, db) == db;
            Cli.Result prune = a.cli("prune");
            assertEquals(4, prune.code(), "prune needs the repository to itself: " + prune);
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> m = (java.util.Map<String, Object>) da.daemon.status().get("maintenance");
            assertEquals(0L, ((Number) m.get("prunes")).longValue(), "no prune while another host writes: " + m);
            assertTrue(new PointStore(da.repo).all().size() >= 12, "retention waits too");
            // B stops: A is alone, and its retention and prune run.
            db.close();
            db = null;
            bPoints = new PointStore(da.repo).all().stream().filter(p -> p.host().equals("nas-b")).count();
            assertTrue(bPoints >= 6, "B's points: " + bPoints);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (((Number) m.get("prunes")).longValue() == 0) {
                assertTrue(System.nanoTime() < deadline, "A pruned once it was alone: " + m);
                Thread.sleep(200);
                @SuppressWarnings("unchecked")
                java.util.Map<String, Object> now = (java.util.Map<String, Object>) da.daemon.status()
                        .get("maintenance");
                m = now;
            }
            if (bKeptIt) { // the keeper stopped: A takes the replica over
                awaitReplicaState(da, "in sync");
            }
        } finally {
            if (db != null) {
                db.close();
            }
        }
        try (LocalDirStore store = new LocalDirStore(repo)) {
            List<RestorePoint> points = new PointStore(Repository.open(store)).all();
            assertEquals(2, points.stream().filter(p -> p.host().equals("nas-a")).count(), "A kept its last 2");
            assertEquals(bPoints, points.stream().filter(p -> p.host().equals("nas-b")).count(),
                    "B's are not A's to forget");
        }
        a.ok("verify", "--read-data");
        a.ok("verify", "--read-data", "--replica", "usb"); // every host's objects are in it
        assertTrue(b.ok("points", "--replica", "usb").out().contains("nas-b"), "B's points reached the replica");
        for (Env e : List.of(a, b)) {
            java.util.Map<String, byte[]> wrote = e == a ? wroteA : wroteB;
            Path out = tmp.resolve("out-" + (e == a ? "a" : "b"));
            e.ok("restore", "latest", "--to", out.toString());
            for (java.util.Map.Entry<String, byte[]> w : wrote.entrySet()) {
                assertTrue(java.util.Arrays.equals(w.getValue(), Files.readAllBytes(out.resolve("photos")
                        .resolve(w.getKey()))), e.configFile + ": " + w.getKey());
            }
        }
    }
}

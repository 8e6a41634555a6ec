package dev.tidemark.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.WriterLock;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention of the journal: it is kept from its base point on; before that, restore --at says only points remain. */
class HorizonTest {
    @TempDir
    Path tmp;

    @Test
    void pruneKeepsTheJournalFromItsBasePointAndRestoreAtBeforeItSaysOnlyPointsRemain() throws Exception {
        Env env = new Env(tmp, "t");
        for (int i = 0; i < 10; i++) {
            Files.writeString(env.tree("t").resolve("f" + i), "version " + i, StandardCharsets.UTF_8);
        }
        env.writeConfig("  \"retention\": {\"keepLast\": 1, \"journalWithin\": \"1d\"},\n");
        env.ok("init");
        env.ok("point");
        Instant now = Instant.now();
        Instant[] at = {now.minus(Duration.ofDays(3)), now.minus(Duration.ofDays(2)), now.minus(Duration.ofHours(12))};
        List<String> ids = new ArrayList<>();
        // Three points of the past (copies of the real one's record) with ten journal batches after each: renames of
        // the same stored content, so everything the journal names is in the repository.
        try (LocalDirStore store = new LocalDirStore(env.repo);
             WriterLock lock = WriterLock.acquire(store, Clock.systemUTC(), "test")) {
            Repository repo = Repository.open(store);
            PointStore points = new PointStore(repo);
            RestorePoint real = points.load(points.ids().get(0));
            List<FileEntry> files = new ArrayList<>();
            try (ManifestReader r = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), real.trees().get(0).manifest())) {
                for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                    if (e.isFile()) {
                        files.add(e);
                    }
                }
            }
            JournalWriter w = JournalWriter.open(repo, lock);
            for (int p = 0; p < 3; p++) {
                RestorePoint rp = new RestorePoint(RestorePoint.FORMAT, points.newId(at[p]), at[p], repo.host(), List.of(),
                        real.trees(), real.totals(), 1, w.lastSeq(), null);
                points.save(rp, lock);
                ids.add(rp.id());
                for (int b = 0; b < 10; b++) {
                    FileEntry f = files.get(b);
                    long t = FileEntry.nanos(at[p].plus(Duration.ofMinutes(30L * (b + 1))));
                    w.append(List.of(JournalEntry.put(t, "t", new FileEntry("copy-" + p + "-" + b, f.type(), f.size(),
                            f.mtimeNanos(), f.ctimeNanos(), f.mode(), f.uid(), f.gid(), f.inode(), f.key(), null))));
                }
            }
            points.forget(List.of(real.id()), lock);
        }
        Instant inFirst = at[0].plus(Duration.ofHours(3));
        Instant inSecond = at[1].plus(Duration.ofHours(3));
        env.ok("restore", "--at", inFirst.toString(), "--to", tmp.resolve("before-prune").toString());

        Cli.Result f = env.ok("forget", "--prune");
        assertTrue(f.out().contains(ids.get(1)) && f.out().contains("journal base"), f.out());
        assertTrue(f.out().contains("2 restore points kept, 1 forgotten"), f.out());
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Journal j = new Journal(Repository.open(store));
            Horizon h = j.horizon();
            assertNotNull(h);
            assertEquals(10, h.seq());
            assertEquals(ids.get(1), h.point());
            assertEquals(11, j.cover().objects().get(0).from(), "batches up to the horizon are gone");
            assertEquals(30, j.lastSeq());
        }
        Cli.Result early = env.cli("restore", "--at", inFirst.toString(), "--to", tmp.resolve("early").toString());
        assertEquals(1, early.code(), early.toString());
        assertTrue(early.err().contains("only restore points remain"), early.err());
        assertEquals(1, early.err().lines().count(), early.err());
        env.ok("restore", "--at", inSecond.toString(), "--to", tmp.resolve("later").toString());
        assertTrue(Files.exists(tmp.resolve("later/t/copy-1-5")), "the journal after the horizon still applies");
        assertTrue(Files.notExists(tmp.resolve("later/t/copy-1-6")), "up to the second asked for");
        assertTrue(env.ok("verify", "--read-data").out().contains("no damage"));
    }
}

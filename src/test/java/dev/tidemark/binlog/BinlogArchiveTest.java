package dev.tidemark.binlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.hash.ContentKey;
import dev.tidemark.point.DatabaseSnapshot;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.point.Totals;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.SegmentedOutputStream;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.repo.store.Store;
import dev.tidemark.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's reading rules on a real repository: the cover of pieces (merged ones hide their inputs), the bytes
 * from any position across pieces, continuity (a hole, a missing file, a recorded gap), and what prune may drop.
 */
class BinlogArchiveTest {
    @TempDir
    Path tmp;

    Repository repo;
    /** Stand-in bytes of a server file: any bytes do for the archive, which never parses them to read. */
    final byte[] file1 = bytes(1, 5000);
    final byte[] file2 = bytes(2, 3000);
    final Instant t = Instant.parse("2026-11-22T10:00:00Z");

    static byte[] bytes(int seed, int n) {
        byte[] b = new byte[n];
        new java.util.Random(seed).nextBytes(b);
        return b;
    }

    @BeforeEach
    void open() throws Exception {
        repo = Repository.init(new LocalDirStore(tmp.resolve("repo")), Clock.systemUTC(), 1 << 20);
    }

    String put(String file, byte[] all, int from, int to, Instant checked) throws Exception {
        Store store = repo.store();
        try (Store.Upload u = store.upload()) {
            SegmentedOutputStream out = new SegmentedOutputStream(u.stream(), repo.hasher());
            out.write(all, from, to - from);
            ContentKey k = out.finish();
            String key = Piece.keyOf(file, from, to, checked, checked, k);
            u.commit(key);
            return key;
        }
    }

    byte[] read(BinlogArchive a, String file, long from) throws Exception {
        try (InputStream in = a.open(file, from)) {
            return in.readAllBytes();
        }
    }

    @Test
    void aMergedPieceHidesItsInputsAndReadsAreByteExactFromAnyPosition() throws Exception {
        put("binlog.000001", file1, 4, 1000, t);
        put("binlog.000001", file1, 1000, 2500, t.plusSeconds(1));
        put("binlog.000001", file1, 2500, 5000, t.plusSeconds(2));
        put("binlog.000001", file1, 5000, 5000, t.plusSeconds(40)); // a mark
        BinlogArchive a = BinlogArchive.load(repo);
        assertEquals(3, a.pieces("binlog.000001").size());
        assertEquals(1, a.superseded().size(), "the mark is covered");
        assertEquals(t.plusSeconds(40), a.checked(), "but its time counts");
        assertArrayEquals(Arrays.copyOfRange(file1, 1700, 5000), read(a, "binlog.000001", 1700));

        put("binlog.000001", file1, 4, 2500, t.plusSeconds(1)); // a merge of the first two
        a = BinlogArchive.load(repo);
        assertEquals(2, a.pieces("binlog.000001").size());
        assertEquals(3, a.superseded().size());
        assertArrayEquals(Arrays.copyOfRange(file1, 4, 5000), read(a, "binlog.000001", 4));
        assertEquals(new Position("binlog.000001", 5000), a.end());
        assertEquals(4996, a.bytes());
    }

    @Test
    void continuityBreaksAtAHoleAMissingFileAndARecordedGap() throws Exception {
        put("binlog.000001", file1, 4, 1000, t);
        put("binlog.000001", file1, 2000, 5000, t);
        BinlogArchive a = BinlogArchive.load(repo);
        BinlogArchive.Break b = a.firstBreak(new Position("binlog.000001", 500));
        assertEquals(new Position("binlog.000001", 1000), b.at(), b.why());
        assertNull(a.firstBreak(new Position("binlog.000001", 2000)), "after the hole it is continuous");

        put("binlog.000001", file1, 1000, 2000, t);
        put("binlog.000003", file2, 4, 3000, t);
        a = BinlogArchive.load(repo);
        b = a.firstBreak(new Position("binlog.000001", 4));
        assertTrue(b.why().contains("binlog.000001 and binlog.000003"), b.why());

        put("binlog.000002", file2, 4, 3000, t);
        a = BinlogArchive.load(repo);
        assertNull(a.firstBreak(new Position("binlog.000001", 4)), "rotations chain the files");

        Piece.Gap g = new Piece.Gap("binlog.000002", 3000, "binlog.000003", t, "purged before it was archived");
        repo.store().put(g.key(), Json.MAPPER.writeValueAsBytes(g));
        a = BinlogArchive.load(repo);
        b = a.firstBreak(new Position("binlog.000001", 4));
        assertEquals(new Position("binlog.000002", 3000), b.at());
        assertEquals("purged before it was archived", b.why());
        assertNull(a.firstBreak(new Position("binlog.000003", 4)), "after the gap it is continuous again");
    }

    @Test
    void aReplayFromAFileNeverArchivedIsRefusedBeforeAnythingIsRead() throws Exception {
        put("binlog.000002", file2, 4, 3000, t);
        dev.tidemark.TidemarkException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.tidemark.TidemarkException.class, () -> Replay.plan(BinlogArchive.load(repo),
                        new Position("binlog.000001", 500), t, java.util.Map.of("s01", "s01"), tmp));
        assertTrue(e.getMessage().contains("cannot be restored") && e.getMessage().contains("binlog.000001 was never "
                + "archived"), e.getMessage());
    }

    @Test
    void pruneDropsTheFilesBeforeTheOldestPointARestoreCanStartFrom() throws Exception {
        String k1 = put("binlog.000001", file1, 4, 5000, t);
        String k2 = put("binlog.000002", file2, 4, 3000, t);
        String k3 = put("binlog.000003", file2, 4, 3000, t);
        Piece.Gap g = new Piece.Gap("binlog.000001", 5000, "binlog.000002", t, "purged");
        repo.store().put(g.key(), Json.MAPPER.writeValueAsBytes(g));
        RestorePoint old = point("20261122T090000Z", "binlog.000001");
        RestorePoint mid = point("20261122T100000Z", "binlog.000002");
        RestorePoint none = point("20261122T110000Z", null);

        assertEquals(List.of(), BinlogArchive.beforeOldestBase(repo, List.of(old, mid, none), null));
        assertEquals(java.util.Set.of(g.key(), k1), new java.util.HashSet<>(BinlogArchive.beforeOldestBase(repo,
                List.of(mid, none), null)));
        assertEquals(List.of(), BinlogArchive.beforeOldestBase(repo, List.of(none), null),
                "no point with coordinates: nothing is known to be useless");
        List<String> pastHorizon = BinlogArchive.beforeOldestBase(repo, List.of(old, mid),
                Instant.parse("2026-11-22T09:30:00Z"));
        assertTrue(pastHorizon.contains(k1) && !pastHorizon.contains(k2) && !pastHorizon.contains(k3), pastHorizon
                .toString());
    }

    private RestorePoint point(String id, String binlogFile) {
        DatabaseSnapshot d = new DatabaseSnapshot("0123456789abcdef0123456789abcdef", null, "10.11", Instant.EPOCH,
                binlogFile, binlogFile == null ? null : 4L, null, List.of(), "read view", 1, 0, 0, 0, List.of());
        return new RestorePoint(RestorePoint.FORMAT, id, java.time.LocalDateTime.parse(id, java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'"))
                .toInstant(java.time.ZoneOffset.UTC), "host", List.of(), List.of(),
                Totals.ZERO, 0, 1L, d, "journal");
    }
}

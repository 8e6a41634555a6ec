package dev.tidemark.repo.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.FaultyS3Proxy;
import dev.tidemark.testing.FaultyS3Proxy.Fault;
import dev.tidemark.testing.Points;
import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Points taken through an S3 server that throttles, fails, and drops connections mid-upload and before answers
 * never leave a point naming missing data: every point that was committed restores byte-exact and verify finds
 * nothing, whether the faults were retried away or a point failed of them.
 */
class S3FaultTest {
    @TempDir
    Path tmp;

    private static FaultyS3Proxy.Fault pick(Random r, int percent) {
        int x = r.nextInt(100);
        if (x >= percent) {
            return Fault.NONE;
        }
        Fault[] kinds = {Fault.SLOW_DOWN, Fault.INTERNAL_ERROR, Fault.DROP_MID_BODY, Fault.DROP_ANSWER};
        return kinds[x % kinds.length];
    }

    @Test
    void faultsAreRetriedAwayOrFailThePointAndNeverLeaveAPointNamingMissingData() throws Exception {
        S3Server server = S3Server.shared();
        String bucket = server.newBucket();
        Env env = new Env(tmp, "faces");
        env.repository = "s3://" + bucket + "/nas";
        env.writeConfig("  \"s3\": {\"endpoint\": \"" + server.endpoint + "\"},\n");
        env.ok("init");
        Path src = env.tree("faces");
        Trees.random(src, 31, 150);
        Trees.big(src.resolve("video.bin"), 32, 36L << 20); // a multipart pack

        List<String> committed = new ArrayList<>();
        List<Path> expected = new ArrayList<>();
        int failed = 0;
        Random r = new Random(33);
        try (FaultyS3Proxy proxy = new FaultyS3Proxy(server.endpoint)) {
            S3Location via = S3Location.parse(env.repository, proxy.endpoint(), "us-east-1", true);
            for (int round = 0; round < 8; round++) {
                // rounds 0-4: a fault in one request of five, retried (10 attempts); 5-7: in three of five, with
                // two attempts per request, so points fail part-way
                boolean harsh = round >= 5;
                Random faults = new Random(round);
                proxy.policy(q -> pick(faults, harsh ? 60 : 20));
                for (int i = 0; i < 12; i++) {
                    Path f = src.resolve("round-" + round + "-" + i + ".jpg");
                    Trees.write(f, r, 2000 + r.nextInt(200_000));
                }
                Files.writeString(src.resolve("config.json"), "{\"round\": " + round + "}");
                try (S3Store store = new S3Store(via, S3Server.credentials(), env.state.resolve("upload"),
                        harsh ? 2 : S3Clients.MAX_ATTEMPTS)) {
                    String id = Points.take(env.config(), store, Clock.systemUTC()).point().id();
                    committed.add(id);
                    Path copy = tmp.resolve("expected-" + round);
                    Process p = new ProcessBuilder("cp", "-a", src.toString(), copy.toString()).start();
                    assertEquals(0, p.waitFor());
                    expected.add(copy);
                } catch (IOException e) {
                    assertTrue(harsh, "with ten attempts every fault is retried away: " + e);
                    failed++;
                }
            }
            System.out.printf("S3 faults: %d requests, %d slow-down, %d 500, %d dropped mid-body, %d answers dropped; %d points committed, %d failed%n", proxy.requests(), proxy.count(Fault.SLOW_DOWN), proxy.count(Fault.INTERNAL_ERROR), proxy.count(Fault.DROP_MID_BODY), proxy.count(Fault.DROP_ANSWER), committed.size(), failed);
            assertTrue(proxy.count(Fault.SLOW_DOWN) > 0 && proxy.count(Fault.INTERNAL_ERROR) > 0
                    && proxy.count(Fault.DROP_MID_BODY) > 0 && proxy.count(Fault.DROP_ANSWER) > 0,
                    "every kind of fault happened: " + proxy.requests() + " requests");
        }
        assertTrue(committed.size() >= 5, "the retried rounds all committed: " + committed);
        assertTrue(failed > 0, "the harsh rounds failed at least once");

        // A harsh round's lock whose deletion failed even after the retries stays behind. A real process would be gone
        // and its lock stale at once (its pid is dead on this host); these rounds ran in this JVM, whose pid lives on,
        // so their locks are removed here as the next process would remove them.
        try (Store direct = env.config().openStore()) {
            for (dev.tidemark.repo.Lease.Held h : dev.tidemark.repo.Lease.list(direct, dev.tidemark.repo.WriterLock.PREFIX)) {
                if (h.info().command().equals("test") && h.info().pid() == ProcessHandle.current().pid()) {
                    direct.delete(h.key());
                }
            }
        }
        // Straight to the server now: the next point converges, verify is clean, every committed point is exact.
        env.ok("point");
        Cli.Result v = env.cli("verify", "--read-data");
        assertEquals(0, v.code(), v.toString());
        for (int i = 0; i < committed.size(); i++) {
            Path out = tmp.resolve("restored-" + i);
            env.ok("restore", committed.get(i), "--to", out.toString(), "--no-sync");
            Trees.assertSame(expected.get(i), out.resolve("faces"));
        }
    }

    @Test
    void aCreateOnlyIfAbsentWhoseAnswerWasLostIsStillOursAndARacersObjectIsNot() throws Exception {
        S3Server server = S3Server.shared();
        String bucket = server.newBucket();
        try (FaultyS3Proxy proxy = new FaultyS3Proxy(server.endpoint);
             S3Store store = new S3Store(server.location(bucket, "r").withEndpoint(proxy.endpoint()),
                     S3Server.credentials(), tmp.resolve("spool"))) {
            store.probe(); // before any fault: the requests counted below are the test's own
            java.util.concurrent.atomic.AtomicInteger puts = new java.util.concurrent.atomic.AtomicInteger();
            // The first PUT of each key reaches the server and commits, but its answer never comes back: the
            // client asks again and meets its own object.
            proxy.policy(q -> q.method().equals("PUT") && puts.incrementAndGet() % 2 == 1 ? Fault.DROP_ANSWER
                    : Fault.NONE);
            assertTrue(store.putIfAbsent("points/p1", "point one by writer A".getBytes()),
                    "the object the lost answer made is ours");
            assertEquals(false, store.putIfAbsent("points/p1", "point one by writer B".getBytes()),
                    "a different writer's object stays a refusal");
            assertEquals(2, proxy.count(Fault.DROP_ANSWER));
            byte[] big = new byte[(S3Store.SINGLE_PUT_MIB + 1) << 20];
            new Random(5).nextBytes(big);
            java.util.concurrent.atomic.AtomicInteger completes = new java.util.concurrent.atomic.AtomicInteger();
            proxy.policy(q -> q.method().equals("POST") && q.target().contains("uploadId=")
                    && completes.incrementAndGet() == 1 ? Fault.DROP_ANSWER : Fault.NONE);
            try (Store.Upload u = store.upload()) {
                u.stream().write(big);
                assertTrue(u.commitIfAbsent("dumps/d1"), "a completed multipart upload whose answer was lost");
            }
            assertEquals(big.length, store.size("dumps/d1").orElseThrow());
            assertTrue(proxy.count(Fault.DROP_ANSWER) >= 3);
        }
    }
}

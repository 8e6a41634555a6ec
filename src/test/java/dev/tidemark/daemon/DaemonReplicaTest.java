package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.RestorePoint;
import dev.tidemark.testing.Env;
import dev.tidemark.testing.S3Server;
import dev.tidemark.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon keeps its replicas in sync behind the repository and shows their lag; one that fails is an alarm. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DaemonReplicaTest {
    @TempDir
    Path tmp;

    @SuppressWarnings("unchecked")
    private static Map<String, Object> replica(Running r, String name) {
        for (Map<String, Object> m : (List<Map<String, Object>>) r.daemon.status().get("replicas")) {
            if (m.get("name").equals(name)) {
                return m;
            }
        }
        throw new AssertionError("no replica " + name + " in status");
    }

    @Test
    void aPointReachesTheReplicaWithinARoundAndAnUnreachableOneIsShownFailing() throws Exception {
        S3Server server = S3Server.shared();
        Env env = new Env(tmp, "facedata");
        Path usb = tmp.resolve("usb");
        env.writeConfig(Running.fastConfig() + "  \"replicas\": [{\"name\": \"usb\", \"repository\": \"" + usb
                + "\"},\n    {\"name\": \"offsite\", \"repository\": \"s3://no-such-bucket-x/r\", \"s3\": "
                + "{\"endpoint\": \"" + server.endpoint + "\"}}],\n");
        env.ok("init");
        Trees.random(env.tree("facedata"), 61, 80);
        RestorePoint p;
        try (Running r = new Running(env)) {
            Files.writeString(env.tree("facedata").resolve("new.jpg"), "a crop written while following");
            r.awaitReplicated("facedata", Duration.ofSeconds(30));
            p = r.daemon.pointNow(List.of("p")).get(60, TimeUnit.SECONDS);
            Instant committed = Instant.now();
            long t0 = System.nanoTime();
            while (true) {
                Map<String, Object> u = replica(r, "usb");
                Object at = u.get("syncedAt");
                if (at != null && Instant.parse((String) at).isAfter(committed)) {
                    assertEquals("in sync", u.get("state"));
                    break;
                }
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(40), "replica not in sync: " + u);
                Thread.sleep(200);
            }
            Map<String, Object> off = replica(r, "offsite");
            assertEquals("failing", off.get("state"));
            assertTrue(((String) off.get("lastError")).contains("bucket 'no-such-bucket-x' does not exist"),
                    off.toString());
            assertEquals(false, r.daemon.status().get("healthy"), "a failing replica is an alarm");
        }
        assertTrue(env.ok("points", "--replica", "usb").out().contains(p.id()));
        Trees.deleteRecursively(env.repo);
        env.ok("restore", p.id(), "--replica", "usb", "--to", tmp.resolve("out").toString(), "--no-sync");
        Trees.assertSame(env.tree("facedata"), tmp.resolve("out/facedata"));
    }
}

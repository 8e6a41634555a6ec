package dev.tidemark.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.point.FileEntry;
import dev.tidemark.point.ManifestReader;
import dev.tidemark.point.PointStore;
import dev.tidemark.point.RestorePoint;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory that cannot be read (EACCES: a NAS's {@code @Recycle}, {@code lost+found}) is left out with a warning
 * naming it and why; it never stops a point of the other trees, nor the daemon. Real permissions: as root (CI) the
 * process runs without the capabilities that bypass them ({@code setpriv}), so the kernel really says EACCES.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class UnreadableDirectoryTest {
    @TempDir
    Path tmp;

    /** {@code tidemark ARGS} as a separate process whose file access is checked like any user's. */
    private static ProcessBuilder unprivileged(Env env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (uid == 0) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/setpriv")),
                    "needs setpriv (util-linux) to drop root's permission override");
            cmd.addAll(List.of("/usr/bin/setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Xmx256m", "-cp", dev.tidemark.testing.RuntimeClasspath.get(), "dev.tidemark.cli.Main"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", env.configFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.redirectErrorStream(true);
        pb.environment().put("LC_ALL", "C.UTF-8");
        return pb;
    }

    private static Env env(Path tmp, String extra) throws Exception {
        Env env = new Env(tmp, "a", "b");
        env.writeConfig(extra);
        env.ok("init");
        Files.writeString(env.tree("a").resolve("ok.txt"), "fine");
        Files.createDirectories(env.tree("a").resolve("@Recycle"));
        Files.writeString(env.tree("a").resolve("@Recycle/deleted.jpg"), "in the bin");
        Files.writeString(env.tree("b").resolve("other.txt"), "other tree");
        return env;
    }

    private static void lock(Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("---------"));
    }

    private static void unlock(Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static Map<String, FileEntry> entries(Repository repo, RestorePoint p, String tree) throws Exception {
        Map<String, FileEntry> out = new HashMap<>();
        try (ManifestReader r = new ManifestReader(dev.tidemark.testing.TestContents.reader(repo), p.tree(tree).manifest())) {
            for (FileEntry e = r.nextOrNull(); e != null; e = r.nextOrNull()) {
                out.put(e.path(), e);
            }
        }
        return out;
    }

    @Test
    void aPointLeavesTheDirectoryOutNamesItAndWhyAndExitsFive() throws Exception {
        Env env = env(tmp, "");
        Path bin = env.tree("a").resolve("@Recycle");
        lock(bin);
        try {
            Process p = unprivileged(env, "point").start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(5, p.exitValue(), out);
            assertTrue(out.contains("@Recycle: cannot list directory (permission denied)"), out);
        } finally {
            unlock(bin);
        }
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            PointStore points = new PointStore(repo);
            RestorePoint point = points.load(points.ids().get(0));
            Map<String, FileEntry> a = entries(repo, point, "a");
            assertNotNull(a.get("ok.txt"), "the rest of the tree is in the point");
            assertNull(a.get("@Recycle/deleted.jpg"), "what could not be read is left out");
            assertNotNull(entries(repo, point, "b").get("other.txt"), "the other tree is in the point");
        }
    }

    @Test
    void theDaemonLeavesTheDirectoryOutShowsAnAlarmAndGoesOn() throws Exception {
        Env env = env(tmp, "  \"points\": {\"interval\": \"1h\"},\n  \"run\": {\"settle\": \"100ms\"},\n");
        env.ok("point"); // the daemon starts from a recent point: its catch-up compares the trees
        Path bin = env.tree("a").resolve("@Recycle");
        lock(bin);
        Process d = unprivileged(env, "run", "--no-progress").start();
        StringBuffer log = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(d.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    log.append(line).append('\n');
                }
            } catch (java.io.IOException e) {
                log.append("reader: ").append(e).append('\n');
            }
        });
        reader.setDaemon(true);
        reader.start();
        try {
            JsonNode tree = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                assertTrue(d.isAlive(), "the daemon exited:\n" + log);
                var s = env.cli("status", "--json");
                if (s.out().startsWith("{")) {
                    JsonNode st = Json.MAPPER.readTree(s.out());
                    tree = st.path("trees").get(0);
                    if (tree != null && tree.has("unreadable")) {
                        assertFalse(st.path("healthy").asBoolean(), s.out());
                        assertEquals(1, s.code(), "status exits 1 while there is an alarm");
                        break;
                    }
                }
                Thread.sleep(200);
            }
            assertNotNull(tree, "status never answered:\n" + log);
            assertEquals("@Recycle: permission denied", tree.path("unreadable").get(0).asText(), tree.toString());
            // Replication goes on, in both trees.
            Files.writeString(env.tree("b").resolve("new.txt"), "after");
            Files.writeString(env.tree("a").resolve("new.txt"), "after");
            String point = env.ok("point").out();
            assertTrue(point.contains("committed"), point);
            assertTrue(d.isAlive(), "the daemon exited:\n" + log);
            assertTrue(log.toString().contains("@Recycle: cannot list directory (permission denied); left out"), log.toString());
        } finally {
            d.destroy();
            d.waitFor(60, TimeUnit.SECONDS);
            unlock(bin);
        }
        assertEquals(0, d.exitValue(), log.toString());
        try (LocalDirStore store = new LocalDirStore(env.repo)) {
            Repository repo = Repository.open(store);
            PointStore points = new PointStore(repo);
            List<String> ids = points.ids();
            RestorePoint last = points.load(ids.get(ids.size() - 1));
            assertNotNull(entries(repo, last, "b").get("new.txt"));
            assertNotNull(entries(repo, last, "a").get("new.txt"));
            assertNotNull(entries(repo, last, "a").get("@Recycle/deleted.jpg"),
                    "what was recorded under the unreadable directory stays recorded: nothing is known to be gone");
        }
    }
}

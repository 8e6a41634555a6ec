package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.point.FileEntry;
import dev.tidemark.repo.Repository;
import dev.tidemark.repo.store.LocalDirStore;
import dev.tidemark.testing.Env;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tidemark run} as a real process, stopped by SIGTERM and killed by SIGKILL. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
public class DaemonProcessTest {
    @TempDir
    Path tmp;

    /** A started daemon process and a latch that opens once it follows its trees. */
    public record Proc(Process process, StringBuffer output) {
    }

    public static Proc start(Env env) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", dev.tidemark.testing.RuntimeClasspath.get(),
                "dev.tidemark.cli.Main", "run", "--config", env.configFile.toString(), "--no-progress");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        StringBuffer out = new StringBuffer();
        CountDownLatch following = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    out.append(line).append('\n');
                    if (line.contains("following")) {
                        following.countDown();
                    }
                }
            } catch (java.io.IOException e) {
                out.append("reader: ").append(e).append('\n');
            }
        });
        reader.setDaemon(true);
        reader.start();
        if (!following.await(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("daemon did not start:\n" + out);
        }
        return new Proc(p, out);
    }

    @Test
    void sigtermCopiesWhatIsInHandAndExitsZeroAndSigkillLosesNothingDurable() throws Exception {
        Env env = new Env(tmp, "t");
        // A long settle window: at SIGTERM the change has been seen but is not yet due.
        env.writeConfig("  \"points\": {\"interval\": \"1h\"},\n  \"run\": {\"settle\": \"5s\", \"maxDelay\": \"30s\"},\n");
        env.ok("init");
        Path t = env.tree("t");
        Files.writeString(t.resolve("before"), "before");

        Proc d = start(env);
        Files.writeString(t.resolve("in-hand"), "seen, not yet settled");
        Thread.sleep(500);
        d.process().destroy(); // SIGTERM
        assertTrue(d.process().waitFor(60, TimeUnit.SECONDS), "daemon did not stop on SIGTERM:\n" + d.output());
        assertEquals(0, d.process().exitValue(), d.output().toString());
        FileEntry e = Running.stateAt(open(env), "t", Instant.now()).get("in-hand");
        assertNotNull(e, "the change in hand at SIGTERM was not made durable:\n" + d.output());

        // SIGKILL in the middle of a burst; whatever was durable stays, and the next start finds the rest.
        Proc k = start(env);
        for (int i = 0; i < 500; i++) {
            Files.writeString(t.resolve("k" + i), "killed " + i);
        }
        Thread.sleep(200);
        k.process().destroyForcibly();
        k.process().waitFor(60, TimeUnit.SECONDS);
        env.writeConfig(Running.fastConfig());
        try (Running r = new Running(env)) {
            r.awaitReplicated("t", Duration.ofSeconds(60));
        }
        Map<String, FileEntry> state = Running.stateAt(open(env), "t", Instant.now());
        assertEquals(502, state.values().stream().filter(FileEntry::isFile).count());
        String verify = env.ok("verify").out();
        assertTrue(verify.contains("no damage"), verify);
    }

    private static Repository open(Env env) throws java.io.IOException {
        return Repository.open(new LocalDirStore(env.repo));
    }
}

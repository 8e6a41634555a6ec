package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Env;
import dev.tidemark.testing.FaultyStore;
import dev.tidemark.testing.Trees;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import dev.tidemark.testing.CapturedLog;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The daemon's commits failing (a full disk, a NAS share gone for a moment), through {@code FaultyStore}: a batch
 * whose pack or journal object cannot be committed is said once and retried, and nothing seen is dropped; a point
 * whose record cannot be committed fails alone and the next one seals everything. Each case ends with
 * {@code verify --read-data} and a byte-exact restore.
 */
class DaemonStoreFaultsTest {
    @TempDir
    Path tmp;

    @RegisterExtension
    final CapturedLog log = new CapturedLog();

    private List<String> errors() {
        return log.messages(ch.qos.logback.classic.Level.ERROR);
    }

    private Env started() throws Exception {
        Env env = new Env(tmp, "facedata");
        Random r = new Random(14);
        for (int i = 0; i < 30; i++) {
            Trees.write(env.tree("facedata").resolve("p" + (i % 3) + "/crop-" + i + ".jpg"), r, 2_000 + r.nextInt(9_000));
        }
        env.writeConfig(Running.fastConfig());
        env.ok("init");
        env.ok("point", "--tag", "first");
        return env;
    }

    private static void change(Env env, long seed) throws Exception {
        Random r = new Random(seed);
        for (int i = 0; i < 20; i++) {
            Trees.write(env.tree("facedata").resolve("p" + (i % 3) + "/new-" + seed + "-" + i + ".jpg"), r, 3_000);
        }
    }

    private void restoresExactly(Env env, String point) throws Exception {
        env.ok("verify", "--read-data");
        Path out = tmp.resolve("restored-" + point);
        env.ok("restore", point, "--to", out.toString(), "-q");
        Trees.assertSame(env.tree("facedata"), out.resolve("facedata"));
    }

    /** The first commit of a batch's pack, or of its journal object, fails; the batch goes through on the retry. */
    @ParameterizedTest(name = "the first {0} commit of the daemon fails")
    @ValueSource(strings = {"data", "journal"})
    void aBatchThatCannotBeCommittedIsSaidOnceRetriedAndNothingSeenIsDropped(String prefix) throws Exception {
        Env env = started();
        try (Running d = Running.through(env, s -> new FaultyStore(s, k -> k.startsWith(prefix + "/")
                || k.startsWith("hosts/") && k.contains("/" + prefix + "/"), 1))) {
            change(env, 1);
            d.awaitReplicated("facedata", Duration.ofSeconds(60)); // the retry comes 10 s later
            List<String> said = errors().stream().filter(m -> m.startsWith("cannot make changes durable")).toList();
            assertEquals(1, said.size(), "said once: " + errors());
            assertTrue(said.get(0).matches(".*injected failure committing (hosts/[0-9a-f]+/)?" + prefix + "/.*"),
                    said.get(0));
            assertTrue(said.get(0).contains("nothing seen is dropped"), said.get(0));
            d.daemon.pointNow(List.of("second")).get(60, TimeUnit.SECONDS);
        }
        restoresExactly(env, "second");
    }

    @Test
    void aPointWhoseRecordCannotBeCommittedFailsAloneAndTheNextSealsEverything() throws Exception {
        Env env = started();
        try (Running d = Running.through(env, s -> new FaultyStore(s, k -> k.startsWith("points/"), 1))) {
            change(env, 2);
            d.awaitReplicated("facedata", Duration.ofSeconds(30));
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> d.daemon.pointNow(List.of("lost")).get(60, TimeUnit.SECONDS));
            assertTrue(String.valueOf(failed.getCause().getMessage()).contains("injected failure committing points/"),
                    String.valueOf(failed.getCause()));
            change(env, 3);
            d.awaitReplicated("facedata", Duration.ofSeconds(30));
            d.daemon.pointNow(List.of("sealed")).get(60, TimeUnit.SECONDS);
        }
        dev.tidemark.testing.Cli.Result lost = env.cli("show", "lost");
        assertTrue(lost.code() != 0 && lost.err().contains("no restore point 'lost'"), lost.toString());
        restoresExactly(env, "sealed");
    }
}

package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The daemon drills the newest point by itself every drills.every, and records the outcome in the repository. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DaemonDrillTest {
    @TempDir
    Path tmp;

    @Test
    void theDaemonDrillsOnItsSchedule() throws Exception {
        Env env = new Env(tmp.resolve("env"), "t");
        for (int i = 0; i < 20; i++) {
            Files.writeString(env.tree("t").resolve("f" + i), "content " + i);
        }
        env.writeConfig(Running.fastConfig() + "  \"drills\": {\"every\": \"10s\", \"files\": 5, \"database\": "
                + "false},\n");
        env.ok("init");
        env.ok("point");
        try (Running d = new Running(env)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (drills(env).isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no drill within 60 s");
                Thread.sleep(200);
            }
        }
        JsonNode r = drills(env).get(0);
        assertTrue(r.path("ok").asBoolean(), r.toString());
        assertEquals(5, r.path("files").asInt());
        assertTrue(r.path("database").isNull() || r.path("database").isMissingNode(), r.toString());
    }

    private static List<JsonNode> drills(Env env) throws Exception {
        Path dir = env.repo.resolve("drills");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().map(p -> {
                try {
                    return Json.MAPPER.readTree(p.toFile());
                } catch (java.io.IOException e) {
                    throw new AssertionError(e);
                }
            }).toList();
        }
    }
}

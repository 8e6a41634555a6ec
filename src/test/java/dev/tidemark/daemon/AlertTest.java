package dev.tidemark.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts from a real daemon to a real command and a real HTTP endpoint on loopback (webhook and healthchecks-style
 * pings): a tree's alarm is sent once however long it lasts (alerts.repeat), and once more when it clears; a point
 * pings the healthcheck; verify's damage is sent once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AlertTest {
    @TempDir
    Path tmp;

    /** A request the endpoint received: method, path, body. */
    record Hit(String method, String path, String body) {
    }

    @Test
    void anAlarmIsSentOnceThenResolvedAPointPingsAndVerifyDamageIsSentOnce() throws Exception {
        List<Hit> hits = new CopyOnWriteArrayList<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        endpoint.createContext("/", x -> {
            hits.add(new Hit(x.getRequestMethod(), x.getRequestURI().getPath(),
                    new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        endpoint.start();
        try {
            String base = "http://127.0.0.1:" + endpoint.getAddress().getPort();
            Env env = new Env(tmp.resolve("env"), "t");
            Path log = tmp.resolve("alerts.log");
            Files.writeString(env.tree("t").resolve("a.txt"), "a");
            env.writeConfig(Running.fastConfig() + "  \"alerts\": {\"command\": [\"/bin/sh\", \"-c\", "
                    + "\"echo \\\"$TIDEMARK_ALERT_CONDITION $TIDEMARK_ALERT_RESOLVED $TIDEMARK_ALERT_MESSAGE\\\" >> "
                    + log + "\"], \"webhook\": \"" + base + "/hook\", \"healthcheck\": \"" + base + "/hc\", "
                    + "\"repeat\": \"1h\", \"check\": \"1s\"},\n");
            env.ok("init");
            env.ok("point");
            Path root = env.tree("t");
            Path away = tmp.resolve("away");
            try (Running d = new Running(env)) {
                Thread.sleep(1500); // the first check learns the last point
                d.daemon.pointNow(List.of()).get(60, TimeUnit.SECONDS);
                await(() -> hits.stream().anyMatch(h -> h.method().equals("GET") && h.path().equals("/hc")),
                        "a point pings the healthcheck", hits);

                Files.move(root, away);
                await(() -> lines(log).stream().anyMatch(l -> l.startsWith("alarm:t 0 tree t: root")),
                        "the alarm reaches the command", hits);
                Thread.sleep(4000); // four more checks with the alarm still on
                assertEquals(1, lines(log).stream().filter(l -> l.startsWith("alarm:t 0")).count(), lines(log)
                        .toString());
                List<JsonNode> hooks = hooks(hits);
                assertEquals(1, hooks.size(), hooks.toString());
                assertEquals("alarm:t", hooks.get(0).path("condition").asText());
                assertTrue(!hooks.get(0).path("resolved").asBoolean());
                assertEquals(1, hits.stream().filter(h -> h.path().equals("/hc/fail")).count(), hits.toString());
                assertTrue(hits.stream().filter(h -> h.path().equals("/hc/fail")).findFirst().get().body()
                        .startsWith("alarm:t: tree t: root"));

                Files.move(away, root);
                await(() -> lines(log).stream().anyMatch(l -> l.startsWith("alarm:t 1 resolved after")),
                        "the all-clear reaches the command", hits);
                await(() -> hooks(hits).size() == 2, "the all-clear reaches the webhook", hits);
                assertTrue(hooks(hits).get(1).path("resolved").asBoolean());
            }

            // verify's damage: sent once, not again on the next verify within alerts.repeat.
            Path pack;
            try (Stream<Path> s = Files.walk(env.repo.resolve("data"))) {
                pack = s.filter(Files::isRegularFile).findFirst().orElseThrow();
            }
            try (RandomAccessFile f = new RandomAccessFile(pack.toFile(), "rw")) {
                f.seek(40);
                int b = f.read();
                f.seek(40);
                f.write(b ^ 0x40);
            }
            for (int i = 0; i < 2; i++) {
                Cli.Result v = env.cli("verify", "--read-data");
                assertEquals(3, v.code(), v.toString());
            }
            assertEquals(1, lines(log).stream().filter(l -> l.startsWith("verify-damage 0 verify found")).count(),
                    lines(log).toString());
        } finally {
            endpoint.stop(0);
        }
    }

    @Test
    void aPointOlderThanMissedAfterIsAMissedPoint() {
        Instant now = Instant.parse("2026-11-22T12:00:00Z");
        Map<String, Object> status = Map.of("trees", List.of(), "lastPointTime", "2026-11-22T09:30:00Z");
        assertEquals(List.of("point-missed"), List.copyOf(AlertWatch.conditions(status, now, Duration.ofHours(2))
                .keySet()));
        assertTrue(AlertWatch.conditions(status, now, Duration.ofHours(3)).isEmpty());
    }

    private static List<JsonNode> hooks(List<Hit> hits) {
        return hits.stream().filter(h -> h.path().equals("/hook")).map(h -> {
            try {
                return Json.MAPPER.readTree(h.body());
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    private static List<String> lines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void await(BooleanSupplier cond, String what, List<Hit> hits) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what + " within 30 s; the endpoint saw " + hits);
            Thread.sleep(100);
        }
    }
}

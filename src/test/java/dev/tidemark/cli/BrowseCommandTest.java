package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tidemark ls} and {@code tidemark cat}: a point's content without a restore. */
class BrowseCommandTest {
    @TempDir
    Path tmp;

    /** Runs {@code cat} with standard output caught: its raw bytes, and the result. */
    private static byte[] cat(Env env, List<Cli.Result> result, String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true));
        try {
            result.add(env.cli(args));
        } finally {
            System.setOut(saved);
        }
        return bytes.toByteArray();
    }

    @Test
    void lsListsAPointsTreesAndDirectoriesAndCatWritesOneFileExactly() throws Exception {
        Env env = new Env(tmp, "photos", "config");
        Path photos = env.tree("photos");
        Files.createDirectories(photos.resolve("2026/crops"));
        byte[] crop = new byte[2_500_000]; // several segments
        new Random(3).nextBytes(crop);
        Files.write(photos.resolve("2026/crops/a.jpg"), crop);
        Files.writeString(photos.resolve("2026/crops/b.jpg"), "b");
        Files.writeString(photos.resolve("2026-notes"), "sorts between 2026/ entries and 2026");
        Files.createSymbolicLink(photos.resolve("latest"), Path.of("2026"));
        Files.writeString(env.tree("config").resolve("app.yaml"), "port: 8080\n");
        env.writeConfig("");
        env.ok("init");
        env.ok("point", "--tag", "first");
        Files.writeString(photos.resolve("2026/crops/b.jpg"), "b changed later");
        env.ok("point");

        String trees = env.ok("ls", "latest").out();
        assertTrue(trees.startsWith("photos/") && trees.contains("\nconfig/"), trees);
        String top = env.ok("ls", "latest", "photos").out();
        List<String> names = top.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
        assertEquals(List.of("photos/2026/", "photos/2026-notes", "2026"), names, top); // the symlink's target last
        assertTrue(top.lines().anyMatch(l -> l.contains("photos/latest -> 2026")), top);
        String deep = env.ok("ls", "latest", "photos/2026", "-r").out();
        assertEquals(3, deep.lines().count(), deep);

        List<String> json = new ArrayList<>();
        for (String line : env.ok("ls", "first", "photos/2026/crops", "--json").out().split("\n")) {
            JsonNode n = Json.MAPPER.readTree(line);
            assertEquals("entry", n.path("message_type").asText());
            json.add(n.path("path").asText() + ":" + n.path("type").asText() + ":" + n.path("size").asLong());
        }
        assertEquals(List.of("2026/crops/a.jpg:file:2500000", "2026/crops/b.jpg:file:1"), json);

        List<Cli.Result> r = new ArrayList<>();
        assertArrayEquals(crop, cat(env, r, "cat", "latest", "photos/2026/crops/a.jpg"));
        assertEquals(0, r.get(0).code(), r.get(0).toString());
        assertEquals("b", new String(cat(env, r, "cat", "first", "photos/2026/crops/b.jpg")));
        assertEquals("port: 8080\n", new String(cat(env, r, "cat", "latest", "config/app.yaml")));

        Cli.Result dir = env.cli("cat", "latest", "photos/2026");
        assertEquals(2, dir.code());
        assertTrue(dir.err().contains("is a directory, not a file"), dir.err());
        Cli.Result missing = env.cli("cat", "latest", "photos/2026/crops/zzz.jpg");
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("'photos/2026/crops/zzz.jpg' is not in point")
                && missing.err().contains("tidemark ls") && missing.err().contains("photos/2026/crops'"),
                missing.err());
        Cli.Result noTree = env.cli("ls", "latest", "media/x");
        assertEquals(2, noTree.code());
        assertTrue(noTree.err().contains("no tree 'media'") && noTree.err().contains("photos, config"),
                noTree.err());
        Cli.Result dots = env.cli("cat", "latest", "photos/../config/app.yaml");
        assertEquals(2, dots.code());
        assertEquals(1, dots.err().lines().count(), dots.err());
    }
}

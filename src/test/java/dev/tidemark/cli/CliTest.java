package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tidemark.testing.Cli;
import dev.tidemark.testing.Env;
import dev.tidemark.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a script sees it: output formats and exit codes. */
class CliTest {
    @TempDir
    Path tmp;

    @Test
    void pointsJsonIsAnArrayWithIdTimeTagsAndTotals() throws Exception {
        Env env = new Env(tmp, "qr");
        Files.writeString(env.tree("qr").resolve("settings.json"), "{}");
        env.ok("init");
        env.ok("point", "--tag", "nightly", "--tag", "before-upgrade");
        Files.writeString(env.tree("qr").resolve("new.png"), "png");
        env.ok("point");
        JsonNode arr = Json.MAPPER.readTree(env.ok("points", "--json").out());
        assertTrue(arr.isArray());
        assertEquals(2, arr.size());
        JsonNode first = arr.get(0);
        assertTrue(first.get("id").asText().matches("\\d{8}T\\d{6}Z(-\\d+)?"), first.toString());
        assertTrue(first.get("time").asText().endsWith("Z"));
        assertEquals("nightly", first.get("tags").get(0).asText());
        assertEquals(1, first.get("totals").get("files").asLong());
        assertEquals(2, arr.get(1).get("totals").get("files").asLong());
    }

    @Test
    void showAndDiffNameWhatChanged() throws Exception {
        Env env = new Env(tmp, "qr");
        Files.writeString(env.tree("qr").resolve("a.txt"), "a");
        Files.writeString(env.tree("qr").resolve("b.txt"), "b");
        env.ok("init");
        env.ok("point", "--tag", "one");
        Files.writeString(env.tree("qr").resolve("a.txt"), "changed");
        Files.delete(env.tree("qr").resolve("b.txt"));
        Files.writeString(env.tree("qr").resolve("c.txt"), "c");
        env.ok("point", "--tag", "two");
        String diff = env.ok("diff", "one", "two").out();
        assertTrue(diff.contains("M qr/a.txt (content"), diff);
        assertTrue(diff.contains("- qr/b.txt"), diff);
        assertTrue(diff.contains("+ qr/c.txt"), diff);
        assertTrue(diff.contains("1 added, 1 removed, 1 changed"), diff);
        String show = env.ok("show", "two", "--files").out();
        assertTrue(show.contains("c.txt") && !show.contains("b.txt"), show);
    }

    @Test
    void exitCodesScriptsCanTrust() throws Exception {
        Env env = new Env(tmp, "t");
        assertEquals(2, Cli.run("no-such-command").code());
        assertEquals(2, env.cli("restore").code(), "missing POINT is bad usage");
        Cli.Result noRepo = env.cli("points");
        assertEquals(2, noRepo.code(), noRepo.toString());
        assertTrue(noRepo.err().contains("run 'tidemark init' first"), noRepo.err());
        env.ok("init");
        Cli.Result again = env.cli("init");
        assertEquals(2, again.code(), "init refuses an existing repository");
        Cli.Result noPoints = env.cli("restore", "latest", "--to", tmp.resolve("x").toString());
        assertEquals(1, noPoints.code(), noPoints.toString());
        assertTrue(noPoints.err().contains("no restore points yet"), noPoints.err());
        env.ok("point");
        Cli.Result unknown = env.cli("show", "19990101");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("'tidemark points' lists them"), unknown.err());
        Cli.Result help = Cli.run("--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Exit codes:"), help.out());
    }

    @Test
    void filesThatCannotBeReadAreReportedAndThePointIsStillCommittedWithExitFive() throws Exception {
        Env env = new Env(tmp, "t");
        Files.writeString(env.tree("t").resolve("ok"), "ok");
        // A name that is not valid UTF-8 (byte 0xff): the JVM cannot name it back, even as root.
        Process p = new ProcessBuilder("sh", "-c", "touch \"$(printf 'bad\\377name')\"")
                .directory(env.tree("t").toFile()).start();
        assertEquals(0, p.waitFor());
        boolean unreadableToo = !"root".equals(System.getProperty("user.name"));
        if (unreadableToo) {
            Files.setAttribute(Files.writeString(env.tree("t").resolve("secret"), "s"), "unix:mode", 0);
        }
        env.ok("init");
        Cli.Result r = env.cli("point");
        assertEquals(5, r.code(), r.toString());
        assertTrue(r.err().contains("not valid UTF-8"), r.err());
        if (unreadableToo) {
            assertTrue(r.err().contains("secret"), r.err());
        }
        JsonNode points = Json.MAPPER.readTree(env.ok("points", "--json").out());
        assertEquals(1, points.size(), "the point was committed");
        assertEquals(1, points.get(0).get("totals").get("files").asLong());
    }

    @Test
    void anEmptiedTreeIsNotRecordedAsEverythingDeletedUnlessAllowed() throws Exception {
        Env env = new Env(tmp, "facedata");
        for (int i = 0; i < 5; i++) {
            Files.writeString(env.tree("facedata").resolve("crop-" + i + ".jpg"), "crop " + i);
        }
        env.ok("init");
        env.ok("point");
        // The disk is gone: its mount point is an empty directory.
        for (int i = 0; i < 5; i++) {
            Files.delete(env.tree("facedata").resolve("crop-" + i + ".jpg"));
        }
        Cli.Result r = env.cli("point");
        assertEquals(1, r.code(), r.toString());
        assertTrue(r.err().contains("is empty, but point") && r.err().contains("is its disk mounted?"), r.err());
        assertEquals(1, Json.MAPPER.readTree(env.ok("points", "--json").out()).size(), "nothing was committed");
        env.ok("point", "--allow-empty");
        JsonNode points = Json.MAPPER.readTree(env.ok("points", "--json").out());
        assertEquals(2, points.size());
        assertEquals(0, points.get(1).get("totals").get("files").asLong());
    }

    /** Every command and subcommand answers --help and -h with its usage and exit 0 (they used to exit 2). */
    @Test
    void everyCommandAnswersHelp() {
        java.util.List<java.util.List<String>> commands = new java.util.ArrayList<>();
        collect(Main.commandLine(), new java.util.ArrayList<>(), commands);
        assertTrue(commands.size() > 15, "commands found: " + commands);
        for (java.util.List<String> c : commands) {
            for (String flag : new String[] {"--help", "-h"}) {
                java.util.List<String> args = new java.util.ArrayList<>(c);
                args.add(flag);
                Cli.Result r = Cli.run(args.toArray(String[]::new));
                assertEquals(0, r.code(), args + ": " + r);
                assertTrue(r.out().contains("Usage: tidemark " + String.join(" ", c)), args + ": " + r.out());
            }
        }
    }

    /**
     * main() builds only the command its first argument names, and that command reads exactly as it does among all
     * of them; help, completion, a misspelt command and no command get them all.
     */
    @Test
    void theNamedCommandAloneIsTheSameCommandAsAmongAllOfThem() {
        // What tools read (the man page generator at build time): Main's annotation, every command.
        picocli.CommandLine annotated = new picocli.CommandLine(new Main());
        assertTrue(annotated.getSubcommands().keySet().containsAll(java.util.List.of("restore", "point", "run",
                "help")), annotated.getSubcommands().keySet().toString());
        picocli.CommandLine all = Main.commandLine();
        assertEquals(annotated.getSubcommands().keySet(), all.getSubcommands().keySet());
        assertEquals(Main.COMMANDS.size(), all.getSubcommands().size());
        for (var e : all.getSubcommands().entrySet()) {
            if (e.getKey().equals("help") || e.getKey().equals("completion")) {
                continue;
            }
            picocli.CommandLine alone = Main.commandLine(new String[] {e.getKey(), "--help"});
            assertEquals(java.util.Set.of(e.getKey()), alone.getSubcommands().keySet());
            assertEquals(e.getValue().getUsageMessage(picocli.CommandLine.Help.Ansi.OFF),
                    alone.getSubcommands().get(e.getKey()).getUsageMessage(picocli.CommandLine.Help.Ansi.OFF));
        }
        for (String[] args : new String[][] {{}, {"help", "restore"}, {"completion"}, {"resotre"}, {"--config", "x",
            "points"}, {"-V"}}) {
            assertEquals(all.getSubcommands().keySet(), Main.commandLine(args).getSubcommands().keySet(),
                    java.util.Arrays.toString(args));
        }
    }

    private static void collect(picocli.CommandLine cl, java.util.List<String> path,
                                java.util.List<java.util.List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            java.util.List<String> p = new java.util.ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            collect(e.getValue(), p, out);
        }
    }

    /** -V and 'tidemark version' say the build's version (they used to say "dev"). */
    @Test
    void versionComesFromTheBuild() {
        String expected = System.getProperty("tidemark.test.version");
        org.junit.jupiter.api.Assumptions.assumeTrue(expected != null, "run by Maven, which says the version");
        for (String[] args : new String[][] {{"-V"}, {"version"}, {"--version"}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().startsWith("tidemark " + expected + " (built "), String.join(" ", args) + ": " + r.out());
        }
    }

    /**
     * 'tidemark help' reaches any depth (it used to show 'db' for 'help db export'), an error's hint names the whole
     * command path, and every command's summary in the top-level list is a whole sentence (they were cut mid-line).
     */
    @Test
    void helpReachesSubcommandsHintsNameTheWholePathAndSummariesAreSentences() {
        Cli.Result export = Cli.run("help", "db", "export");
        assertEquals(0, export.code(), export.toString());
        assertTrue(export.out().startsWith("Usage: tidemark db export"), export.out());
        Cli.Result none = Cli.run("help", "db", "nope");
        assertEquals(2, none.code());
        assertTrue(none.err().contains("tidemark db has no command 'nope'; its commands are export, references"),
                none.err());
        Cli.Result bad = Cli.run("db", "export", "--bogus");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("Try 'tidemark db export --help'."), bad.err());

        java.util.List<java.util.List<String>> commands = new java.util.ArrayList<>();
        collect(Main.commandLine(), new java.util.ArrayList<>(), commands);
        for (java.util.List<String> c : commands) {
            picocli.CommandLine cl = Main.commandLine();
            for (String name : c) {
                cl = cl.getSubcommands().get(name);
            }
            String[] d = cl.getCommandSpec().usageMessage().description();
            assertTrue(d.length > 0 && d[0].strip().endsWith("."), c + ": its summary is not a sentence: "
                    + (d.length > 0 ? d[0] : "(none)"));
        }
    }

    /** -q prints no summary (a cron mail held every point's table); warnings and errors still go to stderr. */
    @Test
    void quietPrintsOnlyWarningsAndErrors() throws Exception {
        Env env = new Env(tmp, "qr");
        Files.writeString(env.tree("qr").resolve("a.txt"), "a");
        env.ok("init");
        Cli.Result p = env.ok("point", "-q");
        assertEquals("", p.out());
        assertEquals("", p.err());
        Cli.Result f = env.ok("forget", "--keep-last", "1", "-q");
        assertEquals("", f.out());
        String list = env.ok("points", "-q").out();
        assertTrue(!list.isBlank() && !list.contains("no restore points"), "-q keeps a listing: it is the output: "
                + list);
    }

    /** A tag that a point name could not be told from is refused before anything happens. */
    @Test
    void tagsThatLookLikePointNamesAreRefused() throws Exception {
        Env env = new Env(tmp, "qr");
        env.ok("init");
        for (String tag : new String[] {"latest", "2026", "20261122T0101", "with space", ""}) {
            Cli.Result r = env.cli("point", "--tag", tag);
            assertEquals(2, r.code(), tag + ": " + r);
            assertTrue(r.err().startsWith("tidemark: tag '" + tag + "' is not allowed"), r.err());
        }
        assertTrue(env.ok("points").out().contains("no restore points"), "nothing was taken");
    }

    /** A key given twice and a value of the wrong kind: one line, in the config's words, no Java class name. */
    @Test
    void aDuplicateKeyAndAWrongTypeAreOneLineWithoutJavaNames() throws Exception {
        Env env = new Env(tmp, "qr");
        Path cfg = tmp.resolve("dup.json");
        Files.writeString(cfg, "{\"repository\": \"" + env.repo + "\",\n \"state\": \"" + env.state
                + "\",\n \"repository\": \"/elsewhere\",\n \"trees\": [{\"name\": \"qr\", \"path\": \""
                + env.tree("qr") + "\"}]}");
        Cli.Result dup = Cli.run("points", "--config", cfg.toString());
        assertEquals(2, dup.code());
        assertEquals("tidemark: " + cfg + ": 'repository' is given twice (the second at line 3): keep one",
                dup.err().lines().findFirst().orElse(""));
        Files.writeString(cfg, "{\"repository\": \"" + env.repo + "\", \"state\": \"" + env.state
                + "\", \"trees\": \"qr\"}");
        Cli.Result type = Cli.run("points", "--config", cfg.toString());
        assertEquals(2, type.code());
        assertTrue(type.err().startsWith("tidemark: " + cfg + ": 'trees' has the wrong type: give a list: [ ... ]"),
                type.err());
        assertTrue(!type.err().contains("java.") && !type.err().contains("$"), type.err());
    }

    /** point, show, diff, verify and restore speak JSON: objects of the documented shapes, one per line. */
    @Test
    void reportingCommandsSpeakJsonOfTheDocumentedShape() throws Exception {
        Env env = new Env(tmp, "qr");
        Files.writeString(env.tree("qr").resolve("a.txt"), "a");
        Files.writeString(env.tree("qr").resolve("b.txt"), "b");
        env.ok("init");
        JsonNode p1 = Json.MAPPER.readTree(env.ok("point", "--json", "--tag", "one").out());
        assertEquals("summary", p1.get("message_type").asText());
        assertEquals("one", p1.get("point").get("tags").get(0).asText());
        assertEquals(0, p1.get("problems").size());
        Files.writeString(env.tree("qr").resolve("a.txt"), "changed");
        Files.writeString(env.tree("qr").resolve("c.txt"), "c");
        String id2 = Json.MAPPER.readTree(env.ok("point", "--json").out()).get("point").get("id").asText();

        java.util.List<JsonNode> show = lines(env.ok("show", id2, "--json", "--files").out());
        assertEquals("point", show.get(0).get("message_type").asText());
        assertEquals(id2, show.get(0).get("point").get("id").asText());
        assertTrue(show.stream().anyMatch(n -> "entry".equals(n.get("message_type").asText())
                && "c.txt".equals(n.get("path").asText()) && n.get("size").asLong() == 1), show.toString());

        java.util.List<JsonNode> diff = lines(env.ok("diff", "one", id2, "--json").out());
        assertTrue(diff.stream().anyMatch(n -> "+".equals(n.path("op").asText()) && "c.txt".equals(n.path("path").asText())));
        assertTrue(diff.stream().anyMatch(n -> "M".equals(n.path("op").asText())
                && n.path("changes").toString().contains("content")));
        JsonNode sum = diff.get(diff.size() - 1);
        assertEquals("summary", sum.get("message_type").asText());
        assertEquals(1, sum.get("added").asLong());

        JsonNode v = Json.MAPPER.readTree(env.ok("verify", "--json").out());
        assertTrue(v.get("ok").asBoolean());
        assertEquals(2, v.get("points").asInt());
        assertEquals(0, v.get("damage").size());

        java.util.List<JsonNode> r = lines(env.ok("restore", "one", "--json", "--to", tmp.resolve("out").toString(),
                "--no-sync").out());
        assertEquals("tree", r.get(0).get("message_type").asText());
        assertEquals(2, r.get(0).get("files").asLong());
        JsonNode rs = r.get(r.size() - 1);
        assertEquals("summary", rs.get("message_type").asText());
        assertEquals(0, rs.get("failed").asLong());

        // --json-progress: status lines first (one at the start, then every second), the summary last.
        java.util.List<JsonNode> withProgress = lines(env.ok("restore", "one", "--json", "--json-progress", "--to",
                tmp.resolve("out2").toString(), "--no-sync").out());
        JsonNode status = withProgress.get(0);
        assertEquals("status", status.get("message_type").asText(), withProgress.toString());
        assertTrue(status.has("seconds_elapsed") && status.has("files_done") && status.has("bytes_done"),
                status.toString());
        assertEquals("summary", withProgress.get(withProgress.size() - 1).get("message_type").asText());
        java.util.List<JsonNode> pointProgress = lines(env.ok("point", "--json", "--json-progress").out());
        assertEquals("status", pointProgress.get(0).get("message_type").asText());
        assertEquals("summary", pointProgress.get(pointProgress.size() - 1).get("message_type").asText());
    }

    private static java.util.List<JsonNode> lines(String out) throws Exception {
        java.util.List<JsonNode> l = new java.util.ArrayList<>();
        for (String line : out.strip().split("\n")) {
            l.add(Json.MAPPER.readTree(line));
        }
        return l;
    }

    /** The completion script is bash that completes every command and option of the current tree. */
    @Test
    void completionCoversTheCommandTreeAndIsValidBash() throws Exception {
        Cli.Result r = Cli.run("completion");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("complete -F _complete_tidemark"), r.out().substring(0, 200));
        for (String word : new String[] {"restore", "copy", "--replica", "--no-undo", "--db-into", "export"}) {
            assertTrue(r.out().contains(word), word);
        }
        Path script = tmp.resolve("tidemark.bash");
        Files.writeString(script, r.out());
        Process p = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String err = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "bash -n: " + err);
    }
}

package dev.tidemark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad configs: one line naming the file, the field and the fix; exit code 2; nothing created. */
class ConfigErrorsTest {
    @TempDir
    static Path shared;

    /** Placeholders: @T@ is a temp dir with an existing tree at @T@/tree and @T@/tree2. */
    static Stream<Arguments> cases() {
        String ok = "\"repository\": \"@T@/repo\", \"state\": \"@T@/state\"";
        return Stream.of(
                Arguments.of("not JSON", "{ \"repository\": ", "not valid JSON at line"),
                Arguments.of("unknown top-level field", "{" + ok + ", \"repositry\": \"x\", \"trees\": []}",
                        "'repositry' is not a known field"),
                Arguments.of("unknown tree field", "{" + ok + ", \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\","
                        + " \"excludes\": []}]}", "'trees[0].excludes' is not a known field"),
                Arguments.of("relative repository", "{\"repository\": \"backup\", \"state\": \"@T@/s\", \"trees\": "
                        + "[{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'repository' is 'backup', a relative path"),
                Arguments.of("missing state", "{\"repository\": \"@T@/repo\", \"trees\": [{\"name\": \"a\", "
                        + "\"path\": \"@T@/tree\"}]}", "'state' is missing"),
                Arguments.of("no trees", "{" + ok + "}", "'trees' is missing or empty"),
                Arguments.of("trees of the wrong type", "{" + ok + ", \"trees\": \"@T@/tree\"}", "'trees' has the wrong type"),
                Arguments.of("relative tree path", "{" + ok + ", \"trees\": [{\"name\": \"a\", \"path\": \"tree\"}]}",
                        "'trees[0].path' is 'tree', a relative path"),
                Arguments.of("bad tree name", "{" + ok + ", \"trees\": [{\"name\": \"a/b\", \"path\": \"@T@/tree\"}]}",
                        "'trees[0].name' 'a/b' is not allowed"),
                Arguments.of("duplicate names", "{" + ok + ", \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"},"
                        + " {\"name\": \"a\", \"path\": \"@T@/tree2\"}]}", "'trees[1].name' 'a' is used by two trees"),
                Arguments.of("overlapping trees", "{" + ok + ", \"trees\": [{\"name\": \"a\", \"path\": \"@T@\"},"
                        + " {\"name\": \"b\", \"path\": \"@T@/tree2\"}]}", "lies inside tree 'a'"),
                Arguments.of("repository inside a tree", "{\"repository\": \"@T@/tree/repo\", \"state\": \"@T@/s\", "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'repository' @T@/tree/repo lies inside tree 'a'"),
                Arguments.of("state inside a tree", "{\"repository\": \"@T@/repo\", \"state\": \"@T@/tree2/s\", "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree2\"}]}", "'state' @T@/tree2/s lies inside tree 'a'"),
                Arguments.of("bad glob", "{" + ok + ", \"exclude\": [\"[a-\"], \"trees\": [{\"name\": \"a\", \"path\": "
                        + "\"@T@/tree\"}]}", "'exclude[0]' '[a-' is not a valid glob"),
                Arguments.of("bad thread count", "{" + ok + ", \"scan\": {\"threads\": 0}, \"trees\": [{\"name\": \"a\", "
                        + "\"path\": \"@T@/tree\"}]}", "'scan.threads' is 0: use 1 to 64"),
                Arguments.of("duration without a unit", "{" + ok + ", \"run\": {\"settle\": \"300\"}, \"trees\": "
                        + "[{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'run.settle' is '300': give a number and a unit"),
                Arguments.of("point interval too short", "{" + ok + ", \"points\": {\"interval\": \"10s\"}, "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'points.interval' is 10s: use 1m to 31d"),
                Arguments.of("negative retention count", "{" + ok + ", \"retention\": {\"keepDaily\": -3}, \"trees\": "
                        + "[{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'retention.keepDaily' is -3: give a number of points"),
                Arguments.of("retention duration with an unknown unit", "{" + ok + ", \"retention\": {\"keepLast\": 3, "
                        + "\"keepWithin\": \"2y\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'retention.keepWithin' is '2y': give a number and a unit (ms, s, m, h, d, w)"),
                Arguments.of("retention that keeps nothing", "{" + ok + ", \"retention\": {\"keepLast\": 0, "
                        + "\"journalWithin\": \"3d\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'retention' keeps nothing but the newest point"),
                Arguments.of("journal kept too briefly", "{" + ok + ", \"retention\": {\"keepLast\": 3, "
                        + "\"journalWithin\": \"10m\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'retention.journalWithin' is 10m: use 1h to 36500d"),
                Arguments.of("max unused over 99 %", "{" + ok + ", \"retention\": {\"keepLast\": 3, "
                        + "\"maxUnused\": \"120%\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'retention.maxUnused' is '120%': give a percentage from 0% to 99%"),
                Arguments.of("unknown retention field", "{" + ok + ", \"retention\": {\"keepLatest\": 3}, "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'retention.keepLatest' is not a known field"),
                Arguments.of("unknown watch method", "{" + ok + ", \"run\": {\"watch\": \"fanotify\"}, \"trees\": "
                        + "[{\"name\": \"a\", \"path\": \"@T@/tree\"}]}", "'run.watch' is 'fanotify': use \"inotify\""),
                Arguments.of("max delay under the settle time", "{" + ok + ", \"run\": {\"settle\": \"5s\", "
                        + "\"maxDelay\": \"2s\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'run.maxDelay' is shorter than run.settle"),
                Arguments.of("http listen without a port", "{" + ok + ", \"http\": {\"listen\": \"127.0.0.1\"}, "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'http.listen' is '127.0.0.1': give ADDRESS:PORT"),
                Arguments.of("http on the network without a token", "{" + ok + ", \"http\": {\"listen\": "
                        + "\"0.0.0.0:7427\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'http.listen' is 0.0.0.0:7427, not a loopback address: give http.tokenFile too"),
                Arguments.of("http token file relative", "{" + ok + ", \"http\": {\"listen\": \"0.0.0.0:7427\", "
                        + "\"tokenFile\": \"token\"}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'http.tokenFile' is 'token', a relative path"),
                Arguments.of("alerts sent nowhere", "{" + ok + ", \"alerts\": {\"repeat\": \"1h\"}, "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'alerts' names nowhere to send alerts"),
                Arguments.of("alert command without a path", "{" + ok + ", \"alerts\": {\"command\": "
                        + "[\"notify\"]}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'alerts.command' must be a list of arguments starting with an absolute program path"),
                Arguments.of("alert webhook not a URL", "{" + ok + ", \"alerts\": {\"webhook\": \"hooks.example\"}"
                        + ", \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'alerts.webhook' is 'hooks.example': give an http:// or https:// URL"),
                Arguments.of("drills of no files", "{" + ok + ", \"drills\": {\"files\": 0}, "
                        + "\"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'drills.files' is 0: use 1 to 1000000"),
                Arguments.of("tree that does not exist (point)", "{" + ok + ", \"trees\": [{\"name\": \"a\", \"path\": "
                        + "\"@T@/nope\"}]}", "'trees[0].path' @T@/nope does not exist"),
                db(ok, "database without url", "\"user\": \"u\", \"schemas\": [\"s01\"]", "'database.url' is missing"),
                db(ok, "database url of another driver", "\"url\": \"jdbc:mysql://h/\", \"user\": \"u\", "
                        + "\"schemas\": [\"s01\"]", "'database.url' is 'jdbc:mysql://h/': it must start with jdbc:mariadb://"),
                db(ok, "password in the url", "\"url\": \"jdbc:mariadb://h/?user=u&password=hunter2\", \"user\": "
                        + "\"u\", \"schemas\": [\"s01\"]", "'database.url' holds a password: remove it"),
                db(ok, "tls options in the url", "\"url\": \"jdbc:mariadb://h/?sslMode=trust\", \"user\": \"u\", "
                        + "\"schemas\": [\"s01\"]", "'database.url' sets TLS options"),
                db(ok, "unknown tls", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", \"tls\": \"on\", "
                        + "\"schemas\": [\"s01\"]", "'database.tls' is 'on': use off, trust, verify-ca or verify-full"),
                db(ok, "unreadable password file", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", "
                        + "\"passwordFile\": \"@T@/nope.pass\", \"schemas\": [\"s01\"]", "'database.passwordFile' "
                        + "@T@/nope.pass cannot be read (no such file or directory): create it"),
                db(ok, "password file and variable", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", "
                        + "\"passwordFile\": \"@T@/p\", \"passwordEnv\": \"X\", \"schemas\": [\"s01\"]",
                        "'database.passwordFile' and database.passwordEnv are both given"),
                db(ok, "no schemas", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", \"schemas\": []",
                        "'database.schemas' is missing or empty"),
                db(ok, "system schema", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", \"schemas\": [\"mysql\"]",
                        "'database.schemas[0]' is the system schema 'mysql'"),
                db(ok, "reference to an unknown tree", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", "
                        + "\"schemas\": [\"s01\"], \"referenceQueries\": [{\"tree\": \"faces\", \"sql\": \"SELECT 1\"}]",
                        "'database.referenceQueries[0].tree' 'faces' is not a configured tree: name the tree the paths are "
                        + "in (a)"),
                db(ok, "unknown whenDown", "\"url\": \"jdbc:mariadb://h/\", \"user\": \"u\", \"schemas\": "
                        + "[\"s01\"], \"whenDown\": \"retry\"", "'database.whenDown' is 'retry': use fail or skip"),
                Arguments.of("hook without a command", "{" + ok + ", \"hooks\": {\"preRestore\": {\"timeout\": "
                        + "\"1m\"}}, \"trees\": [{\"name\": \"a\", \"path\": \"@T@/tree\"}]}",
                        "'hooks.preRestore.command' is missing or empty"));
    }

    private static Arguments db(String ok, String name, String fields, String expected) {
        return Arguments.of(name, "{" + ok + ", \"database\": {" + fields + "}, \"trees\": [{\"name\": \"a\", "
                + "\"path\": \"@T@/tree\"}]}", expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badConfigIsOneLineAndExitTwo(String name, String json, String expected, @TempDir Path t) throws Exception {
        Files.createDirectories(t.resolve("tree"));
        Files.createDirectories(t.resolve("tree2"));
        Path file = t.resolve("tidemark.json");
        Files.writeString(file, json.replace("@T@", t.toString()));
        Cli.Result r = Cli.run("point", "--config", file.toString());
        assertEquals(2, r.code(), r.toString());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line: " + err);
        assertTrue(err.startsWith("tidemark: " + file), err);
        assertTrue(err.contains(expected.replace("@T@", t.toString())), err);
        assertFalse(Files.exists(t.resolve("repo")), "nothing created");
        assertFalse(Files.exists(t.resolve("state")), "nothing created");
    }

    @org.junit.jupiter.api.Test
    void theCommentedExampleConfigIsValid() {
        Config c = ConfigLoader.load(Path.of("config/tidemark.json"));
        assertEquals(List.of("s01"), c.database().schemas());
        assertEquals("facedata", c.database().referenceQueries().get(0).tree());
        assertEquals(DatabaseConfig.Tls.OFF, c.database().tls());
        assertEquals(List.of("/etc/init.d/QuMagie.sh", "stop"), c.hooks().preRestore().command());
        assertEquals(7, c.retention().policy().daily());
        assertEquals(java.time.Duration.ofDays(7), c.retention().journalWithin());
        assertEquals(5.0, c.retention().maxUnused().percent());
        assertEquals(new java.net.InetSocketAddress("127.0.0.1", Config.Http.DEFAULT_PORT), c.http().listen());
        assertEquals(java.time.Duration.ofDays(7), c.drills().every());
        assertEquals(List.of("/usr/bin/logger", "-t", "tidemark-alert"), c.alerts().command());
        assertFalse(new DatabaseConfig.Secret("hunter2").toString().contains("hunter2"), "a secret hides itself");
    }

    @org.junit.jupiter.api.Test
    void httpDefaultsToLoopbackAndCanBeSwitchedOff(@TempDir Path t) throws Exception {
        Files.createDirectories(t.resolve("tree"));
        String base = "\"repository\": \"" + t.resolve("repo") + "\", \"state\": \"" + t.resolve("state")
                + "\", \"trees\": [{\"name\": \"a\", \"path\": \"" + t.resolve("tree") + "\"}]";
        Path file = t.resolve("c.json");
        Files.writeString(file, "{" + base + "}");
        Config c = ConfigLoader.load(file);
        assertTrue(c.http().listen().getAddress().isLoopbackAddress());
        assertEquals(Config.Http.DEFAULT_PORT, c.http().listen().getPort());
        Files.writeString(file, "{" + base + ", \"http\": {\"listen\": \"off\"}}");
        assertEquals(null, ConfigLoader.load(file).http());
        Files.writeString(file, "{" + base + ", \"http\": {\"listen\": \"[::1]:0\"}}");
        assertEquals(0, ConfigLoader.load(file).http().listen().getPort());
    }

    @ParameterizedTest(name = "missing config file")
    @MethodSource("none")
    void missingConfigFile(@TempDir Path t) {
        Cli.Result r = Cli.run("points", "--config", t.resolve("nope.json").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("config file " + t.resolve("nope.json") + " not found"), r.err());
    }

    static Stream<Arguments> none() {
        return Stream.of(Arguments.of());
    }

    /** --config, then TIDEMARK_CONFIG (which must name a file), then /etc/tidemark/tidemark.json, then ./config. */
    @org.junit.jupiter.api.Test
    void theConfigIsFoundByFlagThenVariableThenTheSystemFile() throws Exception {
        Path mine = shared.resolve("mine.json");
        java.nio.file.Files.writeString(mine, "{}");
        assertEquals(Path.of("/x.json"), ConfigLoader.locate(Path.of("/x.json"), k -> mine.toString()));
        assertEquals(mine, ConfigLoader.locate(null, java.util.Map.of("TIDEMARK_CONFIG", mine.toString())::get));
        dev.tidemark.TidemarkException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.tidemark.TidemarkException.class,
                () -> ConfigLoader.locate(null, java.util.Map.of("TIDEMARK_CONFIG", "/no/such.json")::get));
        assertEquals("TIDEMARK_CONFIG names /no/such.json, which is not a file: correct it, or unset it to use "
                + "/etc/tidemark/tidemark.json", e.getMessage());
        Path fallback = ConfigLoader.locate(null, k -> null);
        assertEquals(java.nio.file.Files.isRegularFile(ConfigLoader.SYSTEM_FILE) ? ConfigLoader.SYSTEM_FILE
                : Path.of("config/tidemark.json"), fallback);
    }

    /** The systemd unit in the repository runs the daemon and does not restart it on exit 2 (a bad config). */
    @org.junit.jupiter.api.Test
    void theSystemdUnitMatchesTheDaemonsExitCodes() throws Exception {
        String unit = java.nio.file.Files.readString(Path.of("config/tidemark.service"));
        assertTrue(unit.lines().anyMatch(l -> l.startsWith("ExecStart=") && l.contains("tidemark run")), unit);
        assertTrue(unit.contains("\nRestart=on-failure\n"), unit);
        assertTrue(unit.contains("\nRestartPreventExitStatus=" + dev.tidemark.ExitCode.USAGE.code() + "\n"), unit);
        assertTrue(unit.contains("#   " + dev.tidemark.ExitCode.LOCKED.code() + "  the repository or the index is locked"),
                unit);
    }
}

package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * bin/tidemark starts the JVM with bin/c2-crypto.json and its tty output off when the JDK's AES-GCM (a password
 * without OpenSSL's libcrypto), an S3 upload or S3 over TLS is about, so a directives file this JVM cannot parse would stop those commands with no word: it must
 * parse. And the choice itself: a restore from AWS over TLS in the quick compiler alone decrypts at ~30 MB/s.
 */
class LauncherTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    /** The JVM options bin/tidemark chooses for {@code args} with {@code config} as the config file. */
    private String options(String config, String... args) throws Exception {
        return options(java.util.Map.of(), config, args);
    }

    private String options(java.util.Map<String, String> env, String config, String... args) throws Exception {
        Path cfg = tmp.resolve("tidemark-" + System.nanoTime() + ".json");
        Files.writeString(cfg, config);
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", Path.of("bin", "tidemark").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", cfg.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeAll(List.of("TIDEMARK_JAVA_OPTS", "TIDEMARK_CONFIG", "TIDEMARK_PASSWORD",
                "TIDEMARK_PASSWORD_FILE", "TIDEMARK_CRYPTO"));
        pb.environment().putAll(env);
        pb.environment().put("TIDEMARK_PRINT_JVM_OPTIONS", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    private void assertDirectives(boolean on, String config, String... args) throws Exception {
        assertDirectives(on, java.util.Map.of(), config, args);
    }

    private void assertDirectives(boolean on, java.util.Map<String, String> env, String config, String... args)
            throws Exception {
        String o = options(env, config, args);
        String what = String.join(" ", args) + " with " + config + " and " + env + ": " + o;
        assertEquals(on, o.contains("-XX:CompilerDirectivesFile="), what);
        assertEquals(!on, o.contains("-XX:TieredStopAtLevel=1"), what);
    }

    @Test
    void theOptimisingCompilerIsOnForCryptoAndForS3OverTls() throws Exception {
        String lan = "{\"repository\": \"s3://b/p\", \"s3\": {\"endpoint\": \"http://192.168.1.5:9000\"}}";
        String tls = "{\"repository\": \"s3://b/p\", \"s3\": {\"endpoint\": \"https://s3.example.net\"}}";
        String aws = "{\"repository\": \"s3://b/p\"}";
        String local = "{\"repository\": \"/srv/tidemark\"}";
        String lanWithAwsReplica = "{\"repository\": \"s3://b/p\", \"s3\": {\"endpoint\": \"http://nas:9000\"}, "
                + "\"replicas\": [{\"name\": \"offsite\", \"repository\": \"s3://c/q\"}]}";
        assertDirectives(false, local, "restore", "latest");
        assertDirectives(false, local, "point");
        assertDirectives(false, lan, "restore", "latest");
        assertDirectives(true, lan, "point");  // SHA-256 of every uploaded byte on an http endpoint
        assertDirectives(true, tls, "restore", "latest");
        assertDirectives(true, aws, "verify", "--read-data");
        assertDirectives(true, lanWithAwsReplica, "restore", "latest");
        assertDirectives(true, local, "copy", "--to", "s3://c/q");
        // A password: OpenSSL's libcrypto (on this machine, and on CI's) does AES-GCM without C2; the JDK's needs it.
        String encrypted = "{\"repository\": \"/srv/tidemark\", \"repositoryPasswordFile\": \"/etc/tm.pw\"}";
        assertDirectives(false, encrypted, "restore", "latest");
        assertDirectives(false, java.util.Map.of("TIDEMARK_PASSWORD_FILE", "/etc/tm.pw"), local, "restore", "latest");
        assertDirectives(true, java.util.Map.of("TIDEMARK_CRYPTO", "jdk"), encrypted, "restore", "latest");
        assertDirectives(true, java.util.Map.of("TIDEMARK_CRYPTO", "jdk", "TIDEMARK_PASSWORD", "x"), local, "point");
    }

    @Test
    void theCompilerDirectivesFileParses() throws Exception {
        Path file = Path.of("bin", "c2-crypto.json").toAbsolutePath();
        assertTrue(Files.isRegularFile(file), file + " is missing");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-XX:+UnlockDiagnosticVMOptions",
                "-XX:CompilerDirectivesFile=" + file, "-version")).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("2 compiler directives added"), out);
        String launcher = Files.readString(Path.of("bin", "tidemark"));
        assertTrue(launcher.contains("-XX:CompilerDirectivesFile=$here/bin/c2-crypto.json"), "bin/tidemark names it");
    }
}

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
 * bin/tidemark starts the JVM with bin/c2-crypto.json and its tty output off when a password or an S3 upload is
 * about, so a directives file this JVM cannot parse would stop those commands with no word: it must parse.
 */
class LauncherTest {
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

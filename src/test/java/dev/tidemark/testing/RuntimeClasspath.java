package dev.tidemark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The classpath for starting tidemark in a process of its own: its classes and its runtime libraries (written by the
 * build to target/runtime-classpath.txt), not the test JVM's, which holds every test-only jar.
 */
public final class RuntimeClasspath {
    private RuntimeClasspath() {
    }

    public static String get() {
        Path file = Path.of("target", "runtime-classpath.txt");
        try {
            String libs = Files.readString(file).strip();
            return Path.of("target", "classes").toAbsolutePath() + (libs.isEmpty() ? "" : java.io.File.pathSeparator + libs);
        } catch (IOException e) {
            throw new UncheckedIOException("run the tests through Maven (it writes " + file + ")", e);
        }
    }
}

package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tidemark.testing.RuntimeClasspath;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The run that records the class-data archive ({@code bin/tidemark} sets the property on the first command after a
 * build) loads the S3 client's classes too, whatever the command, so that S3 commands find them in the archive
 * (an S3 restore of 60,000 files: ~0.3 s); any other run does not load them for a command that has no S3 in it.
 */
class ClassArchiveRecordingTest {
    private static final String S3_CLIENT = "software.amazon.awssdk.services.s3.DefaultS3Client";
    private static final String PIPELINE = "software.amazon.awssdk.core.internal.http.pipeline.stages.RetryableStage";

    @Test
    void theRecordingRunLoadsTheS3ClientAndItsRequestPipeline() throws Exception {
        String recording = run(true);
        assertTrue(recording.contains(S3_CLIENT + " "), "not loaded: " + S3_CLIENT);
        assertTrue(recording.contains(PIPELINE + " "), "not loaded: " + PIPELINE);
        String plain = run(false);
        assertFalse(plain.contains(S3_CLIENT + " "), "loaded without S3 in the command");
    }

    /** {@code tidemark version} in a JVM of its own, with class loading logged; its output. */
    private static String run(boolean recording) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xlog:class+load=info", "-cp", RuntimeClasspath.get()));
        if (recording) {
            cmd.add("-D" + Main.RECORDING_CLASS_ARCHIVE + "=true");
        }
        cmd.addAll(List.of(Main.class.getName(), "version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("tidemark "), out);
        return out;
    }
}

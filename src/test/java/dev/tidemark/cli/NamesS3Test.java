package dev.tidemark.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which commands warm the S3 client up early: those whose arguments or config file name an s3:// repository. */
class NamesS3Test {
    @TempDir
    Path tmp;

    @Test
    void anS3RepositoryInTheArgumentsOrTheConfigAndNothingElse() throws Exception {
        Path s3 = Files.writeString(tmp.resolve("s3.json"), "{\"repository\": \"s3://bucket/nas\"}");
        Path local = Files.writeString(tmp.resolve("local.json"), "{\"repository\": \"/srv/tidemark\"}");
        assertTrue(Main.namesS3(new String[] {"restore", "latest", "--config", s3.toString()}, null));
        assertTrue(Main.namesS3(new String[] {"points", "--config=" + s3}, null));
        assertTrue(Main.namesS3(new String[] {"points", "-c", s3.toString()}, null));
        assertTrue(Main.namesS3(new String[] {"points"}, s3.toString())); // TIDEMARK_CONFIG
        assertTrue(Main.namesS3(new String[] {"copy", "--to", "s3://other/x", "--config", local.toString()}, null));
        assertFalse(Main.namesS3(new String[] {"restore", "latest", "--config", local.toString()}, null));
        assertFalse(Main.namesS3(new String[] {"points"}, local.toString()));
        assertFalse(Main.namesS3(new String[] {"points", "--config", tmp.resolve("missing.json").toString()}, null));
        assertFalse(Main.namesS3(new String[] {"restore", "--help", "--config", s3.toString()}, null));
        Path commented = Files.writeString(tmp.resolve("commented.json"),
                "{\n  // \"repository\": \"s3://nas-backups/tidemark\",\n  \"repository\": \"/srv/tidemark\"\n}\n");
        assertFalse(Main.namesS3(new String[] {"points", "--config", commented.toString()}, null));
        assertFalse(Main.namesS3(new String[] {"--config"}, null)); // config/tidemark.json here: s3:// in a comment
    }
}

package dev.tidemark.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * s3rver 3.7.1, the npm registry's S3 server (not written here), in a child process on a loopback port, over a
 * temp directory. Started once per test JVM and per setting of Node's legacy OpenSSL provider: s3rver makes its
 * listings' continuation tokens with DES, which Node 17 and later have only with {@code --openssl-legacy-provider};
 * without it, any listing longer than a page fails with 500 (the probe finds that; see the README's table).
 * It does not keep {@code If-None-Match: *}, so repositories on it are configured {@code conditionalWrites: false}.
 *
 * <p>Where the package is: {@code TIDEMARK_S3RVER} if set, else {@code s3rver} under {@code npm root -g}
 * ({@code .ci/run} installs it: {@code npm install -g s3rver@3.7.1}).
 */
public final class S3rverServer implements TestS3, AutoCloseable {
    private static S3rverServer legacy;
    private static S3rverServer plain;

    private final Process process;
    private final Path dir;
    private final URI endpoint;
    private final boolean legacyProvider;

    private S3rverServer(Process process, Path dir, URI endpoint, boolean legacyProvider) {
        this.process = process;
        this.dir = dir;
        this.endpoint = endpoint;
        this.legacyProvider = legacyProvider;
    }

    /** s3rver as the README says to run it (with Node's legacy OpenSSL provider). */
    public static synchronized S3rverServer shared() throws IOException {
        if (legacy == null) {
            legacy = start(true);
        }
        return legacy;
    }

    /** s3rver as it starts by default on Node 20, whose listings break past one page. */
    public static synchronized S3rverServer withoutLegacyProvider() throws IOException {
        if (plain == null) {
            plain = start(false);
        }
        return plain;
    }

    static Path moduleDir() throws IOException {
        String set = System.getenv("TIDEMARK_S3RVER");
        Path dir;
        if (set != null && !set.isEmpty()) {
            dir = Path.of(set);
        } else {
            Process p = new ProcessBuilder("npm", "root", "-g").redirectErrorStream(true).start();
            String root = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            dir = Path.of(root, "s3rver");
        }
        if (!Files.isRegularFile(dir.resolve("package.json"))) {
            throw new IOException("s3rver is not installed at " + dir + ": npm install -g s3rver@3.7.1 (.ci/run does), "
                    + "or set TIDEMARK_S3RVER to its folder");
        }
        return dir;
    }

    private static S3rverServer start(boolean legacyProvider) throws IOException {
        Path module = moduleDir();
        Path dir = Files.createTempDirectory("tidemark-s3rver-");
        Path launcher = dir.resolve("launch.js");
        try (var in = S3rverServer.class.getResourceAsStream("/s3/s3rver-launch.js")) {
            Files.write(launcher, in.readAllBytes());
        }
        Path data = Files.createDirectories(dir.resolve("data"));
        ProcessBuilder pb = new ProcessBuilder("node", launcher.toString(), module.toString(), data.toString(),
                S3Server.ACCESS_KEY, S3Server.SECRET_KEY);
        pb.environment().remove("NODE_OPTIONS");
        if (legacyProvider) {
            pb.environment().put("NODE_OPTIONS", "--openssl-legacy-provider");
        }
        pb.redirectError(dir.resolve("stderr.log").toFile());
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("listening ")) {
            p.destroyForcibly();
            throw new IOException("s3rver did not start: " + Files.readString(dir.resolve("stderr.log")));
        }
        URI endpoint = URI.create("http://127.0.0.1:" + line.substring("listening ".length()).strip());
        S3rverServer s = new S3rverServer(p, dir, endpoint, legacyProvider);
        S3Server.useTestKeys();
        Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        return s;
    }

    @Override
    public String name() {
        return "s3rver 3.7.1" + (legacyProvider ? "" : " (without Node's legacy OpenSSL provider)");
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public boolean conditionalWrites() {
        return false;
    }

    @Override
    public String s3Config() {
        return TestS3.super.s3Config() + ", \"conditionalWrites\": false";
    }

    @Override
    public String newBucket() {
        return TestS3.createBucket(endpoint);
    }

    /** The files s3rver keeps for an object (its bytes are in {@code <key>._S3rver_object}). */
    public Path objectFile(String bucket, String objectKey) {
        return dir.resolve("data").resolve(bucket).resolve(objectKey + "._S3rver_object");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            Trees.deleteRecursively(dir);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // a temp directory: left to the system
        }
    }

    @Override
    public String toString() {
        return name();
    }
}

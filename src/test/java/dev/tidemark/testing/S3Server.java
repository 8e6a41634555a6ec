package dev.tidemark.testing;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * A real S3 server for tests: S3Proxy in this JVM on a loopback port, over its file-system store in a temp
 * directory (which keeps If-None-Match as it writes), checking AWS v4 signatures against one key pair. Started once
 * per test JVM; each test takes its own bucket with {@link #newBucket}. The key pair is also set as the Java system
 * properties {@code aws.accessKeyId} / {@code aws.secretAccessKey}, which tidemark reads the AWS way, so in-process
 * CLI runs find it; child processes get it as environment variables ({@link #env}).
 */
public final class S3Server implements TestS3 {
    public static final String ACCESS_KEY = "tidemark-test";
    public static final String SECRET_KEY = "tidemark-test-secret-0123456789";
    private static S3Server shared;
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final S3Proxy proxy;
    private final BlobStore blobs;
    public final Path dir;
    public final URI endpoint;

    private S3Server(S3Proxy proxy, BlobStore blobs, Path dir, URI endpoint) {
        this.proxy = proxy;
        this.blobs = blobs;
        this.dir = dir;
        this.endpoint = endpoint;
    }

    public static synchronized S3Server shared() throws Exception {
        if (shared == null) {
            Path dir = Files.createTempDirectory("tidemark-s3-");
            java.util.Properties p = new java.util.Properties();
            p.setProperty("jclouds.filesystem.basedir", dir.toString());
            BlobStore blobs = BlobStores.create("filesystem", p);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(blobs)
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                    .stopTimeout(0)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                }
                Thread.sleep(10);
            }
            useTestKeys();
            shared = new S3Server(proxy, blobs, dir, URI.create("http://127.0.0.1:" + proxy.getPort()));
            S3Server s = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    s.proxy.stop();
                } catch (Exception e) {
                    // the JVM is going
                }
                try {
                    Trees.deleteRecursively(s.dir);
                } catch (java.io.IOException e) {
                    // a temp directory: left to the system
                }
            }));
        }
        return shared;
    }

    @Override
    public String name() {
        return "S3Proxy 4.1.0 (file system)";
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public boolean conditionalWrites() {
        return true;
    }

    @Override
    public String toString() {
        return name();
    }

    /** A new empty bucket of its own for a test. */
    @Override
    public String newBucket() {
        String name = "tm-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        blobs.createContainer(name);
        return name;
    }

    /** The files the server keeps for {@code bucket} (to look at what a repository really stored). */
    public Path bucketDir(String bucket) {
        return dir.resolve(bucket);
    }

    /** The tests' key pair as the Java system properties tidemark reads the AWS way (in-process commands). */
    static void useTestKeys() {
        System.setProperty("aws.accessKeyId", ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", SECRET_KEY);
    }

    public static AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY));
    }

    /** The environment a child tidemark process needs for this server's key pair. */
    public static java.util.Map<String, String> env() {
        return java.util.Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }
}

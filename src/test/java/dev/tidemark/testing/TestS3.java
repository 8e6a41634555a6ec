package dev.tidemark.testing;

import dev.tidemark.repo.store.S3Location;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * An S3 server the tests talk to, as a user's tidemark would: S3Proxy in this JVM ({@link S3Server}), s3rver from
 * the npm registry ({@link S3rverServer}), Ceph's radosgw from Debian's packages ({@link RadosGw}). Every one takes
 * the tests' key pair ({@link S3Server#ACCESS_KEY}), so in-process commands find it the AWS way.
 */
public interface TestS3 {
    /** The server's name and version, for test names and messages. */
    String name();

    URI endpoint();

    /** A new empty bucket of its own for a test. */
    String newBucket() throws Exception;

    /**
     * The fields of the config's {@code "s3"} section this server needs (without braces): the endpoint, and the
     * settings the README's table gives for it.
     */
    default String s3Config() {
        return "\"endpoint\": \"" + endpoint() + "\", \"region\": \"us-east-1\", \"pathStyle\": true";
    }

    /** The location of a repository in {@code bucket} under {@code prefix}, with this server's settings. */
    default S3Location location(String bucket, String prefix) {
        return S3Location.parse("s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix), endpoint(), "us-east-1",
                true, conditionalWrites());
    }

    /** Whether the server keeps {@code If-None-Match: *}, as the probe finds and the README's table says. */
    boolean conditionalWrites();

    /** Makes a new bucket, named for this JVM, on the server at {@code endpoint} (s3rver, radosgw). */
    static String createBucket(URI endpoint) {
        String name = "tm-" + ProcessHandle.current().pid() + "-x" + Buckets.SEQ.incrementAndGet();
        try (S3Client c = client(endpoint, false)) {
            c.createBucket(r -> r.bucket(name));
        }
        return name;
    }

    /** The bucket counter of {@link #createBucket}. */
    final class Buckets {
        static final java.util.concurrent.atomic.AtomicInteger SEQ = new java.util.concurrent.atomic.AtomicInteger();

        private Buckets() {
        }
    }

    /** A plain SDK client for this server, for what a test does behind tidemark's back (buckets, raw objects). */
    static S3Client client(URI endpoint, boolean chunkedUploads) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3Server.ACCESS_KEY,
                        S3Server.SECRET_KEY)))
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(chunkedUploads).build())
                .build();
    }
}

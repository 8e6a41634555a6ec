package dev.tidemark.repo.store;

import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/** How tidemark talks to S3: one place for credentials, timeouts and retries. */
public final class S3Clients {
    /** Attempts per request: with the back-off below, a server that is down for about a minute is waited out. */
    static final int MAX_ATTEMPTS = 10;

    private S3Clients() {
    }

    /**
     * Credentials the AWS way, and only from where a person puts them: {@code AWS_ACCESS_KEY_ID} and
     * {@code AWS_SECRET_ACCESS_KEY} (and {@code AWS_SESSION_TOKEN}), the Java system properties {@code aws.accessKeyId}
     * and {@code aws.secretAccessKey}, then the profile {@code AWS_PROFILE} (default: "default") in the credentials
     * file ({@code AWS_SHARED_CREDENTIALS_FILE}, default {@code ~/.aws/credentials}). Not the instance metadata
     * service: on a NAS it does not exist, and asking it costs seconds at every start.
     */
    static AwsCredentialsProvider awsWay() {
        return AwsCredentialsProviderChain.builder()
                .credentialsProviders(EnvironmentVariableCredentialsProvider.create(),
                        SystemPropertyCredentialsProvider.create(), ProfileCredentialsProvider.create())
                .reuseLastProviderEnabled(true)
                .build();
    }

    private static volatile Thread warming;

    /**
     * Starts loading and initialising the S3 client's classes on a thread of its own (~0.5 s of a fresh JVM: the
     * client, its HTTP client, then the request pipeline at the first request), while the main thread parses the
     * command line and the config. A throwaway client makes one request, with one attempt, to a loopback port that
     * was just closed, so it fails at connect and nothing leaves the machine. {@link #create} waits for it first:
     * the SDK's classes are never initialised from two threads at once.
     */
    public static synchronized void warmUp() {
        if (warming != null) {
            return; // one at a time: create waits for the one running
        }
        Thread t = new Thread(() -> {
            int port;
            java.net.InetAddress loopback = java.net.InetAddress.getLoopbackAddress();
            try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, loopback)) {
                port = ss.getLocalPort();
            } catch (java.io.IOException | RuntimeException e) {
                return;
            }
            S3Location nowhere = new S3Location("tidemark-warm-up", "", java.net.URI.create("http://127.0.0.1:" + port),
                    "us-east-1", true, true);
            try (S3Client c = build(nowhere, software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("warm-up", "warm-up")), 1)) {
                c.headObject(r -> r.bucket(nowhere.bucket()).key("warm-up"));
            } catch (RuntimeException | LinkageError expected) {
                // refused, as meant; or anything else: only ever slower, the real client is made as always
            }
        }, "tidemark-s3-warm-up");
        t.setDaemon(true);
        warming = t;
        t.start();
    }

    /**
     * As {@link #warmUp}, and waits for it (at most 10 s). The launcher's run that records the class-data archive
     * calls it last, so the archive holds the S3 client's classes whichever command ran first: an S3 restore of the
     * 60,000-file tree took 4.06-4.12 s with an archive a small local point had recorded, 3.73-4.14 s (median 3.88)
     * with these added, 3.71-3.82 s with one an S3 point had recorded (four alternating runs each).
     */
    public static void warmUpAndWait() {
        warmUp();
        Thread t = warming;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static S3Client create(S3Location where, AwsCredentialsProvider credentials, int maxAttempts) {
        Thread t = warming;
        if (t != null) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (S3Clients.class) {
                if (warming == t) {
                    warming = null;
                }
            }
        }
        return build(where, credentials, maxAttempts);
    }

    private static S3Client build(S3Location where, AwsCredentialsProvider credentials, int maxAttempts) {
        var b = S3Client.builder()
                .region(Region.of(where.region()))
                .forcePathStyle(where.pathStyle())
                .credentialsProvider(credentials != null ? credentials : awsWay())
                .httpClient(Apache5HttpClient.builder()
                        .maxConnections(32)
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60))
                        .build())
                // Backed-off retries with jitter on throttling, 5xx, timeouts and dropped connections: up to 10
                // attempts, waits growing from 0.2 s to 20 s. No circuit breaker: a backup waits out an outage.
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(maxAttempts)
                        .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(200), Duration.ofSeconds(20)))
                        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofSeconds(1),
                                Duration.ofSeconds(20)))
                        .circuitBreakerEnabled(false)
                        .build()))
                // Checksums only where the API requires them: every object tidemark writes carries its own, and
                // many S3-compatible servers refuse the newer trailing-checksum uploads.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                // No aws-chunked uploads: over http:// the SDK otherwise frames every PUT and part in signed chunks
                // (STREAMING-AWS4-HMAC-SHA256-PAYLOAD, content-encoding aws-chunked), and a server that does not
                // decode them (s3rver) stores the framing as the object's bytes. A whole-body signature instead.
                .serviceConfiguration(S3Configuration.builder().chunkedEncodingEnabled(false).build())
                // Content-MD5 on the requests that S3 once required it for (multi-object delete): since SDK 2.30
                // they carry a CRC32 instead, which Ceph RGW and older MinIO refuse.
                .addPlugin(LegacyMd5Plugin.create());
        if (where.endpoint() != null) {
            b.endpointOverride(where.endpoint());
        }
        return b.build();
    }
}

package dev.tidemark.repo.store;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * Where an S3 repository is: {@code s3://bucket/prefix} from the config's {@code repository}, with the server's
 * endpoint (null: AWS itself), its region and whether buckets are addressed in the path ({@code http://host/bucket},
 * what self-hosted servers expect) rather than the host name.
 *
 * @param bucket    the bucket, which must exist
 * @param prefix    the folder in it, without leading or trailing '/'; empty for the bucket's root
 * @param endpoint  the server, or null for AWS
 * @param region    the region (servers that ignore it take any)
 * @param pathStyle address the bucket in the path
 * @param conditionalWrites the server keeps {@code If-None-Match: *} on a PUT (the config's
 *                  {@code s3.conditionalWrites}, default true). False: it does not, and tidemark creates objects
 *                  only-if-absent by a look-up, a write and a read-back, which is safe for one writer only, so every
 *                  writer lock is taken exclusively ({@link Store#createsOnlyIfAbsent})
 */
public record S3Location(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
                         boolean conditionalWrites) implements StoreLocation {
    public static final String SCHEME = "s3://";
    // The bucket rules S3 gives: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit.
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public static boolean isS3(String repository) {
        return repository != null && repository.startsWith(SCHEME);
    }

    /**
     * Parses {@code s3://bucket[/prefix]}; throws {@link IllegalArgumentException} with what is wrong and what to
     * write instead.
     */
    public static S3Location parse(String repository, URI endpoint, String region, boolean pathStyle) {
        return parse(repository, endpoint, region, pathStyle, true);
    }

    /** As {@link #parse(String, URI, String, boolean)}, saying whether the server keeps conditional writes. */
    public static S3Location parse(String repository, URI endpoint, String region, boolean pathStyle,
                                   boolean conditionalWrites) {
        String rest = repository.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        while (prefix.endsWith("/")) {
            prefix = prefix.substring(0, prefix.length() - 1);
        }
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("names the bucket '" + bucket + "', which S3 does not allow: write "
                    + "s3://BUCKET/PREFIX with a bucket of 3-63 of a-z 0-9 . -");
        }
        if (!prefix.isEmpty()) {
            try {
                Store.checkKey(prefix);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("names the prefix '" + prefix + "', which is not allowed: use "
                        + "folders of A-Z a-z 0-9 . _ - separated by '/'");
            }
        }
        return new S3Location(bucket, prefix, endpoint, region == null || region.isBlank() ? "us-east-1" : region,
                pathStyle, conditionalWrites);
    }

    /** Credentials the AWS way ({@link S3Clients#awsWay}). */
    @Override
    public Store open(java.nio.file.Path spool) {
        return new S3Store(this, null, spool);
    }

    /** The same bucket and prefix through another endpoint (a proxy, a replica's server). */
    public S3Location withEndpoint(URI other) {
        return new S3Location(bucket, prefix, other, region, pathStyle, conditionalWrites);
    }

    /** The server, for messages: the endpoint, or AWS's region. */
    String server() {
        return endpoint != null ? endpoint.toString() : "S3 (" + region + ")";
    }

    /** The object name of a repository key. */
    String objectKey(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    /** The repository key of an object name under the prefix. */
    String repositoryKey(String objectKey) {
        return prefix.isEmpty() ? objectKey : objectKey.substring(prefix.length() + 1);
    }

    /** The object-name prefix that lists repository keys starting with {@code keyPrefix}. */
    String listPrefix(String keyPrefix) {
        return prefix.isEmpty() ? keyPrefix : prefix + "/" + keyPrefix;
    }

    /** {@code s3://bucket/prefix}, without the server. */
    public String url() {
        return SCHEME + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    @Override
    public String toString() {
        return url() + (endpoint == null ? "" : " at " + endpoint);
    }
}

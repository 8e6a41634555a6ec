package dev.tidemark.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.tidemark.repo.store.S3Location;
import dev.tidemark.repo.store.StoreLocation;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Validates where repositories are: {@code repository} with its {@code s3} section, and {@code replicas}. Every error
 * is one line naming the field and the fix (exit code 2).
 */
final class StoreSection {
    record RawReplica(@JsonProperty("name") String name, @JsonProperty("repository") String repository,
                      @JsonProperty("s3") RawS3 s3) {
    }

    record RawS3(@JsonProperty("endpoint") String endpoint, @JsonProperty("region") String region,
                 @JsonProperty("pathStyle") Boolean pathStyle,
                 @JsonProperty("conditionalWrites") Boolean conditionalWrites) {
    }

    private StoreSection() {
    }

    /**
     * {@code repository}: an absolute directory, or {@code s3://bucket/prefix} with the {@code s3} section;
     * {@code at} is the field's parent ("" at the top, "replicas[0]." in a replica).
     */
    static StoreLocation repository(Path file, String at, String value, RawS3 s3) {
        if (!S3Location.isS3(value)) {
            if (value != null && value.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                throw bad(file, at + "repository", "is '" + value + "': give an absolute path or s3://BUCKET/PREFIX");
            }
            if (s3 != null) {
                throw bad(file, at + "s3", "is given but 'repository' is not an s3:// location: remove it, or write "
                        + "repository as s3://BUCKET/PREFIX");
            }
            return new StoreLocation.Local(ConfigLoader.absolute(file, at + "repository", value));
        }
        URI endpoint = null;
        String region = null;
        Boolean pathStyle = null;
        boolean conditionalWrites = true;
        if (s3 != null) {
            if (s3.endpoint() != null) {
                try {
                    endpoint = new URI(s3.endpoint());
                } catch (URISyntaxException e) {
                    endpoint = null;
                }
                if (endpoint == null || endpoint.getHost() == null
                        || !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))
                        || endpoint.getUserInfo() != null) {
                    throw bad(file, at + "s3.endpoint", "is '" + s3.endpoint() + "': give the server as "
                            + "https://HOST[:PORT] (credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or "
                            + "~/.aws/credentials, never here)");
                }
            }
            region = s3.region();
            pathStyle = s3.pathStyle();
            conditionalWrites = s3.conditionalWrites() == null || s3.conditionalWrites();
        }
        try {
            // A server of one's own (an endpoint) addresses buckets in the path; AWS by host name.
            return S3Location.parse(value, endpoint, region, pathStyle != null ? pathStyle : endpoint != null,
                    conditionalWrites);
        } catch (IllegalArgumentException e) {
            throw bad(file, at + "repository", e.getMessage());
        }
    }

    /** The {@code replicas} list; none may be {@code primary}. */
    static List<Config.Replica> replicas(Path file, List<RawReplica> raw, StoreLocation primary) {
        List<Config.Replica> replicas = new ArrayList<>();
        if (raw == null) {
            return List.of();
        }
        Set<String> replicaNames = new HashSet<>();
        for (int i = 0; i < raw.size(); i++) {
            RawReplica r = raw.get(i);
            String f = "replicas[" + i + "]";
            if (r == null || r.name() == null || !ConfigLoader.TREE_NAME.matcher(r.name()).matches()) {
                throw bad(file, f + ".name", (r == null || r.name() == null ? "is missing"
                        : "'" + r.name() + "' is not allowed") + ": use 1-64 of A-Z a-z 0-9 . _ -");
            }
            if (!replicaNames.add(r.name())) {
                throw bad(file, f + ".name", "'" + r.name() + "' is used by two replicas: names must be "
                        + "unique");
            }
            StoreLocation loc = repository(file, f + ".", r.repository(), r.s3());
            if (loc.toString().equals(primary.toString())) {
                throw bad(file, f + ".repository", "is the primary repository itself: give another "
                        + "location");
            }
            replicas.add(new Config.Replica(r.name(), loc));
        }
        return List.copyOf(replicas);
    }

    private static dev.tidemark.TidemarkException bad(Path file, String field, String what) {
        return ConfigLoader.bad(file, field, what);
    }
}

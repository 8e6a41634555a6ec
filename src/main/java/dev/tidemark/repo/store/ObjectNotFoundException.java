package dev.tidemark.repo.store;

import java.io.IOException;

/** The object does not exist. Distinct from every other {@link IOException}, which means a real failure. */
public class ObjectNotFoundException extends IOException {
    private final String key;

    public ObjectNotFoundException(String key, String location) {
        super("no object " + key + " in " + location);
        this.key = key;
    }

    public String key() {
        return key;
    }
}

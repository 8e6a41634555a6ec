package dev.tidemark.repo.crypto;

import dev.tidemark.TidemarkException;
import dev.tidemark.repo.store.ObjectNotFoundException;
import dev.tidemark.repo.store.Store;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The wrapped copies of an encrypted repository's master key, one per password, under {@code keys/}. */
public final class Keys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Keys() {
    }

    /** A key as {@code tidemark key list} shows it. */
    public record Entry(String id, Instant created) {
    }

    /** The master key and the id of the key that opened it. */
    public record Unlocked(String keyId, byte[] masterKey) {
    }

    /** A new random master key. */
    public static byte[] newMasterKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    /**
     * Tries {@code password} on every key; null if none opens with it. A damaged key is passed over (another may
     * open); if none opens and some were damaged, that is the error, naming them.
     */
    public static Unlocked unlock(Store raw, char[] password) throws IOException {
        bindLibcryptoInBackground(); // while the keys are listed and read (from S3: round trips)
        List<String> damaged = new ArrayList<>();
        for (String k : raw.list(EncryptedStore.KEYS_PREFIX)) {
            byte[] master;
            try {
                master = KeyFile.parse(raw.get(k), k).open(password, k);
            } catch (ObjectNotFoundException e) {
                continue; // removed meanwhile
            } catch (dev.tidemark.repo.DamageException e) {
                damaged.add(e.getMessage());
                continue;
            }
            if (master != null) {
                return new Unlocked(idOf(k), master);
            }
        }
        if (!damaged.isEmpty()) {
            throw new dev.tidemark.repo.DamageException("no key of " + raw.location() + " opens with this password, "
                    + "and " + String.join("; ", damaged));
        }
        return null;
    }

    /**
     * Binds libcrypto ({@link Libcrypto}'s class initialisation: JNA's start runs ldconfig, ~50 ms) on a thread of
     * its own, so that it is done by the time a key is opened; whoever asks for it first waits for it, as for any
     * class being initialised. Here, not in Libcrypto: calling a method of that class would initialise it right here.
     */
    private static void bindLibcryptoInBackground() {
        Thread t = new Thread(() -> {
            boolean ignored = Libcrypto.AVAILABLE;
        }, "tidemark-libcrypto-load");
        t.setDaemon(true);
        t.start();
    }

    /** Adds a key that opens {@code masterKey} with {@code password}; returns its id. */
    public static String add(Store raw, byte[] masterKey, char[] password, Instant now) throws IOException {
        String id = HexFormat.of().formatHex(randomId());
        if (!raw.putIfAbsent(EncryptedStore.KEYS_PREFIX + id, KeyFile.seal(masterKey, password, now).toJson())) {
            throw new IOException("key " + id + " exists already");
        }
        return id;
    }

    public static List<Entry> list(Store raw) throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String k : raw.list(EncryptedStore.KEYS_PREFIX)) {
            try {
                out.add(new Entry(idOf(k), KeyFile.parse(raw.get(k), k).created()));
            } catch (ObjectNotFoundException e) {
                // removed meanwhile
            }
        }
        return out;
    }

    /**
     * Removes key {@code id} (a unique prefix will do). The key in use ({@code current}) and the last key are refused:
     * without a key the repository could never be opened again.
     */
    public static String remove(Store raw, String id, String current) throws IOException {
        List<Entry> keys = list(raw);
        List<Entry> match = keys.stream().filter(e -> e.id().startsWith(id)).toList();
        if (match.isEmpty()) {
            throw TidemarkException.usage("no key " + id + " in " + raw.location() + ": 'tidemark key list' shows them");
        }
        if (match.size() > 1) {
            throw TidemarkException.usage("key " + id + " is ambiguous (" + match.size() + " keys start with it): "
                    + "give more of it");
        }
        String full = match.get(0).id();
        if (full.equals(current)) {
            throw TidemarkException.usage("key " + full + " is the one this password opens: remove it with "
                    + "another key's password");
        }
        if (keys.size() == 1) {
            throw TidemarkException.usage("key " + full + " is the repository's last key: add another first");
        }
        raw.delete(EncryptedStore.KEYS_PREFIX + full);
        return full;
    }

    private static byte[] randomId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return b;
    }

    private static String idOf(String key) {
        return key.substring(EncryptedStore.KEYS_PREFIX.length());
    }
}

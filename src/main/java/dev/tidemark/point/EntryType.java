package dev.tidemark.point;

/** What a manifest entry is. Sockets, FIFOs and devices are not recorded. */
public enum EntryType {
    FILE("f"), DIR("d"), SYMLINK("l");

    private final String code;

    EntryType(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static EntryType ofCode(String c) {
        switch (c) {
            case "f": return FILE;
            case "d": return DIR;
            case "l": return SYMLINK;
            default: throw new IllegalArgumentException("unknown entry type '" + c + "'");
        }
    }
}

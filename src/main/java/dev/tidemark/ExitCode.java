package dev.tidemark;

/**
 * Process exit codes. Scripts rely on these; they are documented in the README and in {@code --help}.
 */
public enum ExitCode {
    /** Everything asked for was done. */
    OK(0),
    /** The command failed: I/O error, missing point, a file that could not be restored. */
    FAILED(1),
    /** Bad usage or bad configuration: nothing was changed. */
    USAGE(2),
    /** {@code verify} found damage in the repository. */
    DAMAGED(3),
    /** Another process holds the repository's writer lock or the index; try again later. */
    LOCKED(4),
    /** A point was committed, but some files could not be read and are not in it. */
    INCOMPLETE(5);

    private final int code;

    ExitCode(int code) {
        this.code = code;
    }

    /** The exit code with this number; FAILED for one this version does not know. */
    public static ExitCode of(int code) {
        for (ExitCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return FAILED;
    }

    public int code() {
        return code;
    }
}

package dev.tidemark;

/**
 * The one user-facing error type. Its message is a single line that names the file, field or path involved and
 * what to do; the CLI prints it and exits with {@link #exitCode()}. The cause, if any, goes to the log.
 */
public class TidemarkException extends RuntimeException {
    private final ExitCode exitCode;

    public TidemarkException(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public TidemarkException(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public ExitCode exitCode() {
        return exitCode;
    }

    public static TidemarkException usage(String message) {
        return new TidemarkException(ExitCode.USAGE, message);
    }

    public static TidemarkException failed(String message, Throwable cause) {
        return new TidemarkException(ExitCode.FAILED, message, cause);
    }

    public static TidemarkException failed(String message) {
        return new TidemarkException(ExitCode.FAILED, message);
    }
}

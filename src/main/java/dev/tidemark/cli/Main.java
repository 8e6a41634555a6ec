package dev.tidemark.cli;

import dev.tidemark.ExitCode;
import dev.tidemark.TidemarkException;
import dev.tidemark.repo.DamageException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code tidemark} command: one class per subcommand in this package. */
@Command(name = "tidemark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "File-watching incremental replicator: follows directory trees into a deduplicating",
            "repository ('run'), takes restore points, and restores any point, or any second between",
            "points ('restore --at'), exactly.",
            "",
            "Words: a tree is a watched directory; the repository holds content, manifests and points;",
            "a restore point seals every tree at one moment; the index is a local cache of the repository."},
        subcommands = {InitCommand.class, PointCommand.class, RunCommand.class, StatusCommand.class,
            PointsCommand.class, ShowCommand.class, DiffCommand.class, RestoreCommand.class, DbCommand.class,
            VerifyCommand.class, ForgetCommand.class, PruneCommand.class, IndexCommand.class, KeyCommand.class,
            CopyCommand.class, LsCommand.class, CatCommand.class, DrillCommand.class, CompletionCommand.class,
            DemoCommand.class, Main.VersionCommand.class, HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {
            "  0  success",
            "  1  failed (I/O error, unknown point, files that could not be restored; status: daemon down or alarm)",
            "  2  bad usage or bad config: nothing was changed",
            "  3  verify found damage in the repository",
            "  4  the repository or the index is locked by another tidemark process",
            "  5  a point was committed, but some files could not be read (left out, or kept at an older version)",
            "",
            "Start with: tidemark init, then tidemark point or tidemark run. Every command takes --config FILE.",
            "Keep it small: a 'retention' section in the config, then tidemark forget --prune (the daemon does",
            "both by itself every retention.every)."})
public final class Main implements Runnable {
    private static final Logger TRACE = LoggerFactory.getLogger("tidemark.trace");

    /** The commands that open the index: RocksDB's library loads beside their start ({@code NativeLibrary.preload}). */
    private static final java.util.Set<String> INDEX_COMMANDS = java.util.Set.of("point", "restore", "run", "forget",
            "prune", "index");

    /**
     * Set by {@code bin/tidemark} on the run that records the class-data archive (the first after a build): the
     * S3 client's classes are loaded at the end of it too, whatever the command, so that they are in the archive.
     */
    static final String RECORDING_CLASS_ARCHIVE = "tidemark.recordingClassArchive";

    /** The subcommands, in the order the usage lists them (the annotation above, which tools read too). */
    static final List<Class<?>> COMMANDS = List.of(Main.class.getAnnotation(Command.class).subcommands());

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: tidemark --help lists them");
    }

    /** Builds the command line with tidemark's error handling: one line on stderr, an exit code, traces to the log. */
    public static CommandLine commandLine() {
        return withHandlers(new CommandLine(new Main()));
    }

    /**
     * The command line for {@code args}: where the first argument names a command (not help or completion, which
     * list the others), only that command is built, under {@link Lean}. picocli reads every option of every command
     * it is given, by reflection: all 22 took ~150 ms of a 0.6 s 'tidemark --version', on the critical path of
     * every command. Anything else (no command, an option first, a misspelt command, which picocli answers by
     * naming the others) gets them all.
     */
    public static CommandLine commandLine(String[] args) {
        if (args.length > 0 && !args[0].equals("help") && !args[0].equals("completion")) {
            for (Class<?> c : COMMANDS) {
                Command a = c.getAnnotation(Command.class);
                if (a != null && a.name().equals(args[0])) {
                    CommandLine cl = new CommandLine(new Lean());
                    cl.addSubcommand(c);
                    return withHandlers(cl);
                }
            }
        }
        return commandLine();
    }

    /**
     * The top level when one command is built: tidemark's name and standard options, none of its commands (a
     * command's usage and errors name its parent, 'tidemark'). CliTest checks each command reads the same under it.
     */
    @Command(name = "tidemark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            sortOptions = false, usageHelpAutoWidth = true)
    static final class Lean implements Runnable {
        @Override
        public void run() {
            throw new IllegalStateException("built only with the command named"); // never: a command was named
        }
    }

    private static CommandLine withHandlers(CommandLine cl) {
        helpEverywhere(cl);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            ExitCode code;
            String msg;
            // An I/O failure wrapped to cross a stream or an iterator is the I/O failure.
            while ((ex instanceof java.io.UncheckedIOException || ex instanceof java.nio.file.DirectoryIteratorException)
                    && ex.getCause() instanceof java.io.IOException) {
                ex = (Exception) ex.getCause();
            }
            if (ex instanceof TidemarkException te) {
                code = te.exitCode();
                msg = te.getMessage();
            } else if (ex instanceof dev.tidemark.repo.store.S3CompatibilityException) {
                code = ExitCode.USAGE; // the server or its settings must change; the repository is not damaged
                msg = ex.getMessage();
            } else if (ex instanceof DamageException) {
                code = ExitCode.DAMAGED;
                msg = "repository damage: " + ex.getMessage() + "; run 'tidemark verify --read-data'";
            } else if (ex instanceof NoSuchFileException nf) {
                code = ExitCode.FAILED;
                msg = "no such file: " + nf.getFile();
            } else if (ex instanceof AccessDeniedException ad) {
                code = ExitCode.FAILED;
                msg = "permission denied: " + ad.getFile();
            } else if (ex instanceof java.io.IOException && ex.getMessage() != null) {
                code = ExitCode.FAILED;
                msg = ex.getMessage(); // the store's messages say what failed and what to do
            } else if (ex instanceof java.io.IOException) {
                code = ExitCode.FAILED;
                msg = "an I/O operation failed without saying why; the log (" + "logs/tidemark.log in the state "
                        + "directory) has the details";
            } else {
                code = ExitCode.FAILED;
                msg = "internal error" + (ex.getMessage() == null ? "" : ": " + ex.getMessage())
                        + "; the log (logs/tidemark.log in the state directory) has the details: please report it";
            }
            err.println("tidemark: " + msg);
            err.flush();
            try {
                TRACE.error("{} failed: {}", cmd.getCommandName(), msg, ex);
            } catch (Throwable logFailed) {
                // Said above already; a disk that fails every open (the fault torture) can fail the log too.
            }
            return code.code();
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("tidemark: " + ex.getMessage());
            // The whole command path: 'tidemark db export --help', not 'tidemark export --help'.
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
            err.flush();
            return ExitCode.USAGE.code();
        });
        return cl;
    }

    /** Every command and subcommand answers -h/--help (and -V/--version) like the top level does. */
    private static void helpEverywhere(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions()
                    && !(sub.getCommand() instanceof HelpCommand)) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
                sub.getCommandSpec().versionProvider(new Version());
            }
            helpEverywhere(sub);
        }
    }

    /**
     * Whether this command may talk to S3, by the launcher's rule: an s3:// among the arguments or in the config file
     * outside comment lines (--config, else TIDEMARK_CONFIG, else /etc/tidemark/tidemark.json, else
     * config/tidemark.json). Only a hint for warming the S3 client's classes up early: wrong either way, a command is
     * only slower.
     */
    static boolean namesS3(String[] args, String configVar) {
        String config = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.contains("s3://")) {
                return true;
            }
            if (a.startsWith("--config=")) {
                config = a.substring("--config=".length());
            } else if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.length) {
                config = args[i + 1];
            } else if (a.equals("-h") || a.equals("--help") || a.equals("help") || a.equals("-V")
                    || a.equals("--version")) {
                return false;
            }
        }
        if (config == null) {
            config = configVar != null && !configVar.isEmpty() ? configVar
                    : Files.isRegularFile(dev.tidemark.config.ConfigLoader.SYSTEM_FILE)
                    ? dev.tidemark.config.ConfigLoader.SYSTEM_FILE.toString() : "config/tidemark.json";
        }
        try {
            Path p = Path.of(config);
            // not in a comment line: the example config shows an s3:// repository in one
            return Files.size(p) < (1 << 20) && Files.readString(p).lines()
                    .anyMatch(l -> l.contains("s3://") && !l.strip().startsWith("//"));
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The classes the error path needs, loaded before anything can fail: a disk that fails every open() would
     * otherwise fail loading them, and the reason would be lost behind a NoClassDefFoundError (the fault torture
     * found this with classes on a directory classpath).
     */
    static void loadErrorPath() {
        ExitCode.values();
        List.of(TidemarkException.class, DamageException.class, java.io.UncheckedIOException.class,
                NoSuchFileException.class, AccessDeniedException.class).forEach(Class::getName);
    }

    public static void main(String[] args) {
        loadErrorPath();
        try {
            if (namesS3(args, System.getenv("TIDEMARK_CONFIG"))) {
                dev.tidemark.repo.store.S3Clients.warmUp(); // beside the command line's and the config's parsing
            }
            if (args.length > 0 && INDEX_COMMANDS.contains(args[0])) {
                dev.tidemark.index.NativeLibrary.preload();
            }
        } catch (LinkageError | RuntimeException e) {
            // a class that would not load: the command itself will say what is wrong
        }
        // An Error (not an Exception) escapes picocli's handler, and a thread's uncaught one is printed whole by the
        // JVM: either way, one line here and the trace in the log.
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> internalError("in thread " + t.getName(), e));
        int code;
        try {
            code = commandLine(args).execute(args);
        } catch (Throwable e) {
            internalError("", e);
            code = ExitCode.FAILED.code();
        }
        if (Boolean.getBoolean(RECORDING_CLASS_ARCHIVE)) {
            try {
                dev.tidemark.repo.store.S3Clients.warmUpAndWait();
            } catch (LinkageError | RuntimeException e) {
                // only ever a smaller archive; the command's own result stands
            }
        }
        System.exit(code);
    }

    private static void internalError(String where, Throwable e) {
        System.err.println("tidemark: internal error" + (where.isEmpty() ? "" : " " + where) + " (" + e
                + "); the log (logs/tidemark.log in the state directory) has the details: please report it");
        System.err.flush();
        try {
            TRACE.error("internal error {}", where, e);
        } catch (Throwable logFailed) {
            // said above already
        }
    }

    /** The build's version and time (version.properties, filled in by the build), and the Java running it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = Main.class.getResourceAsStream("/dev/tidemark/version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (java.io.IOException e) {
                // no version known: say so below
            }
            String v = p.getProperty("version", "unknown");
            String built = p.getProperty("built", "");
            return new String[] {"tidemark " + v + (built.isEmpty() || built.startsWith("${") ? "" : " (built " + built + ")"),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

    @Command(name = "version", description = {"Print tidemark's version, when it was built, and the Java running it.",
        "The same as 'tidemark -V'.", "Example:", "  tidemark version"})
    static final class VersionCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            for (String line : new Version().getVersion()) {
                spec.commandLine().getOut().println(line);
            }
            spec.commandLine().getOut().flush();
        }
    }
}

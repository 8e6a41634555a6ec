/**
 * The command line: {@link dev.tidemark.cli.Main} and one class per subcommand. Every command takes
 * {@code --config}; errors are one line on stderr with a documented exit code, stack traces go to the log file in
 * the state directory.
 */
package dev.tidemark.cli;

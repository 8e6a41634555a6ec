package dev.tidemark.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Logging set up in code, found by logback through {@code META-INF/services}: parsing an XML configuration cost
 * about 95 ms of every command's start-up. Console: one line per event on stderr, never a stack trace (those go to
 * the log file in the state directory, added by {@link Logging#file}). tidemark logs at info, libraries at warn.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d{HH:mm:ss} %-5level %msg%n%nopex");
        enc.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(ctx);
        console.setName("STDERR");
        console.setTarget("System.err");
        console.setEncoder(enc);
        console.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.WARN);
        root.addAppender(console);
        ctx.getLogger("dev.tidemark").setLevel(Level.INFO);
        ctx.getLogger("tidemark").setLevel(Level.INFO);
        Logger trace = ctx.getLogger("tidemark.trace"); // stack traces of failed commands: the log file only
        trace.setLevel(Level.DEBUG);
        trace.setAdditive(false);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}

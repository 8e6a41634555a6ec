package dev.tidemark.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/** Console verbosity and the log file in the state directory, where full stack traces go. */
final class Logging {
    private static boolean fileAdded;

    private Logging() {
    }

    static void console(boolean verbose, boolean quiet) {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        Level level = verbose ? Level.DEBUG : quiet ? Level.WARN : Level.INFO;
        ctx.getLogger("dev.tidemark").setLevel(level);
        ctx.getLogger("tidemark").setLevel(level);
        ctx.getLogger("tidemark.trace").setLevel(Level.DEBUG);
    }

    /** Adds {@code dir/tidemark.log} (rolled daily, 10 MB × 14 kept). Failures only warn. */
    static synchronized void file(Path dir) {
        if (fileAdded) {
            return;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            LoggerFactory.getLogger(Logging.class).warn("no log file: cannot create {}: {}", dir, e.getMessage());
            return;
        }
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level [%thread] %logger{20} %msg%n");
        enc.start();
        RollingFileAppender<ch.qos.logback.classic.spi.ILoggingEvent> app = new RollingFileAppender<>();
        app.setContext(ctx);
        app.setName("FILE");
        app.setFile(dir.resolve("tidemark.log").toString());
        SizeAndTimeBasedRollingPolicy<ch.qos.logback.classic.spi.ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
        policy.setContext(ctx);
        policy.setParent(app);
        policy.setFileNamePattern(dir.resolve("tidemark.%d{yyyy-MM-dd}.%i.log").toString());
        policy.setMaxFileSize(FileSize.valueOf("10MB"));
        policy.setMaxHistory(14);
        policy.start();
        app.setRollingPolicy(policy);
        app.setEncoder(enc);
        app.start();
        Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(app);
        ctx.getLogger("tidemark.trace").addAppender(app);
        fileAdded = true;
    }
}

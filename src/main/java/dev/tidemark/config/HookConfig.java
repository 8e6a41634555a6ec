package dev.tidemark.config;

import java.time.Duration;
import java.util.List;

/**
 * A command run around a full restore ({@code hooks.preRestore}, {@code hooks.postRestore}): no shell, the argument
 * list as given, killed after {@code timeout}.
 */
public record HookConfig(List<String> command, Duration timeout) {
}

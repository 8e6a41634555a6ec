/**
 * The JSON configuration ({@code config/tidemark.json} is the commented example) and its validation. Comments are
 * allowed; unknown fields are errors, so a misspelt {@code excludes} is caught instead of silently ignored.
 */
package dev.tidemark.config;

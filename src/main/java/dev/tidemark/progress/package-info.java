/** Progress reporting for long work: a live bar on a terminal, plain log lines otherwise. */
package dev.tidemark.progress;

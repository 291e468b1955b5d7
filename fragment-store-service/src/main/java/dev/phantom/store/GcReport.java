package dev.phantom.store;

import java.time.Duration;
import java.time.Instant;

/** What a collection did. Objects newer than the cutoff were kept whether reachable or not. */
public record GcReport(Instant cutoff, long roots, long reachableTrees, long reachableChunks, long deletedTrees,
    long deletedChunks, long freedBytes, long keptYoung, Duration took) {}

package dev.phantom.orchestrator.core;

/**
 * What a sandbox needs from a node.
 *
 * @param profile the profile it runs, which decides whether a warm slot fits
 * @param memoryBytes its memory limit; a node with less free memory cannot take it (0: no limit asked)
 */
public record PlacementRequest(String profile, long memoryBytes) {

  public PlacementRequest {
    if (profile == null || profile.isBlank() || memoryBytes < 0) {
      throw new IllegalArgumentException("a placement needs a profile and a memory limit >= 0");
    }
  }
}

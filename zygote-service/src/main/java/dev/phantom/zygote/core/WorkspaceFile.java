package dev.phantom.zygote.core;

import java.util.Objects;

/**
 * A file placed in the workspace before the command starts, or one collected from it afterwards.
 *
 * @param path path as the request named it
 * @param content bytes (empty when {@code error} is set)
 * @param mode permission bits (0 means 0644 for files placed)
 * @param error why a collected path could not be returned; empty when it was
 */
public record WorkspaceFile(String path, byte[] content, int mode, String error) {

  public WorkspaceFile {
    Objects.requireNonNull(path, "path");
    content = content == null ? new byte[0] : content;
    error = error == null ? "" : error;
  }

  public static WorkspaceFile of(String path, byte[] content, int mode) {
    return new WorkspaceFile(path, content, mode, "");
  }

  public static WorkspaceFile failed(String path, String error) {
    return new WorkspaceFile(path, new byte[0], 0, error);
  }
}

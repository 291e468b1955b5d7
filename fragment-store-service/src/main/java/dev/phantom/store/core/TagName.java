package dev.phantom.store.core;

import java.util.regex.Pattern;

/**
 * A tag such as {@code python-ml:latest}: a repository name (lowercase letters, digits, {@code . _ -})
 * and a version after the colon ({@code :latest} when none is given), as docker names images. Tags are
 * files of the store, so the rule also keeps them safe as file names.
 */
public final class TagName {

  private static final Pattern REPO = Pattern.compile("[a-z0-9][a-z0-9._-]{0,127}");
  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

  private TagName() {}

  /** The canonical form ({@code name:version}). */
  public static String parse(String raw) {
    String s = raw == null ? "" : raw.strip();
    int colon = s.indexOf(':');
    String repo = colon < 0 ? s : s.substring(0, colon);
    String version = colon < 0 ? "latest" : s.substring(colon + 1);
    if (!REPO.matcher(repo).matches() || !VERSION.matcher(version).matches()) {
      throw StoreException.invalid("bad image name '" + raw + "': want NAME[:VERSION], NAME of lowercase letters,"
          + " digits and . _ - (at most 128), VERSION of letters, digits and . _ -");
    }
    return repo + ":" + version;
  }
}

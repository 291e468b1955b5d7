package dev.phantom.zygote.core;

/**
 * What the installed bubblewrap supports, probed once at start from {@code bwrap --help}.
 *
 * @param disableUserns {@code --disable-userns} (0.8+): the sandbox cannot create nested user namespaces
 */
public record BwrapFeatures(boolean disableUserns) {

  /** Reads the features from the text of {@code bwrap --help}. */
  public static BwrapFeatures fromHelp(String helpText) {
    return new BwrapFeatures(helpText.contains("--disable-userns"));
  }
}

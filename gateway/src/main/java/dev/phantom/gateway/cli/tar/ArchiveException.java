package dev.phantom.gateway.cli.tar;

/** An archive, or one entry of it, that will not be unpacked or packed; the message names the entry. */
public final class ArchiveException extends Exception {

  /** Why, one value per check, so that a test can tell which check refused. */
  public enum Reason {
    ABSOLUTE_PATH, PARENT_REFERENCE, NAME_TOO_LONG, LINK_ESCAPES, THROUGH_LINK, NOT_A_DIRECTORY, IS_A_DIRECTORY,
    SPECIAL_FILE, DUPLICATE, TOO_LARGE, TOO_MANY_ENTRIES, MALFORMED
  }

  private final Reason reason;

  public ArchiveException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}

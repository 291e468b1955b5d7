package dev.phantom.gateway.core;

/**
 * One resource's default and maximum in a profile, and the rule that turns a request into a limit:
 * 0 asks for the default; anything above the maximum is refused rather than silently lowered, so a
 * caller never runs under a limit it did not expect.
 *
 * @param name how the client spells the field, for the error message
 * @param unit how values read in the message ("bytes", "processes", "millicores")
 */
public record ResourceBounds(String name, String unit, long defaultValue, long max) {

  /**
   * @throws IllegalArgumentException with a message for the client when {@code requested} is above the maximum
   */
  public long resolve(long requested, String profile) {
    if (requested < 0) {
      throw new IllegalArgumentException(name + " must not be negative, got " + requested);
    }
    if (requested == 0) {
      return max > 0 ? Math.min(defaultValue, max) : defaultValue;
    }
    if (max > 0 && requested > max) {
      throw new IllegalArgumentException(name + " " + requested + " " + unit + " is above the maximum of profile '"
          + profile + "' (" + max + " " + unit + ")");
    }
    return requested;
  }
}

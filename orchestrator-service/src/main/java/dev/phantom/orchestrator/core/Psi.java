package dev.phantom.orchestrator.core;

/**
 * Pressure stall information of one resource: the share of the last 10 seconds (percent, 0-100) in
 * which some task, or all non-idle tasks at once ("full"), waited for it. avg10 is what placement
 * reads: the 60- and 300-second averages react too slowly to steer a burst.
 */
public record Psi(double someAvg10, double fullAvg10) {

  public static final Psi NONE = new Psi(0, 0);

  public Psi {
    check("someAvg10", someAvg10);
    check("fullAvg10", fullAvg10);
  }

  private static void check(String name, double percent) {
    if (!(percent >= 0 && percent <= 100)) {
      throw new IllegalArgumentException(name + " must be a percentage in [0, 100]: " + percent);
    }
  }
}

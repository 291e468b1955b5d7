package dev.phantom.loadtest;

/** A JVM that does nothing: the baseline of the control plane's own memory (same java, same flags). */
final class IdleJvm {

  private IdleJvm() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("idle");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}

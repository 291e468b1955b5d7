package dev.phantom.store.fs;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock tests move by hand. File times written by the kernel stay real: tests move this one forward. */
public final class TestClock implements InstantSource {

  private volatile Instant now;

  public TestClock(Instant start) {
    this.now = start;
  }

  /** Starts at the real time, so that file times written by the kernel and this clock agree. */
  public static TestClock realNow() {
    return new TestClock(Instant.now());
  }

  public void advance(Duration d) {
    now = now.plus(d);
  }

  @Override
  public Instant instant() {
    return now;
  }
}

package dev.phantom.zygote.core;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

final class Sorted {

  private Sorted() {}

  /** An unmodifiable copy sorted by key, so the bwrap argv never depends on map iteration order. */
  static Map<String, String> copy(Map<String, String> map) {
    return Collections.unmodifiableMap(new TreeMap<>(map == null ? Map.of() : map));
  }
}

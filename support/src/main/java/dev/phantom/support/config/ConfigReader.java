package dev.phantom.support.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Reads one role's section of the node config and collects every problem, so that a bad config
 * fails once with all of them listed rather than one per restart. Unknown keys are problems too:
 * a misspelt key silently falling back to its default is worse than an error.
 */
public final class ConfigReader {

  private final String section;
  private final JsonObject json;
  private final List<String> problems = new ArrayList<>();

  public ConfigReader(String section, JsonObject json, Collection<String> knownKeys) {
    this.section = section;
    this.json = json == null ? new JsonObject() : json;
    for (String key : new TreeSet<>(this.json.fieldNames())) {
      if (!knownKeys.contains(key)) {
        problems.add("unknown key '" + key + "' (known: " + String.join(", ", new TreeSet<>(knownKeys)) + ")");
      }
    }
  }

  /** A whole number in {@code [min, max]}, or {@code fallback} when absent. */
  public long integer(String key, long fallback, long min, long max) {
    Object value = json.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number n) || n.doubleValue() != n.longValue()) {
      problems.add(key + " must be a whole number, got " + value);
      return fallback;
    }
    long v = n.longValue();
    if (v < min || v > max) {
      problems.add(key + " must be in [" + min + ", " + max + "], got " + v);
      return fallback;
    }
    return v;
  }

  /** {@code true} or {@code false}, or {@code fallback} when absent. */
  public boolean bool(String key, boolean fallback) {
    Object value = json.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      problems.add(key + " must be true or false, got " + value);
      return fallback;
    }
    return b;
  }

  /** A TCP port; 0 lets the kernel pick a free one. */
  public int port(String key, int fallback) {
    return (int) integer(key, fallback, 0, 65_535);
  }

  /** A non-blank string, or {@code fallback} when absent. */
  public String string(String key, String fallback) {
    return optionalString(key).orElse(fallback);
  }

  /** A non-blank string when present. */
  public Optional<String> optionalString(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String s) || s.isBlank()) {
      problems.add(key + " must be a non-empty string, got " + value);
      return Optional.empty();
    }
    return Optional.of(s);
  }

  /** A JSON array of non-blank strings; empty when absent. */
  public List<String> strings(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray array)) {
      problems.add(key + " must be a JSON array of strings, got " + value);
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (array.getValue(i) instanceof String s && !s.isBlank()) {
        out.add(s);
      } else {
        problems.add(key + "[" + i + "] must be a non-empty string, got " + array.getValue(i));
      }
    }
    return out;
  }

  /** A JSON array of objects; empty when absent. Each object is checked by the caller. */
  public List<JsonObject> objects(String key) {
    Object value = json.getValue(key);
    if (value == null) {
      return List.of();
    }
    List<JsonObject> out = new ArrayList<>();
    if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        if (array.getValue(i) instanceof JsonObject object) {
          out.add(object);
        } else {
          problems.add(key + "[" + i + "] must be an object, got " + array.getValue(i));
        }
      }
    } else {
      problems.add(key + " must be a JSON array of objects, got " + value);
    }
    return out;
  }

  /** Records a problem found by a check across keys. */
  public void problem(String text) {
    problems.add(text);
  }

  /** @throws IllegalArgumentException listing every problem, when there is any */
  public void validate() {
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid " + section + " config: " + String.join("; ", problems));
    }
  }
}

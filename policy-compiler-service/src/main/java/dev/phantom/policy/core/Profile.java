package dev.phantom.policy.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A named sandbox profile: everything a zygote needs besides the command.
 *
 * @param name unique, {@code [a-z0-9][a-z0-9-]*}
 * @param mounts in the order bubblewrap applies them
 * @param env the whole environment (the sandbox starts from an empty one), in source order
 * @param uid user id inside the sandbox
 * @param gid group id inside the sandbox
 */
public record Profile(
    String name,
    String description,
    List<MountSpec> mounts,
    NetworkMode network,
    Map<String, String> env,
    String hostname,
    String cwd,
    int uid,
    int gid,
    Limits limits,
    SeccompPolicy seccomp) {

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  public Profile {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("profile name '" + name + "' must match " + NAME.pattern());
    }
    description = description == null ? "" : description;
    mounts = List.copyOf(mounts);
    if (mounts.stream().filter(m -> m.kind() == MountKind.WORKSPACE).count() > 1) {
      throw new IllegalArgumentException("at most one workspace mount per profile");
    }
    Objects.requireNonNull(network, "network");
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(cwd, "cwd");
    if (!cwd.startsWith("/")) {
      throw new IllegalArgumentException("cwd must be an absolute path, not '" + cwd + "'");
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("uid and gid cannot be negative");
    }
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(seccomp, "seccomp");
  }
}

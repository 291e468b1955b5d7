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
 * @param image the fragment-store image the sandbox's root comes from: a tag ({@code name[:version]}) or a
 *     manifest digest (64 lowercase hex digits); empty for none (the root holds only the mounts)
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
    SeccompPolicy seccomp,
    String image) {

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  /**
   * An image reference: a store tag (the store's TagName rules, docs/fragment-store.md "Tags": a name of
   * {@code [a-z0-9][a-z0-9._-]*}, an optional version of {@code [A-Za-z0-9_][A-Za-z0-9._-]*}, each at most
   * 128 characters) or a manifest digest. Kept here rather than shared: services share only proto.
   */
  public static final Pattern IMAGE = Pattern.compile(
      "[0-9a-f]{64}|[a-z0-9][a-z0-9._-]{0,127}(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?");

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
    image = image == null ? "" : image;
    if (!image.isEmpty() && !IMAGE.matcher(image).matches()) {
      throw new IllegalArgumentException("image '" + image + "' is neither a tag (name[:version]) nor a 64-hex digest");
    }
  }

  /** A profile without an image. */
  public Profile(String name, String description, List<MountSpec> mounts, NetworkMode network, Map<String, String> env,
      String hostname, String cwd, int uid, int gid, Limits limits, SeccompPolicy seccomp) {
    this(name, description, mounts, network, env, hostname, cwd, uid, gid, limits, seccomp, "");
  }
}

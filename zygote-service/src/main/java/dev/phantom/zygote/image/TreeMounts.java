package dev.phantom.zygote.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which trees of the node cache something on the host has mounted, asked of the kernel: every mount
 * namespace's {@code mountinfo} (each read once), where a sandbox's bind of a tree's top-level entry shows
 * as the mount's root ({@code .../trees/<name>/usr}) and an overlay workspace as its {@code lowerdir=}
 * option. This counts every sandbox, warm slot and overlay whatever code made it, and needs no release
 * that a crash could skip. It is conservative: a tree of the same name in another cache on the host (a
 * second zygote in tests) counts as in use too. Blocking.
 */
final class TreeMounts {

  /** A tree's name after {@code /trees/}: a manifest hex, with {@code -uid-gid} for an owner. */
  private static final Pattern TREE = Pattern.compile("/trees/([0-9a-f]{64}(?:-[0-9]+-[0-9]+)?)(?=[/ ,]|$)");

  private final Path proc;

  TreeMounts(Path proc) {
    this.proc = proc;
  }

  static TreeMounts host() {
    return new TreeMounts(Path.of("/proc"));
  }

  /** Names of the trees mounted in any mount namespace this process can read. */
  Set<String> inUse() throws IOException {
    Set<String> names = new HashSet<>();
    Set<String> namespaces = new HashSet<>();
    scan(proc.resolve("self"), namespaces, names);
    try (var pids = Files.list(proc)) {
      for (Path pid : pids.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
        scan(pid, namespaces, names);
      }
    }
    return names;
  }

  private static void scan(Path pid, Set<String> namespaces, Set<String> names) {
    try {
      if (!namespaces.add(Files.readSymbolicLink(pid.resolve("ns/mnt")).toString())) {
        return;
      }
      for (String line : Files.readAllLines(pid.resolve("mountinfo"))) {
        if (line.contains("/trees/")) {
          Matcher m = TREE.matcher(line);
          while (m.find()) {
            names.add(m.group(1));
          }
        }
      }
    } catch (IOException | SecurityException e) {
      // gone meanwhile, or another user's: a process we cannot see cannot have mounted our trees
      // (bubblewrap runs the sandboxes of this zygote, which is root when it has other users)
    }
  }
}

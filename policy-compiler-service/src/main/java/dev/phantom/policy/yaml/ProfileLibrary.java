package dev.phantom.policy.yaml;

import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.Syscalls;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * A set of profiles read together, so that they can {@code extends:} each other: every source is
 * parsed first, then each profile is merged with its ancestors ({@link ProfileMerge}) and read.
 * Also reads inline YAML against the set (a profile sent to the service, a file given to the CLI).
 * Immutable once built.
 */
public final class ProfileLibrary {

  /**
   * @param parent the profile it extends, or null
   * @param text the YAML as written (for {@code phantom profile show})
   */
  public record Entry(String name, String origin, String text, String parent, Profile profile, List<String> warnings) {}

  /** A parsed source before merging. */
  private record Source(String origin, String text, String expectedName, MappingNode root) {}

  private final Syscalls syscalls;
  private final Map<String, Source> sources;
  private final SortedMap<String, Entry> entries = new TreeMap<>();
  private final Map<String, ProfileMerge.Merged> merged = new HashMap<>();

  private ProfileLibrary(Syscalls syscalls, Map<String, Source> sources) {
    this.syscalls = syscalls;
    this.sources = sources;
  }

  /** One source file: where it comes from, its text, and the name it must declare (or null). */
  public record Text(String origin, String text, String expectedName) {}

  /** @throws ProfileException listing every problem of every source */
  public static ProfileLibrary of(List<Text> texts, Syscalls syscalls, List<String> earlierProblems) {
    LinkedHashSet<String> problems = new LinkedHashSet<>(earlierProblems);
    Map<String, Source> sources = new TreeMap<>();
    for (Text t : texts) {
      List<String> p = new ArrayList<>();
      MappingNode root = ProfileReader.compose(t.origin(), t.text(), p);
      problems.addAll(p);
      if (root == null) {
        continue;
      }
      String name = ProfileMerge.scalar(root, "name").orElse(t.expectedName());
      if (name == null) {
        problems.add(t.origin() + ": name: missing required field");
        continue;
      }
      Source earlier = sources.putIfAbsent(name, new Source(t.origin(), t.text(), t.expectedName(), root));
      if (earlier != null) {
        problems.add(t.origin() + ": profile '" + name + "' is already defined by " + earlier.origin());
      }
    }
    ProfileLibrary library = new ProfileLibrary(syscalls, sources);
    for (Map.Entry<String, Source> e : sources.entrySet()) {
      Source s = e.getValue();
      List<String> p = new ArrayList<>();
      ProfileMerge.Merged tree = library.resolve(e.getKey(), new ArrayList<>(), p);
      if (tree == null || !p.isEmpty()) {
        problems.addAll(p);
        continue;
      }
      try {
        ProfileReader.Result result = ProfileReader.read(s.origin(), tree, s.expectedName(), syscalls);
        library.entries.put(result.profile().name(), new Entry(result.profile().name(), s.origin(), s.text(),
            ProfileMerge.scalar(s.root(), "extends").orElse(null), result.profile(), result.warnings()));
      } catch (ProfileException ex) {
        problems.addAll(ex.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ProfileException(List.copyOf(problems));
    }
    return library;
  }

  public SortedMap<String, Entry> entries() {
    return Collections.unmodifiableSortedMap(entries);
  }

  public Optional<Entry> find(String name) {
    return Optional.ofNullable(entries.get(name));
  }

  /**
   * Reads a profile that is not part of the set (it may extend one that is). Its name is free and may
   * even shadow a loaded profile's.
   *
   * @throws ProfileException listing every problem
   */
  public Entry readInline(String origin, String text) {
    List<String> problems = new ArrayList<>();
    MappingNode root = ProfileReader.compose(origin, text, problems);
    if (root == null) {
      throw new ProfileException(problems);
    }
    ProfileMerge.Merged tree = ProfileMerge.Merged.own(root);
    Optional<Node> parentNode = ProfileMerge.value(root, "extends");
    String parent = ProfileMerge.scalar(root, "extends").orElse(null);
    if (parentNode.isPresent() && parent != null) {
      ProfileMerge.Merged parentTree = parentTree(parent, parentNode.get(), new ArrayList<>(), problems);
      if (parentTree == null) {
        throw new ProfileException(problems);
      }
      tree = ProfileMerge.merge(parentTree, root);
    }
    ProfileReader.Result result = ProfileReader.read(origin, tree, null, syscalls);
    return new Entry(result.profile().name(), origin, text, parent, result.profile(), result.warnings());
  }

  /** The merged tree of a loaded profile; null with problems on a cycle or an unknown parent. */
  private ProfileMerge.Merged resolve(String name, List<String> chain, List<String> problems) {
    ProfileMerge.Merged done = merged.get(name);
    if (done != null) {
      return done;
    }
    Source s = sources.get(name);
    chain.add(name);
    ProfileMerge.Merged tree = ProfileMerge.Merged.own(s.root());
    Optional<Node> parentNode = ProfileMerge.value(s.root(), "extends");
    String parent = ProfileMerge.scalar(s.root(), "extends").orElse(null);
    if (parentNode.isPresent() && parent != null) {
      ProfileMerge.Merged parentTree = parentTree(parent, parentNode.get(), chain, problems);
      if (parentTree == null) {
        chain.removeLast();
        return null;
      }
      tree = ProfileMerge.merge(parentTree, s.root());
    }
    chain.removeLast();
    merged.put(name, tree);
    return tree;
  }

  private ProfileMerge.Merged parentTree(String parent, Node at, List<String> chain, List<String> problems) {
    String where = at.getStartMark().map(m -> m.getName() + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1))
        .orElse("?");
    if (chain.contains(parent)) {
      List<String> cycle = new ArrayList<>(chain.subList(chain.indexOf(parent), chain.size()));
      cycle.add(parent);
      problems.add(where + ": extends: cycle " + String.join(" -> ", cycle)
          + "; a profile cannot extend itself, directly or through others");
      return null;
    }
    if (!sources.containsKey(parent)) {
      problems.add(where + ": extends: unknown profile '" + parent + "'" + Suggest.hint(parent, sources.keySet())
          + " (known: " + String.join(", ", sources.keySet()) + ")");
      return null;
    }
    List<String> p = new ArrayList<>();
    ProfileMerge.Merged tree = resolve(parent, chain, p);
    problems.addAll(p); // the ancestor's problem (a cycle, an unknown profile) says it all
    return tree;
  }
}

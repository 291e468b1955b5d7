package dev.phantom.policy.yaml;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.common.FlowStyle;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * {@code extends:} on the YAML node trees, before anything is read, so that every node keeps the
 * file, line and column it came from. The rules (docs/policy.md):
 * <ul>
 *   <li>scalars and unknown keys: the child's value replaces the parent's; {@code name} and
 *       {@code unsafe} are never inherited, {@code extends} is the child's own;
 *   <li>{@code mounts}: merged by target (a bind without target by source): a child mount with the
 *       parent's target replaces it in place, other child mounts come after the parent's;
 *   <li>{@code env}, {@code limits}: merged by key; in {@code env} a key set to null ({@code ~})
 *       removes the parent's variable;
 *   <li>{@code seccomp.default}: the child's if given; {@code seccomp.rules}: the child's rules
 *       first, then the parent's (so the child's decide first).
 * </ul>
 */
final class ProfileMerge {

  private ProfileMerge() {}

  /** A merged tree plus, for every seccomp rule node in it, how many extends away it was written. */
  record Merged(MappingNode root, Map<Node, Integer> ruleDepth) {
    static Merged own(MappingNode root) {
      Map<Node, Integer> depth = new IdentityHashMap<>();
      rules(root).ifPresent(seq -> seq.getValue().forEach(n -> depth.put(n, 0)));
      return new Merged(root, depth);
    }
  }

  static Merged merge(Merged parent, MappingNode child) {
    Map<Node, Integer> depth = new IdentityHashMap<>();
    parent.ruleDepth().forEach((n, d) -> depth.put(n, d + 1));
    rules(child).ifPresent(seq -> seq.getValue().forEach(n -> depth.put(n, 0)));

    LinkedHashMap<String, NodeTuple> out = new LinkedHashMap<>();
    for (NodeTuple t : parent.root().getValue()) {
      String key = key(t);
      if (key != null && !key.equals("name") && !key.equals("extends") && !key.equals("unsafe")) {
        out.put(key, t);
      }
    }
    List<NodeTuple> extra = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (NodeTuple t : child.getValue()) {
      String key = key(t);
      if (key == null || seen.contains(key)) {
        extra.add(t); // reported by the reader (not a plain key, duplicate)
        continue;
      }
      seen.add(key);
      NodeTuple inherited = out.get(key);
      Node mine = t.getValueNode();
      Node theirs = inherited == null ? null : inherited.getValueNode();
      Node merged = switch (key) {
        case "mounts" -> theirs instanceof SequenceNode p && mine instanceof SequenceNode c ? mounts(p, c) : mine;
        case "env" -> theirs instanceof MappingNode p && mine instanceof MappingNode c ? byKey(p, c, true) : mine;
        case "limits" -> theirs instanceof MappingNode p && mine instanceof MappingNode c ? byKey(p, c, false) : mine;
        case "seccomp" -> theirs instanceof MappingNode p && mine instanceof MappingNode c ? seccomp(p, c) : mine;
        default -> mine;
      };
      out.put(key, new NodeTuple(t.getKeyNode(), merged));
    }
    List<NodeTuple> tuples = new ArrayList<>(out.values());
    tuples.addAll(extra);
    return new Merged(mapping(child, tuples), depth);
  }

  private static SequenceNode mounts(SequenceNode parent, SequenceNode child) {
    List<Node> out = new ArrayList<>(parent.getValue());
    for (Node m : child.getValue()) {
      Optional<String> target = mountKey(m);
      int at = -1;
      for (int i = 0; target.isPresent() && i < out.size(); i++) {
        if (mountKey(out.get(i)).equals(target)) {
          at = i;
          break;
        }
      }
      if (at >= 0) {
        out.set(at, m);
      } else {
        out.add(m);
      }
    }
    return new SequenceNode(Tag.SEQ, true, out, FlowStyle.BLOCK, child.getStartMark(), child.getEndMark());
  }

  private static Optional<String> mountKey(Node mount) {
    if (mount instanceof MappingNode map) {
      Optional<String> target = scalar(map, "target");
      return target.isPresent() ? target : scalar(map, "source");
    }
    return Optional.empty();
  }

  private static MappingNode byKey(MappingNode parent, MappingNode child, boolean nullRemoves) {
    LinkedHashMap<String, NodeTuple> out = new LinkedHashMap<>();
    parent.getValue().forEach(t -> out.put(key(t) == null ? "\0" + out.size() : key(t), t));
    List<NodeTuple> extra = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (NodeTuple t : child.getValue()) {
      String key = key(t);
      if (key == null || seen.contains(key)) {
        extra.add(t);
        continue;
      }
      seen.add(key);
      if (nullRemoves && t.getValueNode() instanceof ScalarNode s && s.getTag().equals(Tag.NULL)) {
        out.remove(key);
      } else {
        out.put(key, t);
      }
    }
    List<NodeTuple> tuples = new ArrayList<>(out.values());
    tuples.addAll(extra);
    return mapping(child, tuples);
  }

  private static MappingNode seccomp(MappingNode parent, MappingNode child) {
    MappingNode merged = byKey(parent, child, false);
    Optional<SequenceNode> parentRules = rulesOf(parent);
    Optional<SequenceNode> childRules = rulesOf(child);
    if (parentRules.isEmpty() || childRules.isEmpty()) {
      return merged; // whichever exists (the child's replaced the parent's if both are not lists)
    }
    List<Node> rules = new ArrayList<>(childRules.get().getValue());
    rules.addAll(parentRules.get().getValue());
    SequenceNode both = new SequenceNode(Tag.SEQ, true, rules, FlowStyle.BLOCK, childRules.get().getStartMark(),
        childRules.get().getEndMark());
    List<NodeTuple> tuples = new ArrayList<>();
    for (NodeTuple t : merged.getValue()) {
      tuples.add("rules".equals(key(t)) ? new NodeTuple(t.getKeyNode(), both) : t);
    }
    return mapping(child, tuples);
  }

  private static Optional<SequenceNode> rules(MappingNode root) {
    for (NodeTuple t : root.getValue()) {
      if ("seccomp".equals(key(t)) && t.getValueNode() instanceof MappingNode s) {
        return rulesOf(s);
      }
    }
    return Optional.empty();
  }

  private static Optional<SequenceNode> rulesOf(MappingNode seccomp) {
    for (NodeTuple t : seccomp.getValue()) {
      if ("rules".equals(key(t)) && t.getValueNode() instanceof SequenceNode seq) {
        return Optional.of(seq);
      }
    }
    return Optional.empty();
  }

  static Optional<String> scalar(MappingNode map, String key) {
    for (NodeTuple t : map.getValue()) {
      if (key.equals(key(t)) && t.getValueNode() instanceof ScalarNode s && !s.getTag().equals(Tag.NULL)) {
        return Optional.of(s.getValue());
      }
    }
    return Optional.empty();
  }

  static Optional<Node> value(MappingNode map, String key) {
    for (NodeTuple t : map.getValue()) {
      if (key.equals(key(t))) {
        return Optional.of(t.getValueNode());
      }
    }
    return Optional.empty();
  }

  private static String key(NodeTuple t) {
    return t.getKeyNode() instanceof ScalarNode s && !s.getTag().equals(Tag.NULL) ? s.getValue() : null;
  }

  private static MappingNode mapping(MappingNode like, List<NodeTuple> tuples) {
    return new MappingNode(Tag.MAP, true, tuples, FlowStyle.BLOCK, like.getStartMark(), like.getEndMark());
  }
}

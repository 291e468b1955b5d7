package dev.phantom.policy.yaml;

import dev.phantom.policy.core.ArgCondition;
import dev.phantom.policy.core.Errno;
import dev.phantom.policy.core.LinuxConstants;
import dev.phantom.policy.core.Limits;
import dev.phantom.policy.core.MountKind;
import dev.phantom.policy.core.MountSpec;
import dev.phantom.policy.core.NetworkMode;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.SeccompAction;
import dev.phantom.policy.core.SeccompPolicy;
import dev.phantom.policy.core.SeccompRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads one profile from YAML text. Works on the node tree rather than on plain maps so that
 * every problem can name the file, line, column and field; reports every problem it finds.
 * The format is described in docs/profiles.md.
 */
public final class ProfileReader {

  private static final List<String> ACTIONS = List.of("allow", "log", "trap", "kill-thread", "kill-process", "errno <NAME>");

  private final String origin;
  private final List<String> problems = new ArrayList<>();

  private ProfileReader(String origin) {
    this.origin = origin;
  }

  /**
   * @param origin names the source in messages (a file path or classpath resource)
   * @param expectedName the name the profile must declare (the file's stem), or null for any
   * @throws ProfileException listing every problem found
   */
  public static Profile read(String origin, String text, String expectedName) {
    ProfileReader reader = new ProfileReader(origin);
    Profile profile = reader.document(text, expectedName);
    if (!reader.problems.isEmpty() || profile == null) {
      throw new ProfileException(reader.problems.isEmpty() ? List.of(origin + ": no profile") : reader.problems);
    }
    return profile;
  }

  private Profile document(String text, String expectedName) {
    LoadSettings settings = LoadSettings.builder().setLabel(origin).setSchema(new CoreSchema()).build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeString(text);
    } catch (MarkedYamlEngineException e) {
      problems.add(at(e.getProblemMark()) + ": not valid YAML: " + e.getProblem());
      return null;
    } catch (YamlEngineException e) {
      problems.add(origin + ": not valid YAML: " + e.getMessage());
      return null;
    }
    if (root.isEmpty()) {
      problems.add(origin + ": empty document, expected a profile");
      return null;
    }
    Fields f = fields("", root.get());
    if (f == null) {
      return null;
    }
    Node nameNode = f.required("name");
    String name = string(nameNode, "name");
    if (name != null && !Profile.NAME.matcher(name).matches()) {
      problem(nameNode, "name", "'" + name + "' must match " + Profile.NAME.pattern());
    } else if (name != null && expectedName != null && !name.equals(expectedName)) {
      problem(nameNode, "name", "'" + name + "' must match the file name ('" + expectedName + "')");
    }
    Node descriptionNode = f.optional("description");
    String description = descriptionNode == null ? "" : string(descriptionNode, "description");
    List<MountSpec> mounts = mounts(f.required("mounts"));
    NetworkMode network = network(f.required("network"));
    Map<String, String> env = env(f.optional("env"));
    String hostname = string(f.required("hostname"), "hostname");
    String cwd = string(f.required("cwd"), "cwd");
    Integer uid = integer(f.required("uid"), "uid", 0, Integer.MAX_VALUE);
    Integer gid = integer(f.required("gid"), "gid", 0, Integer.MAX_VALUE);
    Limits limits = limits(f.required("limits"));
    SeccompPolicy seccomp = seccomp(f.required("seccomp"));
    f.finish();
    if (!problems.isEmpty()) {
      return null;
    }
    return build(root.get(), "", () -> new Profile(
        name, description, mounts, network, env, hostname, cwd, uid, gid, limits, seccomp));
  }

  private List<MountSpec> mounts(Node node) {
    SequenceNode seq = sequence(node, "mounts");
    if (seq == null) {
      return List.of();
    }
    List<MountSpec> mounts = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      String path = "mounts[" + i + "]";
      Node item = seq.getValue().get(i);
      Fields f = fields(path, item);
      if (f == null) {
        continue;
      }
      Node kindNode = f.required("kind");
      String kindText = string(kindNode, path + ".kind");
      MountKind kind = null;
      if (kindText != null) {
        kind = MountKind.fromSpelling(kindText).orElse(null);
        if (kind == null) {
          problem(kindNode, path + ".kind", "unknown mount kind '" + kindText + "'; expected one of: "
              + String.join(", ", Arrays.stream(MountKind.values()).map(MountKind::spelling).toList()));
        }
      }
      Node sourceNode = f.optional("source");
      String source = sourceNode == null ? "" : string(sourceNode, path + ".source");
      Node targetNode = f.optional("target");
      String target = targetNode != null ? string(targetNode, path + ".target")
          : (kind == MountKind.RO_BIND || kind == MountKind.BIND) ? source : null;
      if (targetNode == null && target == null && kind != null) {
        problem(item, path + ".target", "missing required field");
      }
      Node optionalNode = f.optional("optional");
      Boolean optional = optionalNode == null ? Boolean.FALSE : bool(optionalNode, path + ".optional");
      Node sizeNode = f.optional("size");
      Long size = sizeNode == null ? Long.valueOf(0) : size(sizeNode, path + ".size");
      f.finish();
      if (kind != null && source != null && target != null && optional != null && size != null) {
        MountKind k = kind;
        MountSpec spec = build(item, path, () -> new MountSpec(k, source, target, optional, size));
        if (spec != null) {
          mounts.add(spec);
        }
      }
    }
    return mounts;
  }

  private NetworkMode network(Node node) {
    String text = string(node, "network");
    if (text == null) {
      return null;
    }
    if (text.equals("limited")) {
      problem(node, "network", "network: limited is not supported yet; use disabled");
      return null;
    }
    if (!text.equals("disabled")) {
      problem(node, "network", "unsupported network mode '" + text + "'; only 'disabled' exists today");
      return null;
    }
    return NetworkMode.DISABLED;
  }

  private Map<String, String> env(Node node) {
    Map<String, String> env = new LinkedHashMap<>();
    if (node == null) {
      return env;
    }
    Fields f = fields("env", node);
    if (f == null) {
      return env;
    }
    for (String key : f.keys()) {
      Node value = f.optional(key);
      String field = "env." + key;
      if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        problem(value, field, "not a valid environment variable name");
      } else if (value instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL)) {
        env.put(key, scalar.getValue());
      } else {
        problem(value, field, "expected a string, got " + kindOf(value));
      }
    }
    f.finish();
    return env;
  }

  private Limits limits(Node node) {
    Fields f = fields("limits", node);
    if (f == null) {
      return null;
    }
    Node timeoutNode = f.required("timeout");
    Duration timeout = duration(timeoutNode, "limits.timeout");
    Duration maxTimeout = duration(f.required("maxTimeout"), "limits.maxTimeout");
    Long maxOutput = positiveSize(f.required("maxOutput"), "limits.maxOutput");
    Node memoryNode = f.required("memory");
    Long memory = positiveSize(memoryNode, "limits.memory");
    Long maxMemory = positiveSize(f.required("maxMemory"), "limits.maxMemory");
    Node pidsNode = f.required("pids");
    Integer pids = integer(pidsNode, "limits.pids", 1, Integer.MAX_VALUE);
    Integer maxPids = integer(f.required("maxPids"), "limits.maxPids", 1, Integer.MAX_VALUE);
    Node cpuNode = f.required("cpu");
    Integer cpu = cpu(cpuNode, "limits.cpu");
    Integer maxCpu = cpu(f.required("maxCpu"), "limits.maxCpu");
    Long maxFileSize = positiveSize(f.required("maxFileSize"), "limits.maxFileSize");
    Integer maxOpenFiles = integer(f.required("maxOpenFiles"), "limits.maxOpenFiles", 1, Integer.MAX_VALUE);
    f.finish();
    if (timeout != null && maxTimeout != null && timeout.compareTo(maxTimeout) > 0) {
      problem(timeoutNode, "limits.timeout", timeout.toMillis() + " ms is above limits.maxTimeout ("
          + maxTimeout.toMillis() + " ms)");
    }
    notAbove(memoryNode, "limits.memory", memory, maxMemory, "limits.maxMemory");
    notAbove(pidsNode, "limits.pids", pids == null ? null : (long) pids, maxPids == null ? null : (long) maxPids,
        "limits.maxPids");
    notAbove(cpuNode, "limits.cpu", cpu == null ? null : (long) cpu, maxCpu == null ? null : (long) maxCpu,
        "limits.maxCpu");
    if (timeout == null || maxTimeout == null || maxOutput == null || memory == null || maxMemory == null
        || pids == null || maxPids == null || cpu == null || maxCpu == null || maxFileSize == null
        || maxOpenFiles == null || !problems.isEmpty()) {
      return null;
    }
    return build(node, "limits", () -> new Limits(timeout, maxTimeout, maxOutput, memory, maxMemory, pids, maxPids,
        cpu, maxCpu, maxFileSize, maxOpenFiles));
  }

  /** A default must not exceed its maximum; reported at the default's node. */
  private void notAbove(Node node, String field, Long value, Long max, String maxField) {
    if (value != null && max != null && value > max) {
      problem(node, field, describe(node) + " is above " + maxField + " (" + max + ")");
    }
  }

  private SeccompPolicy seccomp(Node node) {
    Fields f = fields("seccomp", node);
    if (f == null) {
      return null;
    }
    SeccompAction defaultAction = action(f.required("default"), "seccomp.default");
    Node rulesNode = f.optional("rules");
    List<SeccompRule> rules = new ArrayList<>();
    SequenceNode seq = rulesNode == null ? null : sequence(rulesNode, "seccomp.rules");
    for (int i = 0; seq != null && i < seq.getValue().size(); i++) {
      String path = "seccomp.rules[" + i + "]";
      Node item = seq.getValue().get(i);
      Fields rf = fields(path, item);
      if (rf == null) {
        continue;
      }
      SeccompAction action = action(rf.required("action"), path + ".action");
      List<String> syscalls = new ArrayList<>();
      Node syscallsNode = rf.required("syscalls");
      SequenceNode names = sequence(syscallsNode, path + ".syscalls");
      for (int j = 0; names != null && j < names.getValue().size(); j++) {
        String name = string(names.getValue().get(j), path + ".syscalls[" + j + "]");
        if (name != null) {
          syscalls.add(name);
        }
      }
      if (names != null && names.getValue().isEmpty()) {
        problem(syscallsNode, path + ".syscalls", "list at least one syscall");
      }
      List<ArgCondition> conditions = new ArrayList<>();
      Node whenNode = rf.optional("when");
      SequenceNode when = whenNode == null ? null : sequence(whenNode, path + ".when");
      for (int j = 0; when != null && j < when.getValue().size(); j++) {
        Node c = when.getValue().get(j);
        String field = path + ".when[" + j + "]";
        String text = string(c, field);
        ArgCondition condition = text == null ? null : condition(c, field, text);
        if (condition != null) {
          conditions.add(condition);
        }
      }
      if (when != null && when.getValue().isEmpty()) {
        problem(whenNode, path + ".when", "list at least one condition, or leave 'when' out");
      }
      rf.finish();
      if (action != null && !syscalls.isEmpty()) {
        rules.add(new SeccompRule(syscalls, conditions, action));
      }
    }
    f.finish();
    if (defaultAction == null) {
      return null;
    }
    return new SeccompPolicy(defaultAction, rules);
  }

  private static final Pattern CONDITION = Pattern.compile(
      "\\s*(?:low32\\(\\s*arg(?<low>\\d)\\s*\\)|arg(?<arg>\\d))\\s*(?:&(?<mask>[^=!]+))?(?<op>==|!=)(?<value>.+)");
  static final String CONDITION_FORMAT = "'argN OP VALUE', 'argN & MASK OP VALUE' or the same with low32(argN),"
      + " N 0..5, OP == or !=, MASK and VALUE numbers (42, 0x2a) or constants joined with |";

  /** Parses {@code arg1 & SOCK_TYPE_MASK == SOCK_RAW}, {@code low32(arg1) == TIOCSTI}, {@code arg0 == 17}. */
  private ArgCondition condition(Node node, String field, String text) {
    Matcher m = CONDITION.matcher(text.strip());
    if (!m.matches()) {
      problem(node, field, "cannot read condition '" + text + "'; expected " + CONDITION_FORMAT);
      return null;
    }
    boolean low32 = m.group("low") != null;
    int index = Integer.parseInt(low32 ? m.group("low") : m.group("arg"));
    Long value = constantExpression(node, field, m.group("value"));
    Long mask = m.group("mask") == null ? Long.valueOf(low32 ? ArgCondition.LOW32 : -1L)
        : constantExpression(node, field, m.group("mask"));
    if (value == null || mask == null) {
      return null;
    }
    return build(node, field, () -> new ArgCondition(index, mask, value, m.group("op").equals("=="), low32));
  }

  /** {@code 17}, {@code 0x5412}, {@code AF_PACKET}, {@code CLONE_NEWNS | CLONE_NEWUSER}. */
  private Long constantExpression(Node node, String field, String text) {
    long result = 0;
    for (String term : text.split("\\|", -1)) {
      String t = term.strip();
      Long v = null;
      try {
        if (t.matches("0[xX][0-9a-fA-F]{1,16}")) {
          v = Long.parseUnsignedLong(t.substring(2), 16);
        } else if (t.matches("\\d{1,19}")) {
          v = Long.parseLong(t);
        }
      } catch (NumberFormatException e) {
        v = null;
      }
      if (v == null && t.matches("[A-Z][A-Z0-9_]*")) {
        v = LinuxConstants.byName(t).orElse(null);
        if (v == null) {
          problem(node, field, "unknown constant '" + t + "'; known: " + String.join(", ", LinuxConstants.names()));
          return null;
        }
      }
      if (v == null) {
        problem(node, field, "'" + t + "' is not a number or constant; expected " + CONDITION_FORMAT);
        return null;
      }
      result |= v;
    }
    return result;
  }

  private SeccompAction action(Node node, String field) {
    String text = string(node, field);
    if (text == null) {
      return null;
    }
    String[] words = text.strip().split("\\s+");
    if (words.length == 2 && words[0].equals("errno")) {
      Optional<Integer> errno = Errno.byName(words[1]);
      if (errno.isEmpty()) {
        problem(node, field, "unknown errno '" + words[1] + "'; expected one of: " + String.join(", ", Errno.names()));
        return null;
      }
      return SeccompAction.errno(errno.get());
    }
    SeccompAction action = words.length != 1 ? null : switch (words[0]) {
      case "allow" -> new SeccompAction.Allow();
      case "log" -> new SeccompAction.Log();
      case "trap" -> new SeccompAction.Trap();
      case "kill-thread" -> new SeccompAction.KillThread();
      case "kill-process" -> new SeccompAction.KillProcess();
      default -> null;
    };
    if (action == null) {
      problem(node, field, "unknown action '" + text + "'; expected one of: " + String.join(", ", ACTIONS));
    }
    return action;
  }

  // --- typed access; each returns null after recording a problem ---

  private String string(Node node, String field) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR)) {
      return scalar.getValue();
    }
    problem(node, field, "expected a string, got " + kindOf(node));
    return null;
  }

  private Integer integer(Node node, String field, long min, long max) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.INT)) {
      try {
        long value = Long.parseLong(scalar.getValue().replace("_", ""));
        if (value >= min && value <= max) {
          return (int) value;
        }
      } catch (NumberFormatException e) {
        // out of range for a long: fall through to the range message
      }
      problem(node, field, "must be between " + min + " and " + max + ", not " + scalar.getValue());
      return null;
    }
    problem(node, field, "expected an integer, got " + kindOf(node));
    return null;
  }

  private Boolean bool(Node node, String field) {
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
      return Boolean.parseBoolean(scalar.getValue().toLowerCase());
    }
    problem(node, field, "expected true or false, got " + kindOf(node));
    return null;
  }

  private Long size(Node node, String field) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode scalar && (scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.STR))) {
      Optional<Long> size = Quantities.size(scalar.getValue());
      if (size.isPresent()) {
        return size.get();
      }
    }
    problem(node, field, "expected " + Quantities.SIZE_FORMAT + ", got " + describe(node));
    return null;
  }

  /** A size above zero; a negative or zero value is named as such. */
  private Long positiveSize(Node node, String field) {
    if (node instanceof ScalarNode scalar && scalar.getValue().strip().startsWith("-")) {
      problem(node, field, "must be positive, not " + scalar.getValue());
      return null;
    }
    Long size = size(node, field);
    if (size != null && size == 0) {
      problem(node, field, "must be positive, not " + describe(node));
      return null;
    }
    return size;
  }

  private Integer cpu(Node node, String field) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode scalar && !scalar.getTag().equals(Tag.NULL)) {
      if (scalar.getValue().strip().startsWith("-")) {
        problem(node, field, "must be positive, not " + scalar.getValue());
        return null;
      }
      Optional<Long> mc = Quantities.millicores(scalar.getValue());
      if (mc.isPresent() && mc.get() > 0 && mc.get() <= Integer.MAX_VALUE) {
        return mc.get().intValue();
      }
      if (mc.isPresent()) {
        problem(node, field, "must be positive, not " + describe(node));
        return null;
      }
    }
    problem(node, field, "expected " + Quantities.CPU_FORMAT + ", got " + describe(node));
    return null;
  }

  private Duration duration(Node node, String field) {
    if (node == null) {
      return null;
    }
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR)) {
      Optional<Duration> duration = Quantities.duration(scalar.getValue());
      if (duration.isPresent()) {
        return duration.get();
      }
    }
    problem(node, field, "expected " + Quantities.DURATION_FORMAT + ", got " + describe(node));
    return null;
  }

  private SequenceNode sequence(Node node, String field) {
    if (node == null) {
      return null;
    }
    if (node instanceof SequenceNode seq) {
      return seq;
    }
    problem(node, field, "expected a list, got " + kindOf(node));
    return null;
  }

  private Fields fields(String path, Node node) {
    if (node == null) {
      return null;
    }
    if (node instanceof MappingNode map) {
      return new Fields(path, map);
    }
    problem(node, path.isEmpty() ? "(profile)" : path, "expected a mapping, got " + kindOf(node));
    return null;
  }

  /** Runs a core constructor, turning its validation failure into a problem at {@code node}. */
  private <T> T build(Node node, String field, Supplier<T> constructor) {
    try {
      return constructor.get();
    } catch (IllegalArgumentException e) {
      problem(node, field.isEmpty() ? "(profile)" : field, e.getMessage());
      return null;
    }
  }

  private static String kindOf(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    Tag tag = node.getTag();
    if (tag.equals(Tag.INT)) {
      return "an integer";
    }
    if (tag.equals(Tag.FLOAT)) {
      return "a number";
    }
    if (tag.equals(Tag.BOOL)) {
      return "a boolean";
    }
    if (tag.equals(Tag.NULL)) {
      return "nothing (null)";
    }
    return "a string";
  }

  private static String describe(Node node) {
    return node instanceof ScalarNode s && !s.getTag().equals(Tag.NULL) ? "'" + s.getValue() + "'" : kindOf(node);
  }

  private void problem(Node node, String field, String message) {
    problems.add(at(node.getStartMark()) + ": " + field + ": " + message);
  }

  private String at(Optional<Mark> mark) {
    return mark.map(m -> origin + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1)).orElse(origin);
  }

  /** The fields of one mapping: tracks which were read, so that the rest can be reported as unknown. */
  private final class Fields {
    private final String path;
    private final MappingNode node;
    private final Map<String, NodeTuple> byKey = new LinkedHashMap<>();
    private final List<String> read = new ArrayList<>();

    Fields(String path, MappingNode node) {
      this.path = path;
      this.node = node;
      for (NodeTuple tuple : node.getValue()) {
        Node key = tuple.getKeyNode();
        if (!(key instanceof ScalarNode scalar) || scalar.getTag().equals(Tag.NULL)) {
          problem(key, path.isEmpty() ? "(profile)" : path, "field names must be plain strings");
          continue;
        }
        if (byKey.putIfAbsent(scalar.getValue(), tuple) != null) {
          problem(key, field(scalar.getValue()), "duplicate field");
        }
      }
    }

    List<String> keys() {
      return List.copyOf(byKey.keySet());
    }

    Node optional(String key) {
      read.add(key);
      NodeTuple tuple = byKey.get(key);
      return tuple == null ? null : tuple.getValueNode();
    }

    Node required(String key) {
      Node value = optional(key);
      if (value == null) {
        problem(node, field(key), "missing required field");
      }
      return value;
    }

    /** Reports every field that nothing asked for. */
    void finish() {
      for (Map.Entry<String, NodeTuple> e : byKey.entrySet()) {
        if (!read.contains(e.getKey())) {
          problem(e.getValue().getKeyNode(), field(e.getKey()),
              "unknown field; expected one of: " + String.join(", ", read));
        }
      }
    }

    private String field(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }
  }
}

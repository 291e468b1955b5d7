package dev.phantom.policy.yaml;

import dev.phantom.policy.core.Arch;
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
import dev.phantom.policy.core.Syscalls;
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

  private static final List<String> ACTIONS = List.of("allow", "log", "trap", "kill-thread", "kill-process",
      "errno NAME", "errno N", "errno(NAME)", "errno(N)");

  /** Syscalls no profile may let through unless it says {@code unsafe: true}. */
  public static final List<String> FORBIDDEN = List.of("bpf", "perf_event_open", "userfaultfd", "kexec_load",
      "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module", "ptrace",
      "process_vm_readv", "process_vm_writev", "iopl", "ioperm");

  /** Denied unless the profile decides them itself: clone3 (flags behind a pointer), io_uring (own syscall surface). */
  public static final List<String> IMPLICIT_ENOSYS = List.of("clone3", "io_uring_setup", "io_uring_enter",
      "io_uring_register");

  /** A profile and what its author should know about it. */
  public record Result(Profile profile, List<String> warnings) {}

  private final String origin;
  private final Syscalls syscalls;
  private final Map<Node, Integer> ruleDepth;
  private final List<String> problems = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  private ProfileReader(String origin, Syscalls syscalls, Map<Node, Integer> ruleDepth) {
    this.origin = origin;
    this.syscalls = syscalls;
    this.ruleDepth = ruleDepth;
  }

  /**
   * Reads one stand-alone profile (no {@code extends}) with the shipped syscall tables.
   *
   * @param origin names the source in messages (a file path or classpath resource)
   * @param expectedName the name the profile must declare (the file's stem), or null for any
   * @throws ProfileException listing every problem found
   */
  public static Profile read(String origin, String text, String expectedName) {
    List<String> problems = new ArrayList<>();
    MappingNode root = compose(origin, text, problems);
    if (root == null) {
      throw new ProfileException(problems);
    }
    if (ProfileMerge.value(root, "extends").isPresent()) {
      throw new ProfileException(List.of(origin + ": extends: only profiles loaded together can extend each other"));
    }
    return read(origin, ProfileMerge.Merged.own(root), expectedName, dev.phantom.policy.ClasspathSyscalls.load()).profile();
  }

  /** Parses YAML text into its node tree; null (with a problem) for invalid YAML or a non-mapping. */
  static MappingNode compose(String origin, String text, List<String> problems) {
    LoadSettings settings = LoadSettings.builder().setLabel(origin).setSchema(new CoreSchema())
        .setAllowDuplicateKeys(true).build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeString(text);
    } catch (MarkedYamlEngineException e) {
      problems.add(e.getProblemMark().map(m -> origin + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1)).orElse(origin)
          + ": not valid YAML: " + e.getProblem());
      return null;
    } catch (YamlEngineException e) {
      problems.add(origin + ": not valid YAML: " + e.getMessage());
      return null;
    }
    if (root.isEmpty()) {
      problems.add(origin + ": empty document, expected a profile");
      return null;
    }
    if (!(root.get() instanceof MappingNode map)) {
      problems.add(root.get().getStartMark().map(m -> origin + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1))
          .orElse(origin) + ": (profile): expected a mapping, got " + kindOf(root.get()));
      return null;
    }
    return map;
  }

  /** Reads a (merged) tree. @throws ProfileException listing every problem found */
  static Result read(String origin, ProfileMerge.Merged merged, String expectedName, Syscalls syscalls) {
    ProfileReader reader = new ProfileReader(origin, syscalls, merged.ruleDepth());
    Profile profile = reader.document(merged.root(), expectedName);
    if (!reader.problems.isEmpty() || profile == null) {
      throw new ProfileException(reader.problems.isEmpty() ? List.of(origin + ": no profile") : reader.problems);
    }
    return new Result(profile, List.copyOf(reader.warnings));
  }

  private Profile document(Node root, String expectedName) {
    Fields f = fields("", root);
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
    Node extendsNode = f.optional("extends");
    if (extendsNode != null) {
      string(extendsNode, "extends");
    }
    Node unsafeNode = f.optional("unsafe");
    Boolean unsafe = unsafeNode == null ? Boolean.FALSE : bool(unsafeNode, "unsafe");
    String image = image(f.optional("image"));
    List<MountSpec> mounts = mounts(f.required("mounts"));
    NetworkMode network = network(f.required("network"));
    Map<String, String> env = env(f.optional("env"));
    String hostname = string(f.required("hostname"), "hostname");
    String cwd = string(f.required("cwd"), "cwd");
    Integer uid = integer(f.required("uid"), "uid", 0, Integer.MAX_VALUE);
    Integer gid = integer(f.required("gid"), "gid", 0, Integer.MAX_VALUE);
    Limits limits = limits(f.required("limits"));
    SeccompPolicy seccomp = seccomp(f.required("seccomp"), Boolean.TRUE.equals(unsafe), unsafeNode);
    f.finish();
    if (!problems.isEmpty()) {
      return null;
    }
    return build(root, "", () -> new Profile(
        name, description, mounts, network, env, hostname, cwd, uid, gid, limits, seccomp, image));
  }

  /** {@code image: python-ml:latest} or a 64-hex manifest digest; absent means none. */
  private String image(Node node) {
    if (node == null) {
      return "";
    }
    String image = string(node, "image");
    if (image != null && !Profile.IMAGE.matcher(image).matches()) {
      problem(node, "image", "'" + image + "' is neither a tag (name[:version], lowercase name) nor a manifest"
          + " digest (64 lowercase hex digits)");
    }
    return image == null ? "" : image;
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

  /** One syscall name of a rule as written: directly, or as a member of a group. */
  private record Entry(String name, boolean explicit, Node node, String field) {}

  private record Draft(Node node, String path, int depth, SeccompAction action, List<ArgCondition> conditions,
      List<Entry> entries) {
    int line() {
      return node.getStartMark().map(m -> m.getLine() + 1).orElse(0);
    }

    String where() {
      return node.getStartMark().map(m -> m.getName() + ":" + (m.getLine() + 1)).orElse(path);
    }
  }

  private record Kept(Draft draft, List<String> names) {}

  private SeccompPolicy seccomp(Node node, boolean unsafe, Node unsafeNode) {
    Fields f = fields("seccomp", node);
    if (f == null) {
      return null;
    }
    Node defaultNode = f.required("default");
    SeccompAction defaultAction = action(defaultNode, "seccomp.default");
    Node rulesNode = f.optional("rules");
    List<Draft> drafts = new ArrayList<>();
    SequenceNode seq = rulesNode == null ? null : sequence(rulesNode, "seccomp.rules");
    for (int i = 0; seq != null && i < seq.getValue().size(); i++) {
      String path = "seccomp.rules[" + i + "]";
      Node item = seq.getValue().get(i);
      Fields rf = fields(path, item);
      if (rf == null) {
        continue;
      }
      SeccompAction action = action(rf.required("action"), path + ".action");
      List<Entry> entries = new ArrayList<>();
      Node syscallsNode = rf.required("syscalls");
      SequenceNode names = sequence(syscallsNode, path + ".syscalls");
      for (int j = 0; names != null && j < names.getValue().size(); j++) {
        Node n = names.getValue().get(j);
        String field = path + ".syscalls[" + j + "]";
        String name = string(n, field);
        if (name != null) {
          syscallEntries(n, field, name.strip(), entries);
        }
      }
      if (names != null && names.getValue().isEmpty()) {
        problem(syscallsNode, path + ".syscalls", "list at least one syscall or @group");
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
      if (whenNode != null && conditions.size() == when.getValue().size()) {
        ArgCondition.contradiction(conditions).ifPresent(why -> problem(whenNode, path + ".when",
            "contradictory conditions: " + why + ", so the rule could never match; fix or remove it"));
      }
      rf.finish();
      if (action != null && !entries.isEmpty()) {
        drafts.add(new Draft(item, path, ruleDepth.getOrDefault(item, 0), action, conditions, entries));
      }
    }
    f.finish();
    if (defaultAction == null || !problems.isEmpty()) {
      return null;
    }
    List<SeccompRule> rules = new ArrayList<>();
    List<Kept> kept = shadowing(drafts);
    for (Kept k : kept) {
      rules.add(new SeccompRule(k.names(), k.draft().conditions(), k.draft().action()));
    }
    // clone3 and io_uring: ENOSYS unless the profile decided them itself (so libc and runtimes fall back).
    List<String> implicit = new ArrayList<>();
    for (String name : IMPLICIT_ENOSYS) {
      boolean decided = kept.stream().anyMatch(k -> k.draft().conditions().isEmpty() && k.names().contains(name));
      if (!decided) {
        implicit.add(name);
      }
    }
    if (!implicit.isEmpty()) {
      rules.add(new SeccompRule(implicit, SeccompAction.errno(Errno.ENOSYS)));
    }
    SeccompPolicy policy = new SeccompPolicy(defaultAction, rules);
    unsafeCheck(policy, kept, defaultNode, unsafe, unsafeNode);
    return policy;
  }

  /** Adds the syscalls a name stands for: itself, or a group's members. Unknown names get a hint. */
  private void syscallEntries(Node n, String field, String name, List<Entry> entries) {
    if (name.startsWith("@")) {
      if (!syscalls.allGroups().contains(name)) {
        problem(n, field, "unknown syscall group '" + name + "'" + Suggest.hint(name, syscalls.allGroups())
            + " (groups: " + String.join(", ", syscalls.allGroups()) + ")");
        return;
      }
      for (String member : syscalls.groupMembers(name)) {
        if (entries.stream().noneMatch(e -> e.name().equals(member))) {
          entries.add(new Entry(member, false, n, field));
        }
      }
      return;
    }
    if (!syscalls.knownOnAnyArch(name)) {
      problem(n, field, "unknown syscall '" + name + "'" + Suggest.hint(name, syscalls.allNames())
          + " (in none of the tables for " + String.join(", ", Arch.unameNames()) + ")");
      return;
    }
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.name().equals(name)) {
        if (e.explicit()) {
          problem(n, field, "'" + name + "' is listed twice in this rule; list it once");
        } else {
          entries.set(i, new Entry(name, true, n, field)); // named directly and through a group
        }
        return;
      }
    }
    entries.add(new Entry(name, true, n, field));
  }

  /**
   * Drops what can never match: a syscall reaches a rule only if no earlier rule with a subset of its
   * conditions (in particular an unconditional one) took it. Within one file, naming such a syscall
   * directly is a contradiction and an error; through a group, or across {@code extends} (the child
   * overriding its parent), it is simply left out.
   */
  private List<Kept> shadowing(List<Draft> drafts) {
    List<Kept> out = new ArrayList<>();
    for (Draft d : drafts) {
      List<String> names = new ArrayList<>();
      for (Entry e : d.entries()) {
        Kept shadow = null;
        for (Kept k : out) {
          if (k.names().contains(e.name()) && d.conditions().containsAll(k.draft().conditions())) {
            shadow = k;
            break;
          }
        }
        if (shadow == null) {
          names.add(e.name());
        } else if (e.explicit() && shadow.draft().depth() == d.depth()) {
          boolean sameAction = shadow.draft().action().equals(d.action());
          problem(e.node(), e.field(), "'" + e.name() + "' can never reach this rule: the rule at "
              + shadow.draft().where() + " (" + shadow.draft().action().describe() + ") already takes it "
              + (shadow.draft().conditions().isEmpty() ? "unconditionally" : "whenever this rule's conditions hold")
              + (sameAction ? "; remove it here" : "; contradictory rules: put the rule with more conditions first, or remove one"));
        }
      }
      if (!names.isEmpty()) {
        out.add(new Kept(d, names));
      }
    }
    return out;
  }

  /** A forbidden syscall that some argument values would let through needs {@code unsafe: true}. */
  private void unsafeCheck(SeccompPolicy policy, List<Kept> kept, Node defaultNode, boolean unsafe, Node unsafeNode) {
    Map<String, Node> allowedAt = new LinkedHashMap<>();
    for (String name : FORBIDDEN) {
      if (!syscalls.knownOnAnyArch(name)) {
        continue;
      }
      Node where = null;
      boolean decided = false;
      for (Kept k : kept) {
        if (!k.names().contains(name)) {
          continue;
        }
        if (permits(k.draft().action())) {
          where = k.draft().entries().stream().filter(e -> e.name().equals(name)).findFirst()
              .map(Entry::node).orElse(k.draft().node());
          break;
        }
        if (k.draft().conditions().isEmpty()) {
          decided = true;
          break;
        }
      }
      if (where == null && !decided && permits(policy.defaultAction())) {
        where = defaultNode;
      }
      if (where != null) {
        allowedAt.put(name, where);
      }
    }
    if (allowedAt.isEmpty()) {
      if (unsafe) {
        warnings.add(at(unsafeNode.getStartMark()) + ": unsafe: true is not needed: nothing forbidden is allowed");
      }
      return;
    }
    if (unsafe) {
      warnings.add(at(unsafeNode.getStartMark()) + ": unsafe: this profile allows " + String.join(", ", allowedAt.keySet())
          + ", which the product forbids in every other profile");
      return;
    }
    Map<Node, List<String>> byNode = new LinkedHashMap<>();
    allowedAt.forEach((name, n) -> byNode.computeIfAbsent(n, x -> new ArrayList<>()).add(name));
    byNode.forEach((n, names) -> problem(n, n == defaultNode ? "seccomp.default" : "seccomp.rules",
        "allows " + String.join(", ", names) + ", which no profile may allow; deny "
            + (names.size() == 1 ? "it" : "them") + " (e.g. a rule '{action: errno EPERM, syscalls: ["
            + String.join(", ", names) + "]}' before this) or, if you really mean it, set 'unsafe: true'"));
  }

  private static boolean permits(SeccompAction action) {
    return action instanceof SeccompAction.Allow || action instanceof SeccompAction.Log;
  }

  private static final Pattern CONDITION = Pattern.compile(
      "\\s*(?:low32\\(\\s*arg(?<low>\\d+)\\s*\\)|arg(?<arg>\\d+))\\s*(?:&(?<mask>[^=!<>]+))?"
          + "(?<op>==|!=|<=|>=|<|>)(?<value>.+)");
  static final String CONDITION_FORMAT = "'argN OP VALUE', 'argN & MASK == VALUE' (or !=), or the same with"
      + " low32(argN); N 0..5, OP one of == != < <= > >=; MASK and VALUE numbers (42, 0x2a, -1) or constants"
      + " joined with |";

  /** Parses {@code arg1 & SOCK_TYPE_MASK == SOCK_RAW}, {@code low32(arg1) == TIOCSTI}, {@code arg2 < 0x1000}. */
  private ArgCondition condition(Node node, String field, String text) {
    Matcher m = CONDITION.matcher(text.strip());
    if (!m.matches()) {
      problem(node, field, "cannot read condition '" + text + "'; expected " + CONDITION_FORMAT);
      return null;
    }
    boolean low32 = m.group("low") != null;
    String indexText = low32 ? m.group("low") : m.group("arg");
    if (indexText.length() > 1 || indexText.charAt(0) > '5') {
      problem(node, field, "arg" + indexText + ": a syscall has six arguments, arg0..arg5");
      return null;
    }
    int index = Integer.parseInt(indexText);
    ArgCondition.Op op = ArgCondition.Op.fromSpelling(m.group("op")).orElseThrow();
    if (m.group("mask") != null && !op.equality()) {
      problem(node, field, "a mask only goes with == or != ('argN & MASK == VALUE'); " + op.spelling()
          + " compares the whole argument");
      return null;
    }
    Long value = constantExpression(node, field, m.group("value"), low32);
    Long mask = m.group("mask") == null ? Long.valueOf(low32 ? ArgCondition.LOW32 : -1L)
        : constantExpression(node, field, m.group("mask"), low32);
    if (value == null || mask == null) {
      return null;
    }
    return build(node, field, () -> new ArgCondition(index, op, mask, value, low32));
  }

  /** {@code 17}, {@code 0x5412}, {@code -1}, {@code AF_PACKET}, {@code CLONE_NEWNS | CLONE_NEWUSER}. */
  private Long constantExpression(Node node, String field, String text, boolean low32) {
    long result = 0;
    for (String term : text.split("\\|", -1)) {
      String t = term.strip();
      Long v = null;
      if (t.matches("0[xX][0-9a-fA-F]+") || t.matches("-?\\d+")) {
        java.math.BigInteger big = t.startsWith("0x") || t.startsWith("0X")
            ? new java.math.BigInteger(t.substring(2), 16) : new java.math.BigInteger(t);
        java.math.BigInteger limit = java.math.BigInteger.ONE.shiftLeft(low32 ? 32 : 64);
        if (big.signum() < 0 && big.negate().compareTo(limit.shiftRight(1)) <= 0) {
          big = big.add(limit);
        }
        if (big.signum() < 0 || big.compareTo(limit) >= 0) {
          problem(node, field, "'" + t + "' is out of range: " + (low32 ? "low32(argN) holds 0..0xffffffff"
              : "an argument holds 0..0xffffffffffffffff") + " (negative values down to "
              + (low32 ? "-2147483648" : "-9223372036854775808") + " wrap around)");
          return null;
        }
        v = big.longValue();
      } else if (t.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        v = LinuxConstants.byName(t).orElse(null);
        if (v == null) {
          if (LinuxConstants.ARCH_DEPENDENT.contains(t)) {
            problem(node, field, "'" + t + "' has different values on x86_64 and aarch64; write the number for"
                + " the architecture you compile for");
          } else {
            problem(node, field, "unknown constant '" + t + "'" + Suggest.hint(t, LinuxConstants.names())
                + " (constants: AF_*, SOCK_*, CLONE_*, TIOC*, O_*, PROT_*, MAP_*, PER_*; see docs/policy.md)");
          }
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

  private static final Pattern ERRNO = Pattern.compile("errno\\s*(?:\\(\\s*(?<p>[^)\\s]+)\\s*\\)|\\s(?<w>\\S+))");

  private SeccompAction action(Node node, String field) {
    String text = string(node, field);
    if (text == null) {
      return null;
    }
    String t = text.strip();
    Matcher m = ERRNO.matcher(t);
    if (m.matches()) {
      String arg = m.group("p") != null ? m.group("p") : m.group("w");
      if (arg.matches("-?\\d+")) {
        long n = arg.length() > 6 ? Long.MAX_VALUE : Long.parseLong(arg);
        if (n < 1 || n > Errno.MAX) {
          problem(node, field, "errno " + arg + " is out of range: 1.." + Errno.MAX);
          return null;
        }
        return SeccompAction.errno((int) n);
      }
      Optional<Integer> errno = Errno.byName(arg);
      if (errno.isEmpty()) {
        problem(node, field, "unknown errno '" + arg + "'" + Suggest.hint(arg, Errno.names())
            + " (a name from errno.h such as EPERM, EACCES, ENOSYS, or a number 1.." + Errno.MAX + ")");
        return null;
      }
      return SeccompAction.errno(errno.get());
    }
    SeccompAction action = switch (t) {
      case "allow" -> new SeccompAction.Allow();
      case "log" -> new SeccompAction.Log();
      case "trap" -> new SeccompAction.Trap();
      case "kill-thread" -> new SeccompAction.KillThread();
      case "kill-process" -> new SeccompAction.KillProcess();
      default -> null;
    };
    if (action == null) {
      problem(node, field, "unknown action '" + text + "'"
          + Suggest.hint(t, List.of("allow", "log", "trap", "kill-thread", "kill-process", "errno"))
          + (Suggest.near(t, List.of("allow", "log", "trap", "kill-thread", "kill-process", "errno")).isEmpty()
              ? "; expected one of: " + String.join(", ", ACTIONS) + ""
              : " (expected one of: " + String.join(", ", ACTIONS) + ")"));
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
    return mark.map(m -> (m.getName() == null ? origin : m.getName()) + ":" + (m.getLine() + 1) + ":"
        + (m.getColumn() + 1)).orElse(origin);
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
              "unknown field" + Suggest.hint(e.getKey(), read) + " (expected one of: " + String.join(", ", read) + ")");
        }
      }
    }

    private String field(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }
  }
}

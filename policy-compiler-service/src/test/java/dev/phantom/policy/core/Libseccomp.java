package dev.phantom.policy.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The system's libseccomp (through jnr-ffi), used to build the same rules as a {@link SeccompPolicy}
 * and export its BPF, for the differential test and the benchmark. libseccomp has no "first matching
 * rule wins": rules of one syscall are ORed per action, and an unconditional rule replaces conditional
 * ones. So a syscall is translated only when its rules mean the same there (see {@link #translate});
 * the others are reported as not expressible and left out of both programs.
 */
public final class Libseccomp {

  public static final String LIBRARY = "/usr/lib/x86_64-linux-gnu/libseccomp.so.2";

  // enum scmp_compare
  static final int CMP_NE = 1, CMP_LT = 2, CMP_LE = 3, CMP_EQ = 4, CMP_GE = 5, CMP_GT = 6, CMP_MASKED_EQ = 7;
  // enum scmp_filter_attr
  static final int ATTR_ACT_BADARCH = 2, ATTR_CTL_OPTIMIZE = 8;

  public interface Native {
    Pointer seccomp_init(int defAction);

    void seccomp_release(Pointer ctx);

    int seccomp_arch_add(Pointer ctx, int arch);

    int seccomp_arch_remove(Pointer ctx, int arch);

    int seccomp_arch_native();

    int seccomp_attr_set(Pointer ctx, int attr, int value);

    int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCnt, Pointer args);

    int seccomp_syscall_resolve_name(String name);

    int seccomp_export_bpf(Pointer ctx, int fd);

    Pointer seccomp_version();
  }

  public interface LibC {
    int open(String path, int flags, int mode);

    int close(int fd);
  }

  private static Native lib;
  private static LibC libc;

  /** Empty when the library cannot be loaded here. */
  public static synchronized Optional<Native> load() {
    if (lib == null) {
      if (!Files.isReadable(Path.of(LIBRARY))) {
        return Optional.empty();
      }
      lib = LibraryLoader.create(Native.class).load(LIBRARY);
      libc = LibraryLoader.create(LibC.class).load("c");
    }
    return Optional.of(lib);
  }

  /** "2.5.4" */
  public static String version() {
    Pointer v = load().orElseThrow().seccomp_version();
    return v.getInt(0) + "." + v.getInt(4) + "." + v.getInt(8);
  }

  /** One comparison as libseccomp takes it ({@code struct scmp_arg_cmp}). */
  public record Cmp(int arg, int op, long a, long b) {}

  /** One {@code seccomp_rule_add_array} call. */
  public record Rule(String syscall, SeccompAction action, List<Cmp> cmps) {}

  /**
   * @param rules what to hand libseccomp
   * @param restricted the policy both programs implement: the input minus the syscalls left out
   * @param notExpressible syscalls left out, with why
   */
  public record Translation(List<Rule> rules, SeccompPolicy restricted, Map<String, String> notExpressible) {}

  /** Maps a policy's rules onto libseccomp's model where the meaning is the same. */
  public static Translation translate(SeccompPolicy policy, SyscallTable table) {
    Map<String, List<SeccompRule>> bySyscall = new LinkedHashMap<>();
    for (SeccompRule r : policy.rules()) {
      for (String s : r.syscalls()) {
        if (table.number(s).isPresent()) {
          bySyscall.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
        }
      }
    }
    SeccompAction def = policy.defaultAction();
    List<Rule> out = new ArrayList<>();
    Map<String, String> left = new LinkedHashMap<>();
    for (Map.Entry<String, List<SeccompRule>> e : bySyscall.entrySet()) {
      String name = e.getKey();
      if (load().orElseThrow().seccomp_syscall_resolve_name(name) < 0 && !name.isEmpty()) {
        int nr = load().orElseThrow().seccomp_syscall_resolve_name(name);
        if (nr == -1) { // __NR_SCMP_ERROR: not in libseccomp's tables
          left.put(name, "unknown to libseccomp " + version());
          continue;
        }
      }
      List<SeccompRule> rules = new ArrayList<>(e.getValue());
      // an unconditional rule ends the list; with the default's action it changes nothing
      SeccompRule last = rules.getLast();
      if (last.unconditional()) {
        rules.removeLast();
        if (rules.isEmpty()) {
          if (!last.action().equals(def)) {
            out.add(new Rule(name, last.action(), List.of()));
          }
          continue;
        }
        if (!last.action().equals(def)) {
          left.put(name, "conditional rules with an unconditional fallback other than the default");
          continue;
        }
      }
      // trailing rules with the default's action change nothing
      while (!rules.isEmpty() && rules.getLast().action().equals(def)) {
        rules.removeLast();
      }
      if (rules.stream().anyMatch(r -> r.action().equals(def))) {
        left.put(name, "a rule with the default action shields later ones");
        continue;
      }
      Set<SeccompAction> actions = new LinkedHashSet<>();
      rules.forEach(r -> actions.add(r.action()));
      if (actions.size() > 1 && !pairwiseDisjoint(rules)) {
        left.put(name, "overlapping rules with different actions (first match wins here, not in libseccomp)");
        continue;
      }
      List<Rule> mine = new ArrayList<>();
      String why = null;
      for (SeccompRule r : rules) {
        List<List<Cmp>> alternatives = cmps(r.conditions());
        if (alternatives == null) {
          why = "a condition libseccomp cannot express (" + r.conditions() + ")";
          break;
        }
        if (alternatives.size() > 1 && actions.size() > 1) {
          why = "a != that needs several libseccomp rules among rules with different actions";
          break;
        }
        for (List<Cmp> alt : alternatives) {
          mine.add(new Rule(name, r.action(), alt));
        }
      }
      if (why != null) {
        left.put(name, why);
        continue;
      }
      out.addAll(mine);
    }
    List<SeccompRule> restricted = new ArrayList<>();
    for (SeccompRule r : policy.rules()) {
      List<String> keep = r.syscalls().stream().filter(s -> !left.containsKey(s)).toList();
      if (!keep.isEmpty()) {
        restricted.add(new SeccompRule(keep, r.conditions(), r.action()));
      }
    }
    return new Translation(out, new SeccompPolicy(def, restricted), left);
  }

  /** Sufficient test: every pair has == conditions on the same bits of one argument with different values. */
  private static boolean pairwiseDisjoint(List<SeccompRule> rules) {
    for (int i = 0; i < rules.size(); i++) {
      for (int j = i + 1; j < rules.size(); j++) {
        boolean disjoint = false;
        for (ArgCondition a : rules.get(i).conditions()) {
          for (ArgCondition b : rules.get(j).conditions()) {
            if (a.op() == ArgCondition.Op.EQ && b.op() == ArgCondition.Op.EQ && a.index() == b.index()
                && a.low32() == b.low32() && a.mask() == b.mask() && a.value() != b.value()) {
              disjoint = true;
            }
          }
        }
        if (!disjoint) {
          return false;
        }
      }
    }
    return true;
  }

  /** The conditions as alternatives (ORed) of comparison lists (ANDed); null when not expressible. */
  private static List<List<Cmp>> cmps(List<ArgCondition> conditions) {
    List<List<Cmp>> alternatives = new ArrayList<>();
    alternatives.add(new ArrayList<>());
    Set<Integer> args = new LinkedHashSet<>();
    for (ArgCondition c : conditions) {
      if (!args.add(c.index())) {
        return null; // one comparison per argument and rule in libseccomp
      }
      List<Cmp> options = new ArrayList<>();
      boolean full = c.mask() == -1L;
      switch (c.op()) {
        case EQ -> options.add(full ? new Cmp(c.index(), CMP_EQ, c.value(), 0)
            : new Cmp(c.index(), CMP_MASKED_EQ, c.mask(), c.value()));
        case NE -> {
          if (full) {
            options.add(new Cmp(c.index(), CMP_NE, c.value(), 0));
          } else {
            // (a & m) != v  <=>  some bit of m differs from v
            for (int bit = 0; bit < 64; bit++) {
              long b = 1L << bit;
              if ((c.mask() & b) != 0) {
                options.add(new Cmp(c.index(), CMP_MASKED_EQ, b, ~c.value() & b));
              }
            }
          }
        }
        case LT, LE, GT, GE -> {
          if (c.low32()) {
            return null; // libseccomp compares all 64 bits
          }
          int op = switch (c.op()) {
            case LT -> CMP_LT;
            case LE -> CMP_LE;
            case GT -> CMP_GT;
            default -> CMP_GE;
          };
          options.add(new Cmp(c.index(), op, c.value(), 0));
        }
      }
      List<List<Cmp>> next = new ArrayList<>();
      for (List<Cmp> alt : alternatives) {
        for (Cmp o : options) {
          List<Cmp> n = new ArrayList<>(alt);
          n.add(o);
          next.add(n);
        }
      }
      alternatives = next;
    }
    return alternatives;
  }

  /** libseccomp's BPF for these rules on {@code arch}, SCMP_FLTATR_CTL_OPTIMIZE=2 (binary tree). */
  public static BpfProgram export(List<Rule> rules, SeccompAction defaultAction, Arch arch, Path scratch) {
    Native n = load().orElseThrow();
    Pointer ctx = n.seccomp_init(defaultAction.returnValue());
    try {
      check(n.seccomp_arch_remove(ctx, n.seccomp_arch_native()), "arch_remove");
      check(n.seccomp_arch_add(ctx, arch.auditArch()), "arch_add");
      check(n.seccomp_attr_set(ctx, ATTR_ACT_BADARCH, Seccomp.RET_KILL_PROCESS), "attr ACT_BADARCH");
      check(n.seccomp_attr_set(ctx, ATTR_CTL_OPTIMIZE, 2), "attr CTL_OPTIMIZE=2");
      Runtime runtime = Runtime.getRuntime(n);
      for (Rule r : rules) {
        int nr = n.seccomp_syscall_resolve_name(r.syscall());
        Pointer array = null;
        if (!r.cmps().isEmpty()) {
          array = Memory.allocateDirect(runtime, 24 * r.cmps().size());
          for (int i = 0; i < r.cmps().size(); i++) {
            Cmp c = r.cmps().get(i);
            array.putInt(24L * i, c.arg());
            array.putInt(24L * i + 4, c.op());
            array.putLong(24L * i + 8, c.a());
            array.putLong(24L * i + 16, c.b());
          }
        }
        check(n.seccomp_rule_add_array(ctx, r.action().returnValue(), nr, r.cmps().size(), array),
            "rule_add " + r);
      }
      Path file = Files.createTempFile(scratch, "libseccomp", ".bpf");
      int fd = libc.open(file.toString(), 1 /* O_WRONLY */, 0600);
      if (fd < 0) {
        throw new IllegalStateException("open " + file);
      }
      try {
        check(n.seccomp_export_bpf(ctx, fd), "export_bpf");
      } finally {
        libc.close(fd);
      }
      byte[] bytes = Files.readAllBytes(file);
      Files.delete(file);
      return parse(bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      n.seccomp_release(ctx);
    }
  }

  static BpfProgram parse(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    List<BpfInstruction> out = new ArrayList<>();
    while (in.remaining() >= 8) {
      out.add(new BpfInstruction(in.getShort() & 0xffff, in.get() & 0xff, in.get() & 0xff, in.getInt()));
    }
    return new BpfProgram(out);
  }

  private static void check(int rc, String what) {
    if (rc < 0) {
      throw new IllegalStateException("libseccomp " + what + ": " + rc);
    }
  }
}

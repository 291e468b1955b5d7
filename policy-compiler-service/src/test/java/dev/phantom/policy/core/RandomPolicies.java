package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Random but valid policies (no rule shadowed by an earlier unconditional one) and argument vectors
 * that hit the policies' constants, their neighbours and their high halves.
 */
final class RandomPolicies {

  static final List<SeccompAction> ACTIONS = List.of(SeccompAction.ALLOW, SeccompAction.errno(1),
      SeccompAction.errno(13), SeccompAction.errno(4094), new SeccompAction.Trap(), new SeccompAction.Log(),
      new SeccompAction.KillThread(), SeccompAction.KILL_PROCESS);

  private RandomPolicies() {}

  /**
   * @param disjoint only rules libseccomp can express with the same meaning: conditional rules of one
   *     syscall all compare the same argument with == against distinct values (or one range rule), and
   *     a syscall with conditions has no unconditional fallback
   */
  static SeccompPolicy generate(Random random, Syscalls syscalls, boolean disjoint) {
    List<String> names = new ArrayList<>(syscalls.allNames());
    SeccompAction defaultAction = ACTIONS.get(random.nextInt(ACTIONS.size()));
    List<SeccompRule> rules = new ArrayList<>();
    Set<String> decided = new LinkedHashSet<>();
    int conditional = 1 + random.nextInt(8);
    for (int i = 0; i < conditional; i++) {
      String name = names.get(random.nextInt(names.size()));
      if (!decided.add(name)) {
        continue;
      }
      int rulesForIt = 1 + random.nextInt(4);
      int arg = random.nextInt(6);
      boolean low32 = random.nextBoolean();
      long base = random.nextBoolean() ? random.nextInt(64) : random.nextLong();
      if (low32) {
        base &= ArgCondition.LOW32;
      }
      for (int r = 0; r < rulesForIt; r++) {
        SeccompAction action = ACTIONS.get(random.nextInt(ACTIONS.size()));
        List<ArgCondition> conditions = new ArrayList<>();
        if (disjoint) {
          if (rulesForIt == 1 && random.nextBoolean()) {
            ArgCondition.Op op = ArgCondition.Op.values()[random.nextInt(6)];
            conditions.add(new ArgCondition(arg, op, low32 ? ArgCondition.LOW32 : -1L, base, low32));
          } else {
            long value = low32 ? (base + r) & ArgCondition.LOW32 : base + r;
            conditions.add(new ArgCondition(arg, ArgCondition.Op.EQ, low32 ? ArgCondition.LOW32 : -1L, value, low32));
          }
          if (random.nextInt(3) == 0) {
            // a second condition on another argument (ANDed): keeps the rules disjoint
            int other = (arg + 1 + random.nextInt(5)) % 6;
            long mask = random.nextBoolean() ? -1L : (random.nextLong() | 1);
            long v = random.nextLong() & mask;
            conditions.add(new ArgCondition(other, ArgCondition.Op.EQ, mask, v, false));
          }
        } else {
          int n = 1 + random.nextInt(3);
          for (int c = 0; c < n; c++) {
            conditions.add(randomCondition(random, random.nextBoolean() ? arg : random.nextInt(6), base));
          }
        }
        rules.add(new SeccompRule(List.of(name), conditions, action));
      }
      if (!disjoint && random.nextBoolean()) {
        rules.add(new SeccompRule(List.of(name), ACTIONS.get(random.nextInt(ACTIONS.size()))));
      }
    }
    // unconditional rules over random sets of names, a few groups' worth
    int unconditional = random.nextInt(6);
    for (int i = 0; i < unconditional; i++) {
      List<String> some = new ArrayList<>();
      int n = 1 + random.nextInt(40);
      for (int j = 0; j < n; j++) {
        String name = names.get(random.nextInt(names.size()));
        if (decided.add(name)) {
          some.add(name);
        }
      }
      if (!some.isEmpty()) {
        rules.add(new SeccompRule(some, ACTIONS.get(random.nextInt(ACTIONS.size()))));
      }
    }
    return new SeccompPolicy(defaultAction, rules);
  }

  static ArgCondition randomCondition(Random random, int arg, long base) {
    boolean low32 = random.nextBoolean();
    ArgCondition.Op op = ArgCondition.Op.values()[random.nextInt(6)];
    long full = low32 ? ArgCondition.LOW32 : -1L;
    long value = (random.nextBoolean() ? base + random.nextInt(3) : random.nextLong()) & full;
    long mask = full;
    if (op.equality() && random.nextBoolean()) {
      mask = random.nextLong() & full;
      if (mask == 0) {
        mask = 1;
      }
      value &= mask;
    }
    return new ArgCondition(arg, op, mask, value, low32);
  }

  /** Argument vectors around the policy's constants: equal, off by one, other high half, random. */
  static long[] arguments(Random random, SeccompPolicy policy) {
    List<Long> interesting = new ArrayList<>(List.of(0L, 1L, -1L, 0xffffffffL, 0x1_0000_0000L, 0x8000_0000L));
    for (SeccompRule r : policy.rules()) {
      for (ArgCondition c : r.conditions()) {
        interesting.add(c.value());
        interesting.add(c.value() + 1);
        interesting.add(c.value() - 1);
        interesting.add(c.value() | ~c.mask());
        interesting.add(c.value() ^ 0xffff_ffff_0000_0000L);
        interesting.add(c.value() & 0xffffffffL);
      }
    }
    long[] args = new long[6];
    for (int a = 0; a < 6; a++) {
      args[a] = random.nextInt(3) == 0 ? random.nextLong() : interesting.get(random.nextInt(interesting.size()));
    }
    return args;
  }
}

package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The search from a syscall number to its leaf, with the number in the accumulator and nothing else
 * loaded, so the kernel's per-syscall cache sees a constant answer for every argument-free syscall.
 *
 * <p>The number line is cut into ranges of equal answers. Ranges are grouped into units: one range, or
 * a background answer with at most {@link #MAX_CHAIN} single numbers in it, each tested by a
 * {@code jeq} ({@code A x A y A} costs two {@code jeq}s, where a search over its five ranges costs
 * four {@code jge}s). The grouping with the fewest instructions is found by dynamic programming; a
 * {@code jge} tree joins the units, balanced by height (a greedy merge of the adjacent pair whose higher
 * side is lowest), so the longest path stays close to log2(units) + chain + leaf. Leaves that
 * are only an answer cost nothing: the jumps aim at the program's shared {@code RET}s.
 */
final class Dispatch {

  /** Longest {@code jeq} chain in a unit: more saves a few instructions and lengthens paths. */
  static final int MAX_CHAIN = 3;

  /**
   * What a range gets: an answer straight away, or an argument block for one syscall (its branches;
   * such a leaf is never the same answer as another, so it always is a range of its own).
   */
  record Leaf(SeccompAction action, List<SeccompCompiler.Branch> branches) {
    static Leaf of(SeccompAction action) {
      return new Leaf(action, null);
    }

    static Leaf block(List<SeccompCompiler.Branch> branches) {
      return new Leaf(null, branches);
    }

    boolean isReturn() {
      return branches == null;
    }

    boolean sameAnswer(Leaf other) {
      return isReturn() && other.isReturn() && action.equals(other.action);
    }
  }

  /** Numbers from {@code first} up to the next range's first. */
  record Range(long first, Leaf leaf) {}

  /** A node of the jge tree: a unit (background range and its chained single numbers) or a split. */
  private record Node(int first, int height, Range background, List<Range> chain, Node left, Node right) {
    boolean isReturnOnly() {
      return left == null && chain.isEmpty() && background.leaf().isReturn();
    }
  }

  private final BpfAssembler asm;
  private final BiConsumer<BpfAssembler, Leaf> blocks;
  private final Arch arch;
  private final Map<Leaf, Integer> paths = new IdentityHashMap<>();

  /** @param blocks emits the argument block of a leaf that has one, ending in a jump or return */
  Dispatch(BpfAssembler asm, Arch arch, BiConsumer<BpfAssembler, Leaf> blocks) {
    this.asm = asm;
    this.arch = arch;
    this.blocks = blocks;
  }

  /** Appends a range unless the previous one has the same answer. */
  static void add(List<Range> ranges, long first, Leaf leaf) {
    if (!ranges.isEmpty() && ranges.getLast().leaf().sameAnswer(leaf)) {
      return;
    }
    ranges.add(new Range(first, leaf));
  }

  /** Emits the search over {@code ranges} (covering 0..2^32-1, in order). */
  void emit(List<Range> ranges) {
    Node root = tree(units(ranges));
    if (root.isReturnOnly()) {
      asm.goTo(asm.returnLabel(root.background().leaf().action().returnValue()));
    } else {
      node(root);
    }
  }

  /** Splits the ranges into units with the fewest instructions in all: (units - 1) jge + the jeqs. */
  private List<Node> units(List<Range> ranges) {
    int n = ranges.size();
    int[] cost = new int[n + 1];
    int[] end = new int[n];
    int[] background = new int[n];
    for (int i = n - 1; i >= 0; i--) {
      cost[i] = Integer.MAX_VALUE;
      // the background first shows at i..i+MAX_CHAIN (everything before it is chained)
      for (int b = i; b < n && b <= i + MAX_CHAIN; b++) {
        if (shownBefore(ranges, i, b)) {
          continue;
        }
        int jeqs = 0;
        for (int j = i; j < n; j++) {
          if (j != b && !ranges.get(j).leaf().sameAnswer(ranges.get(b).leaf())) {
            if (!single(ranges, j) || ++jeqs > MAX_CHAIN) {
              break;
            }
          }
          if (j >= b && jeqs + 1 + cost[j + 1] < cost[i]) {
            cost[i] = jeqs + 1 + cost[j + 1];
            end[i] = j;
            background[i] = b;
          }
        }
      }
    }
    List<Node> units = new ArrayList<>();
    for (int i = 0; i < n; i = end[i] + 1) {
      Range bg = ranges.get(background[i]);
      List<Range> chain = new ArrayList<>();
      for (int k = i; k <= end[i]; k++) {
        if (k != background[i] && !ranges.get(k).leaf().sameAnswer(bg.leaf())) {
          chain.add(ranges.get(k));
        }
      }
      // deeper leaves first, so the chain adds least to the longest path
      chain.sort(Comparator.comparingInt((Range r) -> -path(r.leaf())).thenComparingLong(Range::first));
      int height = chain.size() + path(bg.leaf());
      for (int p = 0; p < chain.size(); p++) {
        height = Math.max(height, p + 1 + path(chain.get(p).leaf()));
      }
      units.add(new Node((int) ranges.get(i).first(), height, bg, chain, null, null));
    }
    return units;
  }

  /** Whether the answer of range b already shows in i..b-1 (then that range is the same background). */
  private static boolean shownBefore(List<Range> ranges, int i, int b) {
    for (int k = i; k < b; k++) {
      if (ranges.get(k).leaf().sameAnswer(ranges.get(b).leaf())) {
        return true;
      }
    }
    return false;
  }

  /** Whether range k is one number (the last range runs to 2^32-1, so it never is). */
  private static boolean single(List<Range> ranges, int k) {
    return k + 1 < ranges.size() && ranges.get(k + 1).first() == ranges.get(k).first() + 1;
  }

  /** Joins units into a jge tree: repeatedly the adjacent pair whose higher one is lowest (leftmost on ties). */
  private static Node tree(List<Node> units) {
    List<Node> level = new ArrayList<>(units);
    while (level.size() > 1) {
      int best = 0;
      for (int i = 1; i + 1 < level.size(); i++) {
        if (pairHeight(level, i) < pairHeight(level, best)) {
          best = i;
        }
      }
      Node l = level.get(best);
      Node r = level.get(best + 1);
      level.set(best, new Node(l.first(), pairHeight(level, best), null, List.of(), l, r));
      level.remove(best + 1);
    }
    return level.getFirst();
  }

  private static int pairHeight(List<Node> level, int i) {
    return 1 + Math.max(level.get(i).height(), level.get(i + 1).height());
  }

  /** Instructions on the longest path through a leaf, its return included. */
  private int path(Leaf leaf) {
    if (leaf.isReturn()) {
      return 1;
    }
    // an argument block only jumps forward: at most all its instructions, then a return
    return paths.computeIfAbsent(leaf, l -> {
      BpfAssembler scratch = new BpfAssembler(arch);
      scratch.setAccumulator(Seccomp.OFFSET_NR);
      blocks.accept(scratch, l);
      return scratch.size() + 1;
    });
  }

  /** Where a jump to this node goes without emitting it here: a shared return, or null (code needed). */
  private BpfAssembler.Label returnTarget(Node node) {
    return node.isReturnOnly() ? asm.returnLabel(node.background().leaf().action().returnValue()) : null;
  }

  private void node(Node node) {
    if (node.left() == null) {
      unit(node);
      return;
    }
    BpfAssembler.Label left = returnTarget(node.left());
    BpfAssembler.Label right = returnTarget(node.right());
    // the left side falls through when it needs code; otherwise the right side does
    BpfAssembler.Label rightCode = left == null && right == null ? asm.label() : null;
    asm.jump(Bpf.JGE, node.right().first(), right != null ? right : rightCode, left);
    if (left == null) {
      node(node.left());
    }
    if (rightCode != null) {
      asm.bind(rightCode);
    }
    if (right == null) {
      node(node.right());
    }
  }

  private void unit(Node unit) {
    Leaf bg = unit.background().leaf();
    List<BpfAssembler.Label> blockLabels = new ArrayList<>();
    for (int p = 0; p < unit.chain().size(); p++) {
      Range single = unit.chain().get(p);
      boolean answer = single.leaf().isReturn();
      BpfAssembler.Label target = answer ? asm.returnLabel(single.leaf().action().returnValue()) : asm.label();
      blockLabels.add(answer ? null : target); // its argument block follows the chain
      boolean last = p == unit.chain().size() - 1;
      BpfAssembler.Label otherwise = last && bg.isReturn() ? asm.returnLabel(bg.action().returnValue()) : null;
      asm.jump(Bpf.JEQ, (int) single.first(), target, otherwise);
    }
    if (!bg.isReturn()) {
      blocks.accept(asm, bg);
    }
    for (int p = 0; p < unit.chain().size(); p++) {
      if (blockLabels.get(p) != null) {
        asm.bind(blockLabels.get(p));
        blocks.accept(asm, unit.chain().get(p).leaf());
      }
    }
  }
}

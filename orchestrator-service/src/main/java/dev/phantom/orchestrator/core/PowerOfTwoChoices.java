package dev.phantom.orchestrator.core;

import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Power-of-two-choices placement: sample two distinct eligible nodes at random and take the better
 * one. Comparing two instead of all keeps many orchestrators (or one fed stale reports) from sending
 * a whole burst to the same "best" node, while still avoiding the worst ones: the expected maximum
 * load falls from log n / log log n to log log n (Mitzenmacher). Not thread-safe only through the
 * injected generator.
 */
public final class PowerOfTwoChoices {

  /** The node chosen and its score, plus whether every eligible node was under pressure. */
  public record Choice(NodePressure node, PlacementScorer.Score score, boolean allPressured) {}

  private final PlacementScorer scorer;
  private final RandomGenerator random;

  public PowerOfTwoChoices(PlacementScorer scorer, RandomGenerator random) {
    this.scorer = scorer;
    this.random = random;
  }

  public PlacementScorer scorer() {
    return scorer;
  }

  /** The chosen node, or empty when no node can run the request. */
  public Optional<Choice> choose(List<NodePressure> nodes, PlacementRequest request) {
    List<Scored> eligible = nodes.stream()
        .map(node -> new Scored(node, scorer.score(node, request)))
        .filter(scored -> scored.score.eligible())
        .toList();
    if (eligible.isEmpty()) {
      return Optional.empty();
    }
    boolean allPressured = eligible.stream().allMatch(s -> s.score.tier() == PlacementScorer.Tier.PRESSURED);
    Scored winner;
    if (eligible.size() == 1) {
      winner = eligible.get(0);
    } else {
      int first = random.nextInt(eligible.size());
      int second = random.nextInt(eligible.size() - 1);
      if (second >= first) {
        second++; // distinct from the first without a retry loop
      }
      Scored a = eligible.get(first);
      Scored b = eligible.get(second);
      winner = b.score.compareTo(a.score) < 0 ? b : a;
    }
    return Optional.of(new Choice(winner.node, winner.score, allPressured));
  }

  private record Scored(NodePressure node, PlacementScorer.Score score) {}
}

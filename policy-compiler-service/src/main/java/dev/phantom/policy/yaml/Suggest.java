package dev.phantom.policy.yaml;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** "did you mean ...?" by edit distance. */
final class Suggest {

  private Suggest() {}

  /** Up to three candidates close to {@code word}, closest first; empty when none is close. */
  static List<String> near(String word, Collection<String> candidates) {
    int limit = Math.max(2, word.length() / 3);
    List<String[]> scored = new ArrayList<>();
    for (String c : candidates) {
      int d = distance(word.toLowerCase(), c.toLowerCase());
      if (d <= limit || (c.length() > 3 && (c.contains(word) || word.contains(c)) && word.length() > 3)) {
        scored.add(new String[] {c, Integer.toString(d)});
      }
    }
    scored.sort(Comparator.<String[]>comparingInt(s -> Integer.parseInt(s[1])).thenComparing(s -> s[0]));
    if (scored.isEmpty()) {
      return List.of();
    }
    String best = scored.getFirst()[1];
    return scored.stream().filter(s -> s[1].equals(best)).limit(3).map(s -> s[0]).toList();
  }

  /** "; did you mean 'x'?" / "; did you mean 'x', 'y'?" or "" */
  static String hint(String word, Collection<String> candidates) {
    List<String> near = near(word, candidates);
    if (near.isEmpty()) {
      return "";
    }
    return "; did you mean " + String.join(" or ", near.stream().map(s -> "'" + s + "'").toList()) + "?";
  }

  /** Damerau-Levenshtein distance (optimal string alignment): transpositions count as one edit. */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}

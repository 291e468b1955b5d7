package dev.phantom.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A self-contained HTML page of a result: tables and inline SVG plots, no scripts, no network. */
final class HtmlReport {

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
      "#e377c2", "#17becf", "#7f7f7f"};
  private static final int W = 860;
  private static final int H = 300;
  private static final int L = 60;
  private static final int R = 150;
  private static final int T = 20;
  private static final int B = 40;

  private HtmlReport() {}

  static String render(JsonObject result) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Phantom Fragment load test</title>")
        .append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:960px;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}")
        .append("th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}svg{background:#fff;border:1px solid #ddd}")
        .append(".note{color:#666;font-size:90%}</style></head><body>");
    JsonObject config = result.getJsonObject("config", new JsonObject());
    h.append("<h1>Phantom Fragment load test</h1><p class=\"note\">").append(esc(result.getString("startedAt", "")))
        .append(" &middot; ").append(esc(config.getString("mode", ""))).append(" &middot; mix ")
        .append(esc(config.getString("mix", ""))).append(" &middot; measured ")
        .append(fmt(result.getDouble("measuredSeconds", 0.0))).append(" s")
        .append(result.getBoolean("interrupted", false) ? " &middot; <b>interrupted: partial result</b>" : "")
        .append("</p>");

    List<JsonObject> series = new ArrayList<>();
    series.add(result.getJsonObject("overall"));
    result.getJsonArray("scenarios", new JsonArray()).forEach(s -> series.add((JsonObject) s));
    h.append("<h2>Latency</h2><p class=\"note\">Milliseconds from the intended send time")
        .append("open".equals(config.getString("mode")) ? " (open loop: queueing is included)" : "")
        .append(" to the complete reply. Warm-up excluded.</p>");
    h.append(table(series));
    errors(h, series);

    h.append("<h2>Latency over time</h2>").append(overTime(result.getJsonArray("timeline", new JsonArray())));
    h.append("<h2>Percentile distribution</h2>");
    List<JsonObject> dist = new ArrayList<>(series);
    JsonObject compare = result.getJsonObject("compare");
    if (compare != null) {
      compare.getJsonArray("series", new JsonArray()).forEach(s -> dist.add((JsonObject) s));
    }
    h.append(percentiles(dist));

    if (compare != null) {
      h.append("<h2>Baselines (same run, alternating)</h2><p class=\"note\">")
          .append(esc(compare.getString("method", ""))).append("</p>");
      List<JsonObject> cs = new ArrayList<>();
      compare.getJsonArray("series", new JsonArray()).forEach(s -> cs.add((JsonObject) s));
      h.append(table(cs));
      h.append("<table><tr><th>pair</th><th>p50 ratio</th><th>p99 ratio</th><th>mean ratio</th></tr>");
      for (Object o : compare.getJsonArray("ratios", new JsonArray())) {
        JsonObject r = (JsonObject) o;
        h.append("<tr><td>").append(esc(r.getString("pair"))).append("</td><td>").append(fmt(r.getDouble("p50")))
            .append("</td><td>").append(fmt(r.getDouble("p99"))).append("</td><td>").append(fmt(r.getDouble("mean")))
            .append("</td></tr>");
      }
      h.append("</table>");
      JsonObject skipped = compare.getJsonObject("skipped", new JsonObject());
      for (String k : skipped.fieldNames()) {
        h.append("<p class=\"note\">").append(esc(k)).append(": skipped, ").append(esc(skipped.getString(k))).append("</p>");
      }
    }

    h.append("<h2>Machine and product</h2><table>");
    JsonObject machine = result.getJsonObject("machine", new JsonObject());
    for (String k : machine.fieldNames()) {
      h.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(String.valueOf(machine.getValue(k)))).append("</td></tr>");
    }
    JsonObject product = result.getJsonObject("product", new JsonObject());
    for (String k : product.fieldNames()) {
      h.append("<tr><td>product ").append(esc(k)).append("</td><td>").append(esc(String.valueOf(product.getValue(k))))
          .append("</td></tr>");
    }
    h.append("</table><h2>Configuration</h2><table>");
    for (String k : config.fieldNames()) {
      h.append("<tr><td>").append(esc(k)).append("</td><td>").append(esc(String.valueOf(config.getValue(k)))).append("</td></tr>");
    }
    h.append("</table></body></html>\n");
    return h.toString();
  }

  private static String table(List<JsonObject> series) {
    StringBuilder h = new StringBuilder("<table><tr><th>series</th><th>ok</th><th>errors</th><th>req/s</th>"
        + "<th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr>");
    for (JsonObject s : series) {
      JsonObject l = s.getJsonObject("latencyMillis", new JsonObject());
      h.append("<tr><td>").append(esc(s.getString("name"))).append("</td><td>").append(s.getLong("ok"))
          .append("</td><td>").append(s.getLong("errors")).append("</td><td>").append(fmt(s.getDouble("throughputPerSecond")));
      for (String k : new String[] {"p50", "p90", "p99", "p99.9", "max", "mean"}) {
        h.append("</td><td>").append(fmt(l.getDouble(k)));
      }
      h.append("</td></tr>");
    }
    return h.append("</table>").toString();
  }

  private static void errors(StringBuilder h, List<JsonObject> series) {
    StringBuilder rows = new StringBuilder();
    for (JsonObject s : series) {
      JsonObject e = s.getJsonObject("errorsByStatus", new JsonObject());
      for (String k : e.fieldNames()) {
        rows.append("<tr><td>").append(esc(s.getString("name"))).append("</td><td>").append(esc(k)).append("</td><td>")
            .append(e.getValue(k)).append("</td></tr>");
      }
    }
    if (!rows.isEmpty()) {
      h.append("<h3>Errors by status</h3><table><tr><th>series</th><th>status</th><th>count</th></tr>").append(rows)
          .append("</table>");
    }
  }

  private static String overTime(JsonArray timeline) {
    int n = timeline.size();
    if (n == 0) {
      return "<p class=\"note\">no measured requests</p>";
    }
    double maxY = 0;
    long maxCount = 1;
    for (Object o : timeline) {
      JsonObject s = (JsonObject) o;
      maxY = Math.max(maxY, s.getDouble("max", 0.0));
      maxCount = Math.max(maxCount, s.getLong("ok") + s.getLong("errors"));
    }
    maxY = niceCeil(maxY);
    double pw = W - L - R;
    double ph = H - T - B;
    StringBuilder svg = svgStart("latency over time");
    axes(svg, "seconds into the measured run", "ms", 0, Math.max(1, n), maxY, false);
    // throughput bars in the background, scaled to the plot's height
    for (int i = 0; i < n; i++) {
      JsonObject s = timeline.getJsonObject(i);
      double c = s.getLong("ok") + s.getLong("errors");
      double bh = ph * c / maxCount;
      svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#e8eef7\"/>",
          L + pw * i / Math.max(1, n), T + ph - bh, Math.max(1, pw / Math.max(1, n) - 1), bh));
      if (s.getLong("errors") > 0) {
        double eh = ph * s.getLong("errors") / maxCount;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f4b6b6\"/>",
            L + pw * i / Math.max(1, n), T + ph - eh, Math.max(1, pw / Math.max(1, n) - 1), eh));
      }
    }
    String[] keys = {"p50", "p99", "max"};
    for (int k = 0; k < keys.length; k++) {
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < n; i++) {
        JsonObject s = timeline.getJsonObject(i);
        Double v = s.getDouble(keys[k]);
        if (v != null) {
          pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", L + pw * (i + 0.5) / n, T + ph - ph * v / maxY));
        }
      }
      svg.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(COLORS[k]).append("\" points=\"")
          .append(pts).append("\"/>");
      legend(svg, k, keys[k] + " latency");
    }
    legendBox(svg, 3, "#e8eef7", "requests/s (max " + maxCount + ")");
    legendBox(svg, 4, "#f4b6b6", "errors/s");
    return svg.append("</svg>").toString();
  }

  /** Latency by percentile on the classic HdrHistogram axis: x = log10(1 / (1 - p)). */
  private static String percentiles(List<JsonObject> series) {
    double maxY = 0;
    for (JsonObject s : series) {
      for (Object o : s.getJsonArray("percentileDistribution", new JsonArray())) {
        maxY = Math.max(maxY, ((JsonArray) o).getDouble(1));
      }
    }
    if (maxY == 0) {
      return "<p class=\"note\">no measured requests</p>";
    }
    maxY = niceCeil(maxY);
    double maxX = 4; // 99.99%
    double pw = W - L - R;
    double ph = H - T - B;
    StringBuilder svg = svgStart("latency by percentile");
    axes(svg, "percentile", "ms", 0, maxX, maxY, true);
    for (int k = 0; k < series.size(); k++) {
      StringBuilder pts = new StringBuilder();
      for (Object o : series.get(k).getJsonArray("percentileDistribution", new JsonArray())) {
        JsonArray p = (JsonArray) o;
        double pct = p.getDouble(0);
        double x = pct >= 100 ? maxX : Math.min(maxX, Math.log10(1 / (1 - pct / 100)));
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", L + pw * x / maxX, T + ph - ph * p.getDouble(1) / maxY));
      }
      String color = COLORS[k % COLORS.length];
      svg.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(color).append("\" points=\"")
          .append(pts).append("\"/>");
      legend(svg, k, series.get(k).getString("name"));
    }
    return svg.append("</svg>").toString();
  }

  private static StringBuilder svgStart(String title) {
    return new StringBuilder().append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W)
        .append("\" height=\"").append(H).append("\" viewBox=\"0 0 ").append(W).append(' ').append(H)
        .append("\" font-size=\"11\" role=\"img\"><title>").append(esc(title)).append("</title>");
  }

  private static void axes(StringBuilder svg, String xLabel, String yLabel, double minX, double maxX, double maxY,
      boolean percentileAxis) {
    double pw = W - L - R;
    double ph = H - T - B;
    for (int i = 0; i <= 5; i++) {
      double y = T + ph - ph * i / 5;
      svg.append(String.format(Locale.ROOT,
          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
          L, y, L + pw, y, L - 5, y + 4, fmt(maxY * i / 5)));
    }
    if (percentileAxis) {
      String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%"};
      for (int i = 0; i <= 4; i++) {
        double x = L + pw * i / 4;
        svg.append(String.format(Locale.ROOT,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>",
            x, T, x, T + ph, x, T + ph + 15, labels[i]));
      }
    } else {
      int ticks = (int) Math.min(10, maxX);
      for (int i = 0; i <= ticks; i++) {
        double x = L + pw * i / ticks;
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x,
            T + ph + 15, fmt(minX + (maxX - minX) * i / ticks)));
      }
    }
    svg.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333\"/><line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>",
        L, T, L, T + ph, L, T + ph, L + pw, T + ph));
    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>", L + pw / 2, H - 5,
        esc(xLabel)));
    svg.append(String.format(Locale.ROOT, "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">%s</text>",
        T + ph / 2, T + ph / 2, esc(yLabel)));
  }

  private static void legend(StringBuilder svg, int k, String label) {
    double y = T + 10 + k * 16;
    svg.append(String.format(Locale.ROOT,
        "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/><text x=\"%d\" y=\"%.1f\">%s</text>",
        W - R + 10, y, W - R + 28, y, COLORS[k % COLORS.length], W - R + 32, y + 4, esc(label)));
  }

  private static void legendBox(StringBuilder svg, int k, String color, String label) {
    double y = T + 10 + k * 16;
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"18\" height=\"8\" fill=\"%s\"/><text x=\"%d\" y=\"%.1f\">%s</text>",
        W - R + 10, y - 4, color, W - R + 32, y + 4, esc(label)));
  }

  private static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double mag = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * mag >= v) {
        return m * mag;
      }
    }
    return 10 * mag;
  }

  static String fmt(Double v) {
    if (v == null || v.isNaN()) {
      return "-";
    }
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}

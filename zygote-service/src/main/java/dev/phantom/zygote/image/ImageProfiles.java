package dev.phantom.zygote.image;

import dev.phantom.support.PhantomException;
import dev.phantom.zygote.core.ImageRoot;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.SandboxProfile;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Gives a profile that names an image its root: resolves the tag (cached for {@code cacheMs}, like
 * compiled profiles), materializes the manifest and adds the tree's top-level entries to the mounts
 * ({@link ImageRoot}). A profile without an image passes unchanged. Failures name the image and the
 * profile and keep the store's status (NOT_FOUND for an unknown tag or manifest).
 *
 * <p>The first use of a large image on a node can take longer than the gateway waits past a run's timeout.
 * So a spawn waits at most {@code prepareWaitMs} for a tree being built, then fails with UNAVAILABLE and
 * {@link #PREPARING} in its message: nothing ran, the build carries on, and the caller (the gateway) sends
 * the run again; once the tree is in place, spawns take it at once.
 */
public final class ImageProfiles implements Function<SandboxProfile, Future<SandboxProfile>> {

  /** In the message of a spawn refused while its image is built: safe to send again, nothing ran. */
  public static final String PREPARING = dev.phantom.support.bus.ImagePreparing.MARK;

  private final NodeImages images;
  private final long prepareWaitMs;
  private final String nodeId;
  private final Vertx vertx;
  private final long cacheMs;
  private final InstantSource clock;
  private final Map<String, Resolved> tags = new ConcurrentHashMap<>();
  /** A tree never changes once built (an evicted one is built again the same): its top level is read once. */
  private final Map<Path, List<ImageRoot.TopEntry>> tops = new ConcurrentHashMap<>();
  /** A profile's mounts over a tree, worked out once: which optional mount points the tree lacks is file I/O. */
  private final Map<Rooted, List<Mount>> rooted = new ConcurrentHashMap<>();

  private record Rooted(Path tree, List<Mount> profileMounts) {}

  /**
   * @param prepareWaitMs how long a spawn waits for its image's tree; 0 = as long as the build takes
   * @param nodeId this node, named in the message of a spawn refused meanwhile
   */
  public ImageProfiles(NodeImages images, Vertx vertx, long cacheMs, InstantSource clock, long prepareWaitMs,
      String nodeId) {
    this.images = images;
    this.prepareWaitMs = prepareWaitMs;
    this.nodeId = nodeId;
    this.vertx = vertx;
    this.cacheMs = cacheMs;
    this.clock = clock;
  }

  private record Resolved(Future<String> manifest, long atMs) {}

  @Override
  public Future<SandboxProfile> apply(SandboxProfile profile) {
    String image = profile.image();
    if (image.isEmpty()) {
      return Future.succeededFuture(profile);
    }
    return manifest(image)
        .compose(this::tree)
        .compose(tree -> top(tree).compose(top -> rooted(tree, top, profile.mounts())).map(profile::withMounts))
        .recover(failure -> {
          PhantomException p = failure instanceof PhantomException e ? e : PhantomException.internal(String.valueOf(failure));
          return Future.failedFuture(new PhantomException(p.status(), "image '" + image + "' of profile " + profile.name()
              + ": " + p.getMessage()));
        });
  }

  private Future<String> manifest(String image) {
    if (image.length() == 64 && image.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
      return Future.succeededFuture(image);
    }
    long now = clock.millis();
    Resolved cached = tags.get(image);
    if (cached != null && now - cached.atMs() < cacheMs) {
      return cached.manifest();
    }
    Resolved fresh = new Resolved(images.resolve(image), now);
    tags.put(image, fresh);
    fresh.manifest().onFailure(e -> tags.remove(image, fresh));
    return fresh.manifest();
  }

  private Future<Path> tree(String hex) {
    Future<Path> tree = images.materialize(hex, null);
    if (tree.isComplete() || prepareWaitMs == 0) {
      return tree;
    }
    Promise<Path> waited = Promise.promise();
    long timer = vertx.setTimer(prepareWaitMs, id -> waited.tryFail(PhantomException.unavailable(PREPARING + " " + nodeId
        + " (its first use here: manifest " + hex.substring(0, 12) + " is being materialized); nothing ran, send the run again")));
    tree.onComplete(result -> {
      vertx.cancelTimer(timer);
      if (result.succeeded()) {
        waited.tryComplete(result.result());
      } else {
        waited.tryFail(result.cause());
      }
    });
    return waited.future();
  }

  private Future<List<Mount>> rooted(Path tree, List<ImageRoot.TopEntry> top, List<Mount> profileMounts) {
    Rooted key = new Rooted(tree, profileMounts);
    List<Mount> known = rooted.get(key);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return vertx.executeBlocking(() -> {
      List<Mount> mounts = List.copyOf(ImageRoot.mounts(tree.toString(), top, profileMounts,
          target -> Files.exists(tree.resolve(target.substring(1)), LinkOption.NOFOLLOW_LINKS)));
      rooted.put(key, mounts);
      return mounts;
    }, false);
  }

  private Future<List<ImageRoot.TopEntry>> top(Path tree) {
    List<ImageRoot.TopEntry> known = tops.get(tree);
    if (known != null) {
      return Future.succeededFuture(known);
    }
    return vertx.executeBlocking(() -> {
      List<ImageRoot.TopEntry> out = new ArrayList<>();
      try (var entries = Files.list(tree)) {
        for (Path p : entries.toList()) {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          String name = p.getFileName().toString();
          out.add(a.isSymbolicLink() ? new ImageRoot.TopEntry(name, ImageRoot.TopEntry.Kind.SYMLINK, Files.readSymbolicLink(p).toString())
              : new ImageRoot.TopEntry(name, a.isDirectory() ? ImageRoot.TopEntry.Kind.DIR : ImageRoot.TopEntry.Kind.FILE, ""));
        }
      } catch (IOException e) {
        throw new PhantomException(GrpcStatus.INTERNAL, "cannot list image tree " + tree + ": " + e.getMessage());
      }
      List<ImageRoot.TopEntry> copy = List.copyOf(out);
      tops.put(tree, copy);
      return copy;
    }, false);
  }
}

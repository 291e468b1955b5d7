package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.zygote.core.ImageRoot.TopEntry;
import dev.phantom.zygote.core.ImageRoot.TopEntry.Kind;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class ImageRootTest {

  static final List<TopEntry> TOP = List.of(
      new TopEntry("usr", Kind.DIR, ""),
      new TopEntry("bin", Kind.SYMLINK, "usr/bin"),
      new TopEntry("etc", Kind.DIR, ""),
      new TopEntry("tmp", Kind.DIR, ""),
      new TopEntry("VERSION", Kind.FILE, ""));

  /** An image that holds every path asked about. */
  static final Predicate<String> EVERYTHING = path -> true;

  @Test
  void topLevelEntriesComeFirstSortedThenTheProfileMounts() {
    List<Mount> profile = List.of(new Mount.Proc("/proc"), new Mount.Tmpfs("/tmp", 1 << 20));
    assertThat(ImageRoot.mounts("/c/trees/ab", TOP, profile, EVERYTHING)).containsExactly(
        new Mount.ReadOnlyBind("/c/trees/ab/VERSION", "/VERSION", false),
        new Mount.Symlink("usr/bin", "/bin"),
        new Mount.ReadOnlyBind("/c/trees/ab/etc", "/etc", false),
        // /tmp: the profile's tmpfs replaces the image's directory rather than covering it
        new Mount.ReadOnlyBind("/c/trees/ab/usr", "/usr", false),
        new Mount.Proc("/proc"),
        new Mount.Tmpfs("/tmp", 1 << 20));
  }

  @Test
  void aProfileMountAtATopLevelPathWinsAndDeeperOnesGoOnTop() {
    List<Mount> profile = List.of(new Mount.ReadOnlyBind("/usr", "/usr", false), new Mount.Symlink("usr/bin", "/bin"),
        new Mount.ReadOnlyBind("/etc/ssl", "/etc/ssl", true));
    assertThat(ImageRoot.mounts("/t", TOP, profile, EVERYTHING)).containsExactly(
        new Mount.ReadOnlyBind("/t/VERSION", "/VERSION", false),
        new Mount.ReadOnlyBind("/t/etc", "/etc", false),
        new Mount.ReadOnlyBind("/t/tmp", "/tmp", false),
        new Mount.ReadOnlyBind("/usr", "/usr", false),
        new Mount.Symlink("usr/bin", "/bin"),
        new Mount.ReadOnlyBind("/etc/ssl", "/etc/ssl", true));
  }

  @Test
  void anOptionalBindWhoseMountPointTheImageLacksIsLeftOutARequiredOneIsNot() {
    List<Mount> profile = List.of(
        new Mount.ReadOnlyBind("/etc/ld.so.cache", "/etc/ld.so.cache", true), // the image's /etc has none
        new Mount.ReadOnlyBind("/etc/ssl", "/etc/ssl", true),                 // the image has /etc/ssl
        new Mount.ReadOnlyBind("/etc/hosts", "/etc/hosts", false),            // required: bubblewrap says why
        new Mount.ReadOnlyBind("/opt/java", "/opt/java", true));              // not inside the image
    List<String> asked = new java.util.ArrayList<>();
    List<Mount> mounts = ImageRoot.mounts("/t", TOP, profile, path -> {
      asked.add(path);
      return path.equals("/etc/ssl");
    });
    assertThat(mounts).containsExactly(
        new Mount.ReadOnlyBind("/t/VERSION", "/VERSION", false),
        new Mount.Symlink("usr/bin", "/bin"),
        new Mount.ReadOnlyBind("/t/etc", "/etc", false),
        new Mount.ReadOnlyBind("/t/tmp", "/tmp", false),
        new Mount.ReadOnlyBind("/t/usr", "/usr", false),
        new Mount.ReadOnlyBind("/etc/ssl", "/etc/ssl", true),
        new Mount.ReadOnlyBind("/etc/hosts", "/etc/hosts", false),
        new Mount.ReadOnlyBind("/opt/java", "/opt/java", true));
    assertThat(asked).containsExactly("/etc/ld.so.cache", "/etc/ssl");
  }

  @Test
  void anEmptyImageAddsNothing() {
    assertThat(ImageRoot.mounts("/t", List.of(), List.of(new Mount.Proc("/proc")), EVERYTHING)).containsExactly(new Mount.Proc("/proc"));
  }
}

package dev.phantom.zygote.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny root filesystem made of the host's own binaries and the libraries {@code ldd} names for them,
 * laid out as on a merged-/usr distribution ({@code bin -> usr/bin}, ...), plus a few data files.
 */
final class SmallRoot {

  static final String HELLO = "hello from the image\n";
  private static final Pattern LIB = Pattern.compile("(/\\S+) \\(0x");

  private SmallRoot() {}

  static Path build(Path dst) throws IOException, InterruptedException {
    Set<String> files = new LinkedHashSet<>();
    for (String bin : new String[] {"/usr/bin/sh", "/usr/bin/cat", "/usr/bin/ls", "/usr/bin/touch"}) {
      files.add(bin);
      Process ldd = new ProcessBuilder("ldd", bin).redirectErrorStream(true).start();
      String out = new String(ldd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!ldd.waitFor(30, TimeUnit.SECONDS) || ldd.exitValue() != 0) {
        throw new IOException("ldd " + bin + " failed: " + out);
      }
      Matcher m = LIB.matcher(out);
      while (m.find()) {
        files.add(m.group(1));
      }
    }
    for (String file : files) {
      // Every path as seen through merged /usr: /lib64/x is /usr/lib64/x in the image.
      String inImage = file.replaceFirst("^/(lib|lib64|bin|sbin)/", "/usr/$1/");
      Path target = dst.resolve(inImage.substring(1));
      Files.createDirectories(target.getParent());
      Files.copy(Path.of(file), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
    }
    for (String link : new String[] {"bin", "lib", "lib64", "sbin"}) {
      Files.createDirectories(dst.resolve("usr").resolve(link));
      Files.createSymbolicLink(dst.resolve(link), Path.of("usr/" + link));
    }
    Files.createDirectories(dst.resolve("data"));
    Files.writeString(dst.resolve("data/hello.txt"), HELLO);
    Files.createDirectories(dst.resolve("etc"));
    Files.writeString(dst.resolve("etc/os-release"), "ID=phantom-test\n");
    return dst;
  }
}

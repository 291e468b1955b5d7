package dev.phantom.policy.yaml;

import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Loads the built-in profiles (classpath {@code profiles/}) and every {@code *.yaml} file of the
 * configured directories. Blocking file I/O: call it off the event loop. A profile's name must be
 * its file's name without {@code .yaml}; names are unique across all sources.
 */
public final class ProfileLoader {

  /** Lists the built-in profile names, one per line (a jar cannot be listed reliably). */
  public static final String BUILTIN_INDEX = "profiles/index.txt";

  private ProfileLoader() {}

  /**
   * @return profiles by name, sorted
   * @throws ProfileException listing every problem of every file
   */
  public static SortedMap<String, Profile> load(ClassLoader classLoader, List<Path> directories) {
    SortedMap<String, Profile> out = new TreeMap<>();
    library(classLoader, directories, ClasspathSyscalls.load()).entries().forEach((name, e) -> out.put(name, e.profile()));
    return out;
  }

  /**
   * The built-ins and every {@code *.yaml} of the directories, read together so that they can extend
   * each other.
   *
   * @throws ProfileException listing every problem of every file
   */
  public static ProfileLibrary library(ClassLoader classLoader, List<Path> directories, Syscalls syscalls) {
    List<String> problems = new ArrayList<>();
    List<ProfileLibrary.Text> texts = new ArrayList<>();
    for (String name : builtinNames(classLoader, problems)) {
      String resource = "profiles/" + name + ".yaml";
      String text = resource(classLoader, resource);
      if (text == null) {
        problems.add("classpath:" + BUILTIN_INDEX + ": lists '" + name + "' but " + resource + " is missing");
        continue;
      }
      texts.add(new ProfileLibrary.Text("classpath:" + resource, text, name));
    }
    for (Path dir : directories) {
      List<Path> files = new ArrayList<>();
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.yaml")) {
        stream.forEach(files::add);
      } catch (IOException e) {
        problems.add(dir + ": cannot list profile directory: " + e);
        continue;
      }
      files.sort(null);
      for (Path file : files) {
        String text;
        try {
          text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
          problems.add(file + ": cannot read: " + e);
          continue;
        }
        String stem = file.getFileName().toString().replaceFirst("\\.yaml$", "");
        texts.add(new ProfileLibrary.Text(file.toString(), text, stem));
      }
    }
    return ProfileLibrary.of(texts, syscalls, problems);
  }

  private static List<String> builtinNames(ClassLoader classLoader, List<String> problems) {
    String index = resource(classLoader, BUILTIN_INDEX);
    if (index == null) {
      problems.add("classpath:" + BUILTIN_INDEX + ": missing");
      return List.of();
    }
    return index.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
  }

  private static String resource(ClassLoader classLoader, String name) {
    try (InputStream in = classLoader.getResourceAsStream(name)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read classpath resource " + name, e);
    }
  }
}

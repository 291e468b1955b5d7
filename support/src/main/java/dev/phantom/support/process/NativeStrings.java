package dev.phantom.support.process;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A NULL-terminated {@code char *[]} of NUL-terminated UTF-8 strings in native memory, as execve wants
 * argv and envp. Every byte is written (the memory is cleared first), and the strings stay reachable as
 * long as this object is.
 */
public final class NativeStrings {

  private final Pointer array;
  private final List<Pointer> strings;

  private NativeStrings(Pointer array, List<Pointer> strings) {
    this.array = array;
    this.strings = strings;
  }

  public static NativeStrings of(Runtime runtime, List<String> values) {
    int slot = runtime.addressSize();
    Pointer array = Memory.allocateDirect(runtime, (values.size() + 1) * slot, true);
    List<Pointer> strings = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      byte[] bytes = values.get(i).getBytes(StandardCharsets.UTF_8);
      Pointer string = Memory.allocateDirect(runtime, bytes.length + 1, true);
      string.put(0, bytes, 0, bytes.length);
      strings.add(string);
      array.putPointer((long) i * slot, string);
    }
    array.putAddress((long) values.size() * slot, 0L); // cleared already; written for whoever reads this
    return new NativeStrings(array, strings);
  }

  public Pointer pointer() {
    return array;
  }

  /** For tests: the strings as native memory holds them. */
  List<String> read() {
    List<String> out = new ArrayList<>();
    int slot = Runtime.getSystemRuntime().addressSize();
    for (int i = 0; array.getAddress((long) i * slot) != 0; i++) {
      out.add(array.getPointer((long) i * slot).getString(0, Integer.MAX_VALUE, StandardCharsets.UTF_8));
    }
    return out;
  }

  int count() {
    return strings.size();
  }
}

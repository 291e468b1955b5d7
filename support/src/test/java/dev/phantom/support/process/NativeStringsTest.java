package dev.phantom.support.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;

class NativeStringsTest {

  @Test
  void everyStringComesBackAndTheArrayEndsWithNull() {
    // Many times over: uncleared memory showed garbage where the terminator belongs only now and then.
    for (int round = 0; round < 2000; round++) {
      NativeStrings strings = NativeStrings.of(Runtime.getSystemRuntime(), List.of("bwrap", "héllo wörld", "", "--"));
      assertThat(strings.read()).containsExactly("bwrap", "héllo wörld", "", "--");
      assertThat(strings.pointer().getAddress(4L * Runtime.getSystemRuntime().addressSize())).isZero();
    }
    assertThat(NativeStrings.of(Runtime.getSystemRuntime(), List.of()).read()).isEmpty();
  }
}

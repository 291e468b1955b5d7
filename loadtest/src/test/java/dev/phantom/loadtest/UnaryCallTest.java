package dev.phantom.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class UnaryCallTest {

  @Test
  void grpcMessagesArePercentDecodedAsUtf8KeepingPlusSigns() {
    assertEquals("profile 'nö' not found: a+b 100%", UnaryCall.percentDecoded("profile 'n%C3%B6' not found: a+b 100%25"));
    assertEquals("plain", UnaryCall.percentDecoded("plain"));
    assertEquals("bad % escape %zz", UnaryCall.percentDecoded("bad % escape %zz"));
    assertNull(UnaryCall.percentDecoded(null));
  }
}

package dev.phantom.gateway.cli;

import dev.phantom.support.PhantomException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** One line for a person, never a stack trace. */
final class CliErrors {

  private CliErrors() {}

  static String describe(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof PhantomException phantom) {
      return phantom.status().name() + ": " + phantom.getMessage();
    }
    String message = cause.getMessage();
    return message == null || message.isBlank() ? cause.toString() : message;
  }
}

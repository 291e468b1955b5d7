package dev.phantom.policy.core;

/** Network access of a sandbox. Only isolation exists today; egress policies come later. */
public enum NetworkMode {
  /** Own network namespace holding only loopback. */
  DISABLED
}

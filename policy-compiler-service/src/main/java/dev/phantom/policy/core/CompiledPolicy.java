package dev.phantom.policy.core;

/**
 * A profile compiled for one architecture.
 *
 * @param digest see {@link ProfileDigest}
 * @param filter the seccomp program; {@link BpfProgram#toBytes()} is what bubblewrap reads
 */
public record CompiledPolicy(Profile profile, Arch arch, String digest, BpfProgram filter) {}

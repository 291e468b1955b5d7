/**
 * The fragment store: root filesystems and workspaces as deduplicated, content-addressed chunks
 * (FastCDC, SHA-256, zstd), manifests as Merkle trees of directories, and tags naming them. See this
 * module's README and docs/fragment-store.md.
 */
package dev.phantom.store;

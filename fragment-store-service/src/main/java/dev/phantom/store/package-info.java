/**
 * The fragment store: root filesystems and workspaces as deduplicated, content-addressed chunks.
 * Nothing here runs yet; sandboxes use the host's read-only system directories until the store's
 * issue lands. See this module's README for what comes.
 */
package dev.phantom.store;

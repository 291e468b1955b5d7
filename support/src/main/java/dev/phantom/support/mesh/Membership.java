package dev.phantom.support.mesh;

import java.util.function.Consumer;

/** Who is in the mesh. Embedded: this node alone, forever. Clustered: the Hazelcast members. */
public interface Membership {

  /** This node's id, unique in the mesh. */
  String selfId();

  boolean clustered();

  /** Called (on a non-event-loop thread when clustered) with the id of each member that leaves. */
  void onMemberLeft(Consumer<String> listener);
}

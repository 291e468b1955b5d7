package dev.phantom.support.bus;

/**
 * Every event-bus address of the mesh, in one place. docs/event-bus.md says the same for people.
 * Bodies are protobuf bytes (see {@link BusRpc}); the message types live in {@code proto}.
 */
public final class Addresses {

  private Addresses() {}

  /** Request {@code CompileProfileRequest} → reply {@code CompiledProfile}. Served by the policy compiler. */
  public static final String POLICY_COMPILE = "phantom.policy.compile";

  /** Request {@code ListProfilesRequest} → reply {@code ProfileList}. Served by the policy compiler. */
  public static final String POLICY_LIST = "phantom.policy.list";

  /** Request {@code PlaceRequest} → reply {@code Placement}. Served by the orchestrator. */
  public static final String ORCHESTRATOR_PLACE = "phantom.orchestrator.place";

  /** Request {@code ListNodesRequest} → reply {@code NodeList}. Served by the orchestrator. */
  public static final String ORCHESTRATOR_NODES = "phantom.orchestrator.nodes";

  /** Published {@code NodeLost}: a zygote node is gone. From the orchestrator to gateways. */
  public static final String ORCHESTRATOR_NODE_LOST = "phantom.orchestrator.node-lost";

  /**
   * Sent {@code PlacementDone} by the gateway once a placed spawn replied, to the orchestrator instance that
   * placed it (its id is in {@code Placement.done_address}), which frees the admission permit.
   */
  public static String orchestratorDone(String instanceId) {
    return "phantom.orchestrator.done." + instanceId;
  }

  /** Published {@code NodeReport}, about twice a second, by every zygote node; the orchestrator listens. */
  public static final String ZYGOTE_REPORT = "phantom.zygote.report";

  /** Request {@code SpawnRequest} → reply {@code phantom.v1.RunResult}, to one zygote node. */
  public static String zygoteSpawn(String nodeId) {
    return "phantom.zygote.spawn." + nodeId;
  }

  /** Sent {@code CancelRun} to the zygote node running the run. */
  public static String zygoteCancel(String nodeId) {
    return "phantom.zygote.cancel." + nodeId;
  }

  /** Request {@code SetPoolSizesRequest} → reply {@code PoolStates}, to one zygote node: resizes its warm pools. */
  public static String zygotePoolsSet(String nodeId) {
    return "phantom.zygote.pools.set." + nodeId;
  }

  /** Request {@code GetPoolsRequest} → reply {@code PoolStates}, to one zygote node. */
  public static String zygotePoolsGet(String nodeId) {
    return "phantom.zygote.pools.get." + nodeId;
  }

  /** Sent {@code phantom.v1.RunEvent}s of one streamed run, ending with the exit event. */
  public static String runEvents(String runId) {
    return "phantom.run.events." + runId;
  }

  /**
   * Published {@code phantom.store.v1.FindChunksRequest} by the store when chunks failed verification on its
   * disk; every zygote node listens, and one holding verified copies in its node cache sends
   * {@code FoundChunks} to the request's reply address ({@link #storeChunksFound}).
   */
  public static final String ZYGOTE_CHUNKS_FIND = "phantom.zygote.chunks.find";

  /** Request {@code SessionCall} → reply {@code SessionReply}, to the zygote node holding the session. */
  public static String zygoteSession(String nodeId) {
    return "phantom.zygote.session." + nodeId;
  }

  /** Request {@code ExecRequest} → reply {@code ExecDone} once the exec ended, to the node holding the session. */
  public static String zygoteExec(String nodeId) {
    return "phantom.zygote.exec." + nodeId;
  }

  /** Sent {@code ExecControl} (stdin, close, signal, cancel) for execs running on that node. */
  public static String zygoteExecControl(String nodeId) {
    return "phantom.zygote.exec-control." + nodeId;
  }

  /** Sent {@code ExecEvent}s of one exec: started, output, then exit or failed. */
  public static String execEvents(String execId) {
    return "phantom.exec.events." + execId;
  }

  // The fragment store (phantom.store.v1 messages; docs/fragment-store.md). One store node per mesh.

  /** Request {@code PutChunksRequest} → reply {@code PutChunksResponse}, once the batch is durable. */
  public static final String STORE_CHUNKS_PUT = "phantom.store.chunks.put";

  /** Request {@code HasChunksRequest} → reply {@code HasChunksResponse}. */
  public static final String STORE_CHUNKS_HAS = "phantom.store.chunks.has";

  /** Request {@code GetChunksRequest} (a bounded batch) → reply {@code ChunkBatch}. */
  public static final String STORE_CHUNKS_GET = "phantom.store.chunks.get";

  /** Sent {@code FoundChunks} by zygote nodes to the store that published one {@code FindChunksRequest}. */
  public static String storeChunksFound(String requestId) {
    return "phantom.store.chunks.found." + requestId;
  }

  /** Request {@code PutManifestRequest} → reply {@code PutManifestResponse}. */
  public static final String STORE_MANIFEST_PUT = "phantom.store.manifest.put";

  /** Request {@code GetManifestRequest} → reply {@code Manifest}. */
  public static final String STORE_MANIFEST_GET = "phantom.store.manifest.get";

  /** Request {@code SetTagRequest} → reply {@code TagInfo}. */
  public static final String STORE_TAG_SET = "phantom.store.tag.set";

  /** Request {@code ResolveTagRequest} → reply {@code TagInfo}. */
  public static final String STORE_TAG_RESOLVE = "phantom.store.tag.resolve";

  /** Request {@code ListTagsRequest} → reply {@code TagList}. */
  public static final String STORE_TAG_LIST = "phantom.store.tag.list";

  /** Request {@code DeleteTagRequest} → reply {@code DeleteTagResponse}. */
  public static final String STORE_TAG_DELETE = "phantom.store.tag.delete";

  /** Request {@code StatsRequest} → reply {@code StoreStats}. */
  public static final String STORE_STATS = "phantom.store.stats";

  /** Request {@code CollectGarbageRequest} → reply {@code GcReport}. */
  public static final String STORE_GC = "phantom.store.gc";

  /** Request {@code ImportCall} (begin, data..., end) → reply {@code ImportReply}. */
  public static final String STORE_IMPORT = "phantom.store.import";
}

namespace TttCluster.Runtime;

/// <summary>A grain call that failed in the runtime: the silo is gone, or the call missed its deadline.</summary>
public sealed class GrainCallException(string message, Exception? inner = null) : Exception(message, inner);

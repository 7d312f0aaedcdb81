namespace TttCluster.Model.Weights;

/// <summary>One entry of the inventory a model expects of its weights file, e.g. ("blocks.0.attn.q.weight", [D, D]).</summary>
/// <param name="Name">Tensor name as in docs/MODEL.md §3.</param>
/// <param name="Shape">The shape the model needs, outermost first.</param>
public sealed record ExpectedTensor(string Name, int[] Shape);

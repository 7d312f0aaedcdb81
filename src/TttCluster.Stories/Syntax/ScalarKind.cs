namespace TttCluster.Stories.Syntax;

/// <summary>What a scalar is, as JSON's token types say or as the YAML 1.2 core schema resolves a plain scalar.</summary>
internal enum ScalarKind
{
    String,
    Number,
    Boolean,
    Null,
}

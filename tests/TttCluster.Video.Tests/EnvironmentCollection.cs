namespace TttCluster.Video.Tests;

/// <summary>
/// Tests that change process-wide environment variables (TTT_FFMPEG, PATH). They run alone, after the parallel
/// tests, so no other test sees a "missing" ffmpeg.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

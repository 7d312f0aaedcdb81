using TttCluster.Abstractions;

namespace TttCluster.Grains.Tests;

/// <summary>A segment grain's key names its story, index, attempt and silo, and each part can be read back.</summary>
public class SegmentKeysTests
{
    [Theory]
    [InlineData("s_0123456789abcdef", 3, 0, "worker-1")]
    [InlineData("studio/episode-2/story", 17, 4, "gateway")]   // story ids of local renders may hold '/'
    [InlineData("story@home", 0, 1, "silo-0")]
    public void StoryAndSilo_ReadBackFromTheKey(string story, int segment, int attempt, string silo)
    {
        string key = SegmentKeys.Of(story, segment, attempt, silo);
        Assert.Equal(story, SegmentKeys.StoryOf(key));
        Assert.Equal(silo, SegmentKeys.SiloOf(key));
    }
}

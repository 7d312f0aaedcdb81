using TttCluster.Abstractions;

namespace TttCluster.Grains.Tests;

/// <summary>A segment grain's key names its story, index, attempt and silo, and each part can be read back.</summary>
public class SegmentKeysTests
{
    [Theory]
    [InlineData("s_0123456789abcdef", 3, "0f3c9b2e", "worker-1")]
    [InlineData("studio/episode-2/story", 17, "4", "gateway")]   // story ids of local renders may hold '/'
    [InlineData("story@home", 0, "a1", "silo-0")]
    public void StoryAndSilo_ReadBackFromTheKey(string story, int segment, string attempt, string silo)
    {
        string key = SegmentKeys.Of(story, segment, attempt, silo);
        Assert.Equal(story, SegmentKeys.StoryOf(key));
        Assert.Equal(silo, SegmentKeys.SiloOf(key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("a@b")]
    public void AnAttemptThatWouldBreakTheKey_IsRefused(string attempt)
    {
        var e = Assert.Throws<ArgumentException>(() => SegmentKeys.Of("story", 0, attempt, "silo"));
        Assert.Contains("expected an attempt id without '/' or '@'", e.Message);
    }
}

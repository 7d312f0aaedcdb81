namespace TttCluster.Runtime;

/// <summary>Where grain keys live, as far as this process knows; the entries of finished work can be forgotten.</summary>
public interface IGrainDirectory
{
    /// <summary>Forgets where grain <paramref name="key"/> of <paramref name="grainInterface"/> lives (a later call places it anew).</summary>
    void Forget(Type grainInterface, string key);

    /// <summary>How many keys this process has an explicit place for.</summary>
    int Count { get; }
}

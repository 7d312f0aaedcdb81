namespace TttCluster.Video;

/// <summary>
/// Write-then-rename: output is written under a temporary name in the target's directory and renamed over the
/// target only when complete, so a reader (or a crashed run) never sees a partial file under the real name.
/// </summary>
internal static class AtomicFile
{
    /// <summary>A fresh temporary path beside <paramref name="fullPath"/>; same directory, so the rename is atomic.</summary>
    public static string TemporaryPathFor(string fullPath) => $"{fullPath}.{Guid.NewGuid():N}.tmp";

    /// <summary>Flushes <paramref name="temporaryPath"/> to disk, then renames it over <paramref name="fullPath"/>.</summary>
    public static void Commit(string temporaryPath, string fullPath)
    {
        // Durable before the rename, so a crash cannot leave a complete-looking name over data still in the page cache.
        using (var stream = new FileStream(temporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            stream.Flush(flushToDisk: true);
        File.Move(temporaryPath, fullPath, overwrite: true);
    }

    /// <summary>Deletes <paramref name="path"/> if it exists; used on failure paths, so it never throws.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

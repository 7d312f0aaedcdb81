namespace TttCluster.Storage;

/// <summary>
/// Replaces a file's content all at once: a reader, or the next process after a crash, finds the old content or the new,
/// never a mix or a truncated file.
/// </summary>
internal static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";

    // Long enough to tell in a listing which file a leftover belongs to, short enough that '.' + this + '.' + 32 hex
    // digits + ".tmp" stays under the 255-byte file name limit of common file systems.
    private const int TemporaryNameStemLength = 100;

    /// <summary>Whether <paramref name="fileName"/> has the form of the temporary files this class writes.</summary>
    public static bool IsTemporaryFileName(string fileName) =>
        fileName.StartsWith('.') && fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    /// <summary>
    /// Makes <paramref name="path"/> hold what <paramref name="writeContent"/> writes, replacing any earlier file.
    /// Creates the directory when needed. On failure the file is unchanged and no temporary file is left.
    /// </summary>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancel)
    {
        string directory = Path.GetDirectoryName(path)
            ?? throw new ArgumentException($"The path '{path}' has no parent directory.", nameof(path));
        Directory.CreateDirectory(directory);

        // Same directory as the target, so the rename below stays within one file system and is atomic. The leading
        // '.' hides it from casual listings; the random part keeps concurrent writers of one file apart.
        string fileName = Path.GetFileName(path);
        string stem = fileName.Length > TemporaryNameStemLength ? fileName[..TemporaryNameStemLength] : fileName;
        string temporaryPath = Path.Combine(directory, $".{stem}.{Guid.NewGuid():N}{TemporarySuffix}");
        try
        {
            await using (var stream = new FileStream(
                temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 81920, useAsync: true))
            {
                await writeContent(stream, cancel);
                await stream.FlushAsync(cancel);

                // Without this, a power cut after the rename can leave the new name pointing at a file whose data
                // never reached the disk (an empty or partial file under the final name).
                stream.Flush(flushToDisk: true);
            }

            cancel.ThrowIfCancellationRequested();

            // rename(2) on Unix, MoveFileEx(REPLACE_EXISTING) on Windows: the name switches from old file to new at once.
            // The directory entry itself is not fsynced (no portable .NET API), so after a power cut the name may still
            // show the old content, but never a partial new one.
            File.Move(temporaryPath, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporaryPath);
            throw;
        }
    }

    /// <summary>
    /// The whole content of <paramref name="path"/>, or null when there is no such file. Opened with FileShare.Delete so
    /// that a writer may rename a new version over it meanwhile (Windows refuses that otherwise; Linux always allows it).
    /// </summary>
    public static async Task<byte[]?> ReadAllBytesOrNullAsync(string path, CancellationToken cancel)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1, useAsync: true);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        await using (stream)
        {
            var content = new byte[stream.Length];
            await stream.ReadExactlyAsync(content, cancel);
            return content;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one worth reporting; a leftover temporary file is never read as data.
        }
    }
}

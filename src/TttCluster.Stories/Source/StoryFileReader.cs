namespace TttCluster.Stories.Source;

/// <summary>
/// Reads a story file, never more than one byte past the size limit: the length on disk can lie (a FIFO, /dev/zero,
/// a file still being written), so the read itself is bounded.
/// </summary>
internal static class StoryFileReader
{
    /// <summary>The file's bytes, at most <paramref name="maxBytes"/> of them.</summary>
    /// <exception cref="StoryValidationException">The file cannot be opened or read, or is too big.</exception>
    public static byte[] Read(string path, int maxBytes)
    {
        try
        {
            if (Directory.Exists(path))
                throw Unreadable(path, "a directory");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.CanSeek && stream.Length > maxBytes)
                throw TooBig(path, maxBytes, $"{stream.Length} bytes");
            using var content = new MemoryStream();
            var chunk = new byte[64 * 1024];
            for (int read; content.Length <= maxBytes && (read = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - content.Length))) > 0;)
                content.Write(chunk, 0, read);
            if (content.Length > maxBytes)
                throw TooBig(path, maxBytes, $"more than {maxBytes} bytes");
            return content.ToArray();
        }
        catch (FileNotFoundException)
        {
            throw Unreadable(path, "no such file");
        }
        catch (DirectoryNotFoundException)
        {
            throw Unreadable(path, "no such directory");
        }
        catch (UnauthorizedAccessException)
        {
            throw Unreadable(path, "a file this user may not read");
        }
        catch (IOException e)
        {
            throw Unreadable(path, $"a file it cannot read ({TttCluster.Files.FileChecks.Reason(e)})");
        }
    }

    private static StoryValidationException TooBig(string path, int maxBytes, string found) =>
        new([new StoryError(path, null, null, "", $"a file of at most {maxBytes} bytes", found)]);

    private static StoryValidationException Unreadable(string path, string found) =>
        new([new StoryError(path, null, null, "", "a readable story file", found)]);
}

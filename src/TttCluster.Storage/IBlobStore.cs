namespace TttCluster.Storage;

/// <summary>
/// Large data of the farm by name: checkpoints (<c>checkpoints/{story}/{step}</c>), videos (<c>videos/{story}.mp4</c>),
/// contact sheets, latents. A local folder by default, Azure Blob storage in a cluster. A write replaces the whole blob
/// at once: a reader sees the old content or the new, never part of one. Names are relative paths of segments of letters,
/// digits, '.', '_' and '-' separated by '/', without "." or ".." segments; anything else is refused with an
/// <see cref="ArgumentException"/> that says which name and why.
/// </summary>
public interface IBlobStore
{
    /// <summary>Stores <paramref name="content"/> as <paramref name="name"/>, replacing what was there.</summary>
    Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancel);

    /// <summary>Stores the file at <paramref name="path"/> as <paramref name="name"/> (a rendered video), replacing what was there.</summary>
    Task UploadFileAsync(string name, string path, CancellationToken cancel);

    /// <summary>The whole blob, or null when there is none.</summary>
    Task<byte[]?> ReadAsync(string name, CancellationToken cancel);

    /// <summary>A seekable stream over the blob (for range requests), or null when there is none. The caller disposes it.</summary>
    Task<Stream?> OpenReadAsync(string name, CancellationToken cancel);

    /// <summary>The blob's length in bytes, or null when there is none.</summary>
    Task<long?> LengthAsync(string name, CancellationToken cancel);

    /// <summary>Removes the blob; nothing happens when there is none.</summary>
    Task DeleteAsync(string name, CancellationToken cancel);

    /// <summary>Removes every blob whose name starts with <paramref name="prefix"/> followed by '/' (a story's checkpoints).</summary>
    Task DeleteFolderAsync(string prefix, CancellationToken cancel);
}

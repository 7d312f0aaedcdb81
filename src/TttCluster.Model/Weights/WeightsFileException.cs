namespace TttCluster.Model.Weights;

/// <summary>
/// A weights file that cannot be used as it is: malformed, truncated, lying about its contents, or not matching
/// the model. The message always starts with the file path, then the tensor when one is to blame, then what was
/// expected and what was found, then a hint for the fix when there is one. An <see cref="IOException"/>, so a
/// caller that handles "cannot load the weights" in one place catches it with a missing file.
/// </summary>
public sealed class WeightsFileException : IOException
{
    /// <summary>The file the problem was found in, as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>The tensor at fault, or null when the problem is about the file as a whole or about several tensors.</summary>
    public string? TensorName { get; }

    public WeightsFileException(string filePath, string? tensorName, string problem, string? hint = null, Exception? innerException = null)
        : base(FormatMessage(filePath, tensorName, problem, hint), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    /// <summary>The usual shape of a problem: "expected X, found Y".</summary>
    internal static WeightsFileException Mismatch(string filePath, string? tensorName, string expected, string found, string? hint = null, Exception? innerException = null) =>
        new(filePath, tensorName, $"expected {expected}, found {found}", hint, innerException);

    private static string FormatMessage(string filePath, string? tensorName, string problem, string? hint)
    {
        string where = tensorName is null ? $"{filePath}: " : $"{filePath}: tensor '{tensorName}': ";
        return hint is null ? where + problem : $"{where}{problem}. Hint: {hint}";
    }
}

using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace TttCluster.Gateway;

/// <summary>
/// Which tenant an API key belongs to. Keys come from a file of lines "TENANT KEY" (blank lines and lines starting with
/// '#' are skipped). No key works out of the box: without a file, the farm makes one random key for tenant "default" on
/// its first start and keeps it (owner-only) in the data folder, where only whoever runs the farm can read it.
/// </summary>
public sealed partial class ApiKeys
{
    /// <summary>Shortest key accepted: guessing one must be hopeless.</summary>
    public const int MinKeyLength = 16;

    private readonly (string Tenant, byte[] KeyHash)[] _keys;

    private ApiKeys((string Tenant, byte[] KeyHash)[] keys) => _keys = keys;

    public int Count => _keys.Length;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex TenantName();

    /// <summary>Reads a keys file; a bad line is refused with its line number and what is wrong (never the key itself).</summary>
    public static ApiKeys Parse(string text, string source)
    {
        var keys = new List<(string, byte[])>();
        var seen = new HashSet<string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            string where = $"{source} line {i + 1}";
            if (parts.Length != 2) throw new FormatException($"{where}: expected \"TENANT KEY\" (two words), found {parts.Length} words");
            if (!TenantName().IsMatch(parts[0]))
                throw new FormatException($"{where}: the tenant must be 1-64 letters, digits, '_' or '-'");
            if (parts[1].Length < MinKeyLength) throw new FormatException($"{where}: the key of tenant {parts[0]} is {parts[1].Length} characters; at least {MinKeyLength} are needed");
            if (!seen.Add(parts[1])) throw new FormatException($"{where}: this key is already given to another line");
            keys.Add((parts[0], Hash(parts[1])));
        }
        if (keys.Count == 0) throw new FormatException($"{source}: no keys (expected lines \"TENANT KEY\")");
        return new ApiKeys(keys.ToArray());
    }

    /// <summary>The keys of <paramref name="keysFile"/>, or of the farm's own generated file (made on first use).</summary>
    public static ApiKeys Load(string? keysFile, string generatedFile)
    {
        if (keysFile is not null) return Parse(File.ReadAllText(keysFile), keysFile);
        if (!File.Exists(generatedFile))
        {
            string generatedKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(generatedFile))!);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new StreamWriter(new FileStream(generatedFile, options)))
                file.Write($"# made by ttt serve; lines \"TENANT KEY\"\ndefault {generatedKey}\n");
        }
        return Parse(File.ReadAllText(generatedFile), generatedFile);
    }

    /// <summary>The tenant of an "Authorization: Bearer KEY" header's value, or null for no key or a wrong one.</summary>
    public string? TenantOf(string? authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)) return null;
        byte[] hash = Hash(authorization[Scheme.Length..].Trim());
        // Hashes compared in constant time, every key looked at: the answer's timing says nothing about the keys.
        string? tenant = null;
        foreach (var (t, keyHash) in _keys)
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash)) tenant = t;
        return tenant;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}

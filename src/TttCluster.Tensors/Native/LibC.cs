using System.Runtime.InteropServices;

namespace TttCluster.Tensors.Native;

/// <summary>
/// The process environment as native code sees it. On Linux, .NET keeps its own copy of the environment, so
/// Environment.SetEnvironmentVariable is invisible to a native library's getenv; OpenBLAS reads
/// OPENBLAS_CORETYPE with getenv when it loads, so the value has to go through libc.
/// </summary>
internal static partial class LibC
{
    /// <summary>
    /// Sets <paramref name="name"/> in the native environment unless it is already set there (a user's own
    /// setting wins). Returns the value in effect afterwards, or null where there is no libc to ask.
    /// </summary>
    public static string? SetEnvironmentVariableIfUnset(string name, string value)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            // Windows CRTs read the process environment block, which this call does update.
            Environment.SetEnvironmentVariable(name, Environment.GetEnvironmentVariable(name) ?? value);
            return Environment.GetEnvironmentVariable(name);
        }
        try
        {
            if (SetEnv(name, value, overwrite: 0) != 0)
                return null;
            return GetEnvironmentVariable(name);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The native environment's value of <paramref name="name"/>, or null.</summary>
    public static string? GetEnvironmentVariable(string name)
    {
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
            return Environment.GetEnvironmentVariable(name);
        nint value = GetEnv(name);
        return value == 0 ? null : Marshal.PtrToStringUTF8(value);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);
}

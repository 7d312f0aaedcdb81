using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TttCluster.Stories.Syntax;

/// <summary>
/// Resolves an untagged scalar by the YAML 1.2 core schema (yaml.org/spec/1.2.2 §10.3.2): quoted and block scalars
/// are strings; a plain scalar is null, a boolean or a number only when it matches that schema exactly. So
/// <c>seed: 42</c> is a number, <c>seed: "42"</c> a string, and — unlike YAML 1.1 — <c>text: yes</c> is a string.
/// </summary>
internal static partial class YamlScalarResolver
{
    public static ScalarKind Resolve(Scalar scalar)
    {
        if (scalar.Style != ScalarStyle.Plain)
            return ScalarKind.String;
        string value = scalar.Value;
        if (value is "" or "~" or "null" or "Null" or "NULL")
            return ScalarKind.Null;
        if (value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
            return ScalarKind.Boolean;
        return CoreNumber().IsMatch(value) ? ScalarKind.Number : ScalarKind.String;
    }

    // int (decimal, 0o octal, 0x hex) | float | ±infinity | not-a-number, exactly as the core schema lists them.
    [GeneratedRegex(@"\A(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\z")]
    private static partial Regex CoreNumber();
}

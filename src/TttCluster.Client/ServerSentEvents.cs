using System.Runtime.CompilerServices;
using System.Text;

namespace TttCluster.Client;

/// <summary>One server-sent event: its id (if any), its type ("message" when none is named) and its data.</summary>
public sealed record ServerSentEvent(string? Id, string Type, string Data);

/// <summary>Reads a text/event-stream as the HTML standard defines it: fields per line, a blank line ends an event, ':' a comment.</summary>
public static class ServerSentEvents
{
    public static async IAsyncEnumerable<ServerSentEvent> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancel)
    {
        string? id = null, type = null;
        var data = new StringBuilder();
        bool hasData = false;
        while (await reader.ReadLineAsync(cancel) is { } line)
        {
            if (line.Length == 0)
            {
                if (hasData || type is not null) yield return new ServerSentEvent(id, type ?? "message", data.ToString());
                (type, hasData) = (null, false);
                data.Clear();
                continue;
            }
            if (line[0] == ':') continue;
            int colon = line.IndexOf(':');
            string field = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "id": id = value; break;
                case "event": type = value; break;
                case "data":
                    if (hasData) data.Append('\n');
                    data.Append(value);
                    hasData = true;
                    break;
            }
        }
    }
}

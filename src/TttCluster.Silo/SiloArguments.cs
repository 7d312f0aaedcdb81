using System.Net;

namespace TttCluster.Silo;

/// <summary>
/// ttt-silo's command line, checked before anything starts: a bad value names the option, what was expected and what
/// was found.
/// </summary>
internal sealed record SiloArguments(string ModelPath, string Name, int Capacity, IPAddress Listen, IPAddress Advertise, int SiloPort,
    int GatewayPort, IPEndPoint? Primary, string? Storage, string ClusterId, string ServiceId, int ParentPid)
{
    public const string Usage = """
        ttt-silo: a worker silo of the TttCluster farm (an Orleans silo on the generic host).
        Usage: ttt-silo [--model FILE] [--name NAME] [--capacity C] [--listen IP] [--advertise IP] [--silo-port P] [--gateway-port P]
                        [--primary HOST:PORT | --storage CONNSTR] [--cluster-id ID] [--service-id ID] [--parent-pid PID]
          --model       the model file (default: models/tiny.safetensors beside the program)
          --name        the silo's name in the cluster, unique among living silos (default: silo-PID)
          --capacity    its share of a story's segments relative to other silos (default 1; 0: coordinators only)
          --listen      the address to bind (default 127.0.0.1; 0.0.0.0 for every interface)
          --advertise   the address other silos reach it at (default: the --listen address; required with 0.0.0.0)
          --silo-port   silo-to-silo port (default: a free port); --gateway-port: the client gateway port (default: a free port)
          --primary     development clustering: the primary silo's endpoint (without it and --storage: this silo is its own primary)
          --storage     Azure Table clustering: a storage connection string (Azurite locally); also TTT_STORAGE in the environment
          --cluster-id, --service-id   Orleans' cluster and service ids (default ttt, tttcluster)
          --parent-pid  end with that process; Ctrl-C in the terminal is left to it (it stops this silo)
        SIGTERM (and Ctrl-C without --parent-pid) leaves the cluster cleanly.
        """;

    public static SiloArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        string[] known = ["--model", "--name", "--capacity", "--listen", "--advertise", "--silo-port", "--gateway-port", "--primary", "--storage",
            "--cluster-id", "--service-id", "--parent-pid"];
        for (int i = 0; i < args.Length; i++)
        {
            if (!known.Contains(args[i])) throw new ArgumentException($"expected one of {string.Join(", ", known)}, found '{args[i]}'");
            if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]}: expected a value, found the end of the command line");
            values[args[i]] = args[++i];
        }
        string? Text(string name) => values.GetValueOrDefault(name);
        int Int(string name, int fallback, int min, int max)
        {
            string? text = Text(name);
            if (text is null) return fallback;
            return int.TryParse(text, out int value) && value >= min && value <= max ? value
                : throw new ArgumentException($"{name}: expected an integer from {min} to {max}, found '{text}'");
        }
        IPAddress Address(string name, string text) => IPAddress.TryParse(text, out var parsed) ? parsed
            : throw new ArgumentException($"{name}: expected an IP address (127.0.0.1, 0.0.0.0, a LAN address), found '{text}'");

        var listen = Address("--listen", Text("--listen") ?? "127.0.0.1");
        var advertise = Text("--advertise") is { } a ? Address("--advertise", a)
            : listen.Equals(IPAddress.Any) ? throw new ArgumentException("--advertise: expected the address other silos reach this one at (needed with --listen 0.0.0.0), found none")
            : listen;
        IPEndPoint? primary = null;
        if (Text("--primary") is { } p && !IPEndPoint.TryParse(p, out primary))
            throw new ArgumentException($"--primary: expected the primary silo's IP:PORT (127.0.0.1:11111), found '{p}'");
        if (primary is { Port: 0 }) throw new ArgumentException($"--primary: expected a port from 1 to 65535, found 0");
        string? storage = Text("--storage") ?? Environment.GetEnvironmentVariable("TTT_STORAGE");
        if (string.IsNullOrWhiteSpace(storage)) storage = null;
        if (primary is not null && storage is not null)
            throw new ArgumentException("--primary and --storage: expected one way to find the cluster, found both");
        return new SiloArguments(
            ModelPath: Text("--model") ?? Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"),
            // In a Kubernetes pod the silo must carry the pod's name (Orleans' Kubernetes hosting matches silos to pods by it).
            Name: Text("--name") ?? Grains.KubernetesPod.Name ?? $"silo-{Environment.ProcessId}",
            Capacity: Int("--capacity", 1, 0, 1024),
            Listen: listen, Advertise: advertise,
            SiloPort: Int("--silo-port", 0, 0, 65535), GatewayPort: Int("--gateway-port", 0, 0, 65535),
            Primary: primary, Storage: storage,
            ClusterId: Text("--cluster-id") ?? Grains.SiloSetup.DefaultClusterId, ServiceId: Text("--service-id") ?? Grains.SiloSetup.DefaultServiceId,
            ParentPid: Int("--parent-pid", -1, 1, int.MaxValue));
    }
}

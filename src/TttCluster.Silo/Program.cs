using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

// ttt-silo: a worker silo process. It hosts segment grains for the stories a coordinator places on it, answers grain
// calls as binary frames on its grain port (raw TCP), calls its neighbours' silos directly for halos and scan states,
// and serves /health and /directory over HTTP.
// Usage: ttt-silo --model FILE [--id ID] [--listen ADDRESS] [--advertise HOST] [--port P] [--grain-port P] [--capacity C]
//                 [--parent-pid PID]
//   --listen: the address to bind (127.0.0.1 by default; 0.0.0.0 or a LAN address to serve other machines);
//   --advertise: the host name or address other processes reach this silo at (by default the --listen address, or the
//   machine's host name when listening on all addresses); port 0: any free port.
string? Arg(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
int IntArg(string name, int fallback, int min, int max)
{
    string? text = Arg(name);
    if (text is null) return fallback;
    return int.TryParse(text, out int value) && value >= min && value <= max ? value
        : throw new ArgumentException($"{name}: expected an integer from {min} to {max}, found '{text}'");
}

string id, advertise;
int port, grainPort, capacity, parentPid;
System.Net.IPAddress listen;
try
{
    id = Arg("--id") ?? $"silo-{Environment.ProcessId}";
    port = IntArg("--port", 0, 0, 65535);
    grainPort = IntArg("--grain-port", 0, 0, 65535);
    capacity = IntArg("--capacity", 1, 1, 1024);
    parentPid = IntArg("--parent-pid", -1, 1, int.MaxValue);
    string listenText = Arg("--listen") ?? "127.0.0.1";
    listen = System.Net.IPAddress.TryParse(listenText, out var parsed) ? parsed
        : throw new ArgumentException($"--listen: expected an IP address (127.0.0.1, 0.0.0.0, a LAN address), found '{listenText}'");
    advertise = Arg("--advertise") ?? GrainSocketServer.DefaultAdvertise(listen);
    if (Uri.CheckHostName(advertise) == UriHostNameType.Unknown) throw new ArgumentException($"--advertise: expected a host name or address, found '{advertise}'");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"ttt-silo: {e.Message}");
    return 2;
}

// A silo started by a parent (ttt render --processes, tests) ends with it, even if the parent dies without stopping it.
if (parentPid > 0)
    _ = Task.Run(async () =>
    {
        try
        {
            using var parent = System.Diagnostics.Process.GetProcessById(parentPid);
            await parent.WaitForExitAsync();
        }
        catch (ArgumentException) { }   // no such process any more
        Environment.Exit(0);
    });
var model = ModelBundle.Load(Arg("--model") ?? Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors"));

var local = new InProcessCluster();
local.AddSilo(id, capacity);
var router = new RoutedGrainFactory(local, new SocketGrainInvoker(local.CallDeadline));
ClusterHost.RegisterWorkerGrains(local, router, model);

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(listen, port);
    k.Limits.MaxRequestBodySize = GrainEndpoints.MaxBodyBytes;
});
var app = builder.Build();
GrainEndpoints.Map(app, router);
await app.StartAsync();
await using var grainServer = new GrainSocketServer(local);
router.Self = grainServer.Start(listen, grainPort, advertise);
var http = new UriBuilder(app.Urls.First()) { Host = advertise }.Uri;
// The parent process reads this line to learn both addresses.
Console.WriteLine($"ttt-silo {id} listening on {http} grains on {router.Self}");
await app.WaitForShutdownAsync();
return 0;

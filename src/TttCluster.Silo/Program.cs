using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

// ttt-silo: a worker silo process. It hosts segment grains for the stories a coordinator places on it, answers grain
// calls as binary frames on its grain port (raw TCP), calls its neighbours' silos directly for halos and scan states,
// and serves /health and /directory over HTTP.
// Usage: ttt-silo --model FILE [--id ID] [--port P] [--grain-port P] [--capacity C] [--parent-pid PID]   (port 0: any free port)
string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
string id = Arg("--id", $"silo-{Environment.ProcessId}");
int port = int.Parse(Arg("--port", "0"));
int grainPort = int.Parse(Arg("--grain-port", "0"));
int capacity = int.Parse(Arg("--capacity", "1"));
// A silo started by a parent (ttt render --processes, tests) ends with it, even if the parent dies without stopping it.
if (int.TryParse(Arg("--parent-pid", ""), out int parentPid))
    _ = Task.Run(async () =>
    {
        while (true)
        {
            await Task.Delay(1000);
            try { if (System.Diagnostics.Process.GetProcessById(parentPid).HasExited) Environment.Exit(0); }
            catch (ArgumentException) { Environment.Exit(0); }   // no such process any more
        }
    });
var model = ModelBundle.Load(Arg("--model", Path.Combine(AppContext.BaseDirectory, "models", "tiny.safetensors")));

var local = new InProcessCluster();
local.AddSilo(id, capacity, new ClusterHost.SiloServices(model));
var router = new RoutedGrainFactory(local, new SocketGrainInvoker(local.CallDeadline));
var progress = new ProgressRelay(router);
local.Register<ISegmentGrain>((_, silo) => new SegmentGrain(model, router, progress, silo.Id));
local.Register<ISiloGrain>((_, silo) => new SiloGrain(silo, router, progress));

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(System.Net.IPAddress.Loopback, port);
    k.Limits.MaxRequestBodySize = GrainEndpoints.MaxBodyBytes;
});
var app = builder.Build();
GrainEndpoints.Map(app, router);
await app.StartAsync();
await using var grainServer = new GrainSocketServer(local);
router.Self = grainServer.Start(System.Net.IPAddress.Loopback, grainPort);
// The parent process reads this line to learn both addresses.
Console.WriteLine($"ttt-silo {id} listening on {app.Urls.First()}/ grains on {router.Self}");
await app.WaitForShutdownAsync();

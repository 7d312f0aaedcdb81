using TttCluster.Abstractions;
using TttCluster.Grains;
using TttCluster.Model;
using TttCluster.Runtime;
using TttCluster.Runtime.Transport;

// ttt-silo: a worker silo process. It hosts segment grains for the stories a coordinator places on it, answers grain
// calls as binary frames over HTTP/1.1, and calls its neighbours' silos directly for halos.
// Usage: ttt-silo --model FILE [--id ID] [--port P (0: any free port)] [--capacity C] [--parent-pid PID]
string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
string id = Arg("--id", $"silo-{Environment.ProcessId}");
int port = int.Parse(Arg("--port", "0"));
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
var router = new RoutedGrainFactory(local, new HttpGrainInvoker(HttpGrainInvoker.CreateClient(), local.CallDeadline));
local.Register<ISegmentGrain>((_, _) => new SegmentGrain(model, router));
local.Register<ISiloGrain>((_, silo) => new SiloGrain(silo));

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(System.Net.IPAddress.Loopback, port);
    // Scan states of the big model are 12.7 MB a hand-off (two CFG streams); latents and halos can be larger.
    k.Limits.MaxRequestBodySize = 1L << 30;
});
var app = builder.Build();
GrainEndpoints.Map(app, local, router);
await app.StartAsync();
var address = new Uri(app.Urls.First() + "/");
router.Self = address;
// The parent process reads this line to learn the address.
Console.WriteLine($"ttt-silo {id} listening on {address}");
await app.WaitForShutdownAsync();

using System.Text.RegularExpressions;

namespace TttCluster.Deploy.Tests;

/// <summary>docker-compose.yml, parsed: Azurite, the gateway and scalable silos, wired through environment and secrets.</summary>
public class ComposeTests
{
    private static readonly Dictionary<object, object?> Compose = Yaml.Document(Repo.Read("docker-compose.yml"));

    private static Dictionary<object, object?> Service(string name) => Yaml.Map(Compose, $"services.{name}");

    /// <summary>A service's command as one line (compose's list form; the sh -c wrapper's script as it runs).</summary>
    private static string Command(string name) => string.Join(" ", Yaml.List(Service(name), "command").Cast<string>());

    [Fact]
    public void Services_AreAzuriteGatewayAndSilo()
    {
        Assert.Equal(["azurite", "gateway", "silo"], Yaml.Map(Compose, "services").Keys.Cast<string>().Order());
    }

    [Fact]
    public void Azurite_ListensOnEveryInterface_AndKeepsItsDataInAVolume()
    {
        Assert.StartsWith("mcr.microsoft.com/azure-storage/azurite:", Yaml.Text(Service("azurite"), "image"));
        Assert.Equal("azurite --blobHost 0.0.0.0 --queueHost 0.0.0.0 --tableHost 0.0.0.0 --location /data --disableTelemetry --skipApiVersionCheck --loose", Command("azurite"));
        Assert.Contains("azurite-data:/data", Yaml.List(Service("azurite"), "volumes").Cast<string>());
        Assert.True(Yaml.Map(Compose, "volumes").ContainsKey("azurite-data"), "expected the named volume azurite-data under volumes:");
        Assert.NotNull(Yaml.At(Service("azurite"), "healthcheck.test"));
    }

    [Fact]
    public void Gateway_ServesOnPort8080_WithStorageFromTheEnvironment_AndKeysFromASecret()
    {
        string command = Command("gateway");
        Assert.StartsWith("sh -c exec ttt serve ", command);
        foreach (string option in new[] { "--listen 0.0.0.0", "--port 8080", "--data /data", "--keys /run/secrets/api-keys", "--silo-port 11111", "--advertise \"$$(container-ip)\"", "--capacity 0" })
            Assert.True(command.Contains(option, StringComparison.Ordinal), $"expected the gateway's command to have {option}, found: {command}");
        // The account key stays off the command line: TTT_STORAGE, not --storage.
        Assert.DoesNotContain("--storage", command);
        Assert.Contains("8080:8080", Yaml.List(Service("gateway"), "ports").Cast<string>());
        Assert.Contains("api-keys", Yaml.List(Service("gateway"), "secrets").Cast<string>());
        Assert.Matches(@"^\$\{TTT_KEYS_FILE:-\./docker/dev-api-keys\}$", Yaml.Text(Compose, "secrets.api-keys.file"));
        Assert.Equal(["CMD", "curl", "-fsS", "http://127.0.0.1:8080/healthz"], Yaml.List(Service("gateway"), "healthcheck.test").Cast<string>());
        Assert.Equal("service_healthy", Yaml.Text(Service("gateway"), "depends_on.azurite.condition"));
    }

    [Fact]
    public void Silo_JoinsThroughStorage_AndScales()
    {
        string command = Command("silo");
        Assert.StartsWith("sh -c exec ttt-silo ", command);
        foreach (string option in new[] { "--listen 0.0.0.0", "--advertise \"$$(container-ip)\"", "--silo-port 11111", "--gateway-port 30000", "--name \"$$(cat /etc/hostname)\"", "--cluster-id ttt", "--service-id tttcluster" })
            Assert.True(command.Contains(option, StringComparison.Ordinal), $"expected the silo's command to have {option}, found: {command}");
        // `docker compose up --scale silo=N`: a fixed host port or container name would collide from the second replica.
        var silo = Service("silo");
        Assert.False(silo.ContainsKey("ports"), $"expected no host ports on the silo (it could not scale), found {Yaml.Describe(silo.GetValueOrDefault("ports"))}");
        Assert.False(silo.ContainsKey("container_name"), "expected no container_name on the silo (it could not scale)");
        Assert.Equal(["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/11111"], Yaml.List(silo, "healthcheck.test").Cast<string>());
        Assert.Equal("service_healthy", Yaml.Text(silo, "depends_on.azurite.condition"));
    }

    [Theory]
    [InlineData("gateway")]
    [InlineData("silo")]
    public void TttContainers_ShareTheImageAndStorage_WithReadOnlyRoots(string name)
    {
        var service = Service(name);
        Assert.Equal(".", Yaml.Text(service, "build"));
        Assert.Equal("tttcluster:dev", Yaml.Text(service, "image"));
        string storage = Yaml.Text(service, "environment.TTT_STORAGE") ?? "";
        var connection = Regex.Match(storage, @"^\$\{TTT_STORAGE:-(.*)\}$");
        Assert.True(connection.Success, $"{name}: expected TTT_STORAGE to default to Azurite and be overridable (${{TTT_STORAGE:-...}}), found {storage}");
        foreach (string part in new[] { "AccountName=devstoreaccount1", "BlobEndpoint=http://azurite:10000/devstoreaccount1", "QueueEndpoint=http://azurite:10001/devstoreaccount1", "TableEndpoint=http://azurite:10002/devstoreaccount1" })
            Assert.Contains(part, connection.Groups[1].Value.Split(';'));
        Assert.Equal("true", Yaml.Text(service, "read_only"));
        Assert.Contains(Yaml.List(service, "tmpfs").Cast<string>(), t => t == "/tmp" || t.StartsWith("/tmp:", StringComparison.Ordinal));
        Assert.NotNull(Yaml.At(service, "stop_grace_period"));
    }

    [Fact]
    public void DevKeysFile_IsAValidKeysFile()
    {
        // ttt serve --keys: lines "TENANT KEY", '#' comments, keys of at least 16 characters.
        var keys = Repo.Read("docker/dev-api-keys").Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(' ')).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.True(k.Length == 2 && k[1].Length >= 16, $"expected \"TENANT KEY\" with a key of at least 16 characters, found \"{string.Join(' ', k)}\""));
        Assert.Contains(keys[0][1], Repo.Read("docker-compose.yml"));   // the key the file's header tells users to submit with
    }

    [Fact]
    public void ContainerIp_PrefersPodIp_AndRefusesLoopback()
    {
        var (code, output) = Tools.Run("sh", [Repo.PathOf("docker/container-ip")], null, new() { ["POD_IP"] = "10.1.2.3" });
        Assert.True(code == 0 && output.Trim() == "10.1.2.3", $"expected container-ip to print POD_IP (10.1.2.3), found exit {code}: {output}");
        // This machine maps its host name to loopback, as a container never does: the script must stop, not print it.
        if (Tools.Run("getent", ["ahostsv4", File.ReadAllText("/etc/hostname").Trim()]).Output.StartsWith("127.", StringComparison.Ordinal))
        {
            var (loopCode, loopOutput) = Tools.Run("sh", [Repo.PathOf("docker/container-ip")], null, new() { ["POD_IP"] = "" });
            Assert.True(loopCode != 0 && loopOutput.Contains("set POD_IP", StringComparison.Ordinal), $"expected container-ip to refuse a loopback address, found exit {loopCode}: {loopOutput}");
        }
    }
}

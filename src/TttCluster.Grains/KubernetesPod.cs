using Orleans.Hosting;

namespace TttCluster.Grains;

/// <summary>
/// A silo in a Kubernetes pod. Orleans' Kubernetes hosting (Microsoft.Orleans.Hosting.Kubernetes) names the silo after
/// its pod, advertises the pod's IP, takes the service and cluster ids from the pod's environment, and declares silos
/// dead whose pods are gone, without waiting for failure detection. It needs the pod's API (a service account allowed to
/// get, list, watch, delete and patch pods) and the variables the manifests set from the downward API.
/// </summary>
public static class KubernetesPod
{
    /// <summary>The variables the manifests set (k8s/, helm/tttcluster); hosting is used only when every one is there.</summary>
    public static readonly string[] Variables = ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"];

    /// <summary>True in a pod that the manifests set up: every variable set, and the API server reachable by name.</summary>
    public static bool IsInPod =>
        Variables.All(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v)))
        && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"));

    /// <summary>The pod's name (the silo's name must be it), or null outside a pod.</summary>
    public static string? Name => IsInPod ? Environment.GetEnvironmentVariable("POD_NAME") : null;

    /// <summary>Uses Orleans' Kubernetes hosting in a pod; does nothing elsewhere. Call after the clustering and endpoints, so that the pod's values win.</summary>
    public static void UseHostingIfInPod(ISiloBuilder silo)
    {
        if (IsInPod) silo.UseKubernetesHosting();
    }
}

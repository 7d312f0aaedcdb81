# syntax=docker/dockerfile:1
# The TttCluster image: one image, two programs. `ttt serve` is the gateway (HTTP API + a coordinating silo) and
# `ttt-silo` is a worker silo; docker-compose.yml, k8s/ and helm/tttcluster run this image with one or the other.
#
#   docker build -t tttcluster .
#
# .NET 10 ships no Debian images (the default tags are Ubuntu 24.04 "noble", see the dotnet-docker .NET 10 release
# notes), so both stages name the noble tag explicitly: the base cannot change under a rebuild. Noble carries the same
# two packages the engine needs, ffmpeg and libopenblas0-pthread.

FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
# Only what the CLI's project graph needs: the props files pin the framework and package versions, the CLI references
# the benchmarks project (`ttt bench`, which compiles in the tests' Azurite starter), and models/ holds the shipped
# model that the build copies beside ttt.dll.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY benchmarks/ benchmarks/
COPY tests/TttCluster.Storage.Tests/AzuriteProcess.cs tests/TttCluster.Storage.Tests/
COPY models/ models/
# Framework-dependent on the aspnet runtime image. ttt-silo.dll lands beside ttt.dll: every host references the silo
# project, and `ttt serve --silos N` starts it from its own folder.
RUN dotnet publish src/TttCluster.Cli/TttCluster.Cli.csproj -c Release -o /app --nologo \
 && test -f /app/ttt.dll && test -f /app/ttt-silo.dll && test -f /app/models/tiny.safetensors

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
# ffmpeg encodes the videos (FFMpegCore runs ffmpeg and ffprobe from PATH); libopenblas0-pthread is the GEMM backend
# (without it the engine falls back to a managed GEMM, correct but several times slower); curl is the HEALTHCHECK's
# client (the base image has neither curl nor wget).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg libopenblas0-pthread curl \
 && rm -rf /var/lib/apt/lists/*
# OpenBLAS misdetects the CPU on many VMs and then runs sgemm up to 7x slower (PACKAGES.md); the engine keeps a value
# set here. Haswell (AVX2) kernels run on every x86-64 server CPU of the last decade; on AVX-512 hosts, override it with
# SkylakeX (env in compose / the pod spec) for about twice the sgemm speed.
ENV OPENBLAS_CORETYPE=Haswell \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
COPY --from=build /app /app
# `ttt` and `ttt-silo` on PATH, as in a checkout; container-ip prints the address other silos reach this one at.
COPY --chmod=0755 docker/ttt docker/ttt-silo docker/container-ip /usr/local/bin/
# /data: ttt serve's --data folder (keys and scratch when --storage is given). A volume mounted there (a named
# volume, tmpfs, or an emptyDir) is what keeps the root file system read-only; the image makes it owned by the
# app user so that a fresh named volume inherits that owner.
RUN mkdir /data && chown 1654:1654 /data
# The non-root user the .NET images create (app, UID 1654). Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 1654
WORKDIR /app
# 8080: HTTP API (ttt serve); 11111: silo-to-silo; 30000: the Orleans client gateway of ttt-silo.
EXPOSE 8080 11111 30000
# The gateway's health. A silo container has no HTTP; compose and the pod specs give it a TCP check on 11111 instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["ttt", "serve", "--listen", "0.0.0.0", "--port", "8080", "--data", "/data"]

"""How well does a model file denoise, object pixels apart from background? For each model: the mean squared error of
its x0 estimate (x0 = a·x_t − σ·v, what the sampler takes from it) on unit-scale latents, at five noise levels of
the default 20-step grid, over latent pixels an object covers and over the rest, next to what copying the input
(x0 = x_t / a) and answering 0, the latents' mean, on object pixels would score. A sampler can only keep an object that the model denoises better than noise.

  /usr/bin/python3 tools/train/denoise_check.py --run tools/train/runs/NAME MODEL.safetensors [MODEL2 ...]

--run names the training run whose autoencoder (ae.pt) made the models' latents: its encoder turns the world's
frames into the latents the model is asked to recover. The batches are training-distribution stories from a seed
and steps train.py never uses (the same for every model), with the noise seeded by the noise level.
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import data  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import train  # noqa: E402
from batched_model import ref  # noqa: E402
from safetensors_io import load_file  # noqa: E402  (tools/reference)

NOISE_STEPS = (0, 5, 10, 15, 19)   # indices on the 20-step grid: t = 999, 749, 499, 249, 49
BATCH_SEED, BATCH_STEP = 7, 50_000_000


def x0_errors(W, batches, cfg, upscale, grid):
    """[(t, object MSE, background MSE, copy-the-input MSE, answer-0 MSE on objects)] for each noise level."""
    t_grid, a_grid, s_grid = grid
    rows = []
    for i in NOISE_STEPS:
        a, s = float(a_grid[i]), float(s_grid[i])
        err = {True: 0.0, False: 0.0}
        count = {True: 0.0, False: 0.0}
        zero = 0.0
        for x0, mask, ids in batches:
            eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(i))
            x_t = a * x0 + s * eps
            with torch.no_grad():
                v = bm.forward(x_t, [t_grid[i]] * x0.shape[0], bm.encode_text(ids, W), W, cfg)
            e = ((a * x_t - s * v - x0) ** 2).sum(dim=2, keepdim=True)              # summed over channels
            for on_object, m in ((True, mask), (False, 1 - mask)):
                err[on_object] += (e * m).sum().item()
                count[on_object] += m.sum().item() * x0.shape[2]
            zero += ((x0 ** 2).sum(dim=2, keepdim=True) * mask).sum().item()
        copy = s * s / (a * a) if a > 0 else float("inf")                              # E[(σ/a · ε)²]
        rows.append((t_grid[i], err[True] / count[True], err[False] / count[False], copy, zero / count[True]))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files exported by the run")
    p.add_argument("--run", required=True, help="the training run folder whose ae.pt made the models' latents")
    p.add_argument("--seed", type=int, default=1, help="the run's --seed (its latent normalisation depends on it)")
    p.add_argument("--batches", type=int, default=3, help="denoising batches of about 24 scenes")
    args = p.parse_args()
    ae_path = os.path.join(args.run, "ae.pt")
    checkpoint = train.load_checkpoint(ae_path)
    if checkpoint is None:
        sys.exit(f"--run {args.run}: no ae.pt there (expected the folder train.py --run wrote)")
    meta = sf.read_metadata(train.BASE_MODEL)
    cfg, dec = ref.TttConfig.from_json(meta["ttt_config"]), json.loads(meta["ttt_decoder"])
    geometry = sf.Geometry.from_model(train.BASE_MODEL)
    AE, u = checkpoint["params"], dec["upscale"]
    stats = train.latent_stats(AE, geometry, args.seed, u)
    mean, std = stats["latent_mean"].reshape(1, 1, -1, 1, 1), stats["latent_std"].reshape(1, 1, -1, 1, 1)
    batches = []
    for k in range(args.batches):
        frames, ids, _ = data.dit_batch(geometry, BATCH_SEED, BATCH_STEP + k)
        B, T = frames.shape[:2]
        with torch.no_grad():
            z = bm.encode_frames(frames.flatten(0, 1), AE, u).reshape(B, T, cfg.latentChannels, cfg.latentHeight,
                                                                      cfg.latentWidth)
        # An object's latent pixels: any object pixel in the pixel's 16 × 16 block.
        mask = torch.nn.functional.max_pool2d(train.object_mask(frames.flatten(0, 1)), u)
        batches.append(((z - mean) / std, mask.reshape(B, T, 1, cfg.latentHeight, cfg.latentWidth), ids))
    grid = ref.sampler_schedule(20, 0.0, 1.0)[:3]
    for path in args.models:
        tensors, _ = load_file(path, widen=False)
        for k, v in train.export_decoder(AE, stats).items():
            if (tensors[k] - v).abs().max().item() > 1e-5:
                sys.exit(f"{path}: its {k} is not {ae_path}'s decoder: the model was trained on other latents")
        W = {k: v for k, v in tensors.items() if not k.startswith("decoder.")}
        print(f"{path}: x0 MSE a latent value (unit scale), object pixels / background; what copying the "
              "input and answering 0 on object pixels score")
        for t, obj, bg, copy, zero in x0_errors(W, batches, cfg, u, grid):
            print(f"  t = {t:3d}   object {obj:6.3f}   background {bg:6.3f}   copy {copy:7.3f}   0 on objects {zero:6.3f}")


if __name__ == "__main__":
    main()

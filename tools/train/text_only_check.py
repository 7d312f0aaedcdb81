"""Can a model learn to place objects from the text alone? From a model file's weights, train at t = 999 only (pure
noise in, so x0 = −v must come from the text), with object latent pixels and their ring weighted, and print the x0
MSE on object pixels of a batch it never trains on, next to answering the latents' mean there.

  /usr/bin/python3 tools/train/text_only_check.py --run tools/train/runs/NAME MODEL.safetensors [--steps 400]
  ... --memorise     train on that same batch instead: can the model fit 24 scenes' objects at all?

Measured on the shipped file (tools/train/README.md, "Object tuning"): --memorise brings the object error from
1.68 to 0.52 in 200 steps; fresh batches leave the unseen batch's error where it was (1.39-1.56 over 400 steps;
answering the mean scores 1.11). That separates "cannot fit" from "does not generalise". Nothing is written.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import denoise_check  # noqa: E402
import train  # noqa: E402
from safetensors_io import load_file  # noqa: E402  (tools/reference)

PURE_NOISE_T = 999
HELD_OUT_SEED, HELD_OUT_STEP = 7, 50_000_000    # the batch measured (denoise_check.py's first batch)
TRAIN_STEP = 30_000_000                         # batches train.py never reaches


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", help="model file whose DiT and text encoder to start from")
    p.add_argument("--run", required=True, help="the training run folder whose ae.pt made the model's latents")
    p.add_argument("--seed", type=int, default=1, help="the run's --seed")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--object-weight", type=float, default=10.0)
    p.add_argument("--memorise", action="store_true", help="train on the measured batch itself")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg, dec, geometry, AE, stats = train.run_autoencoder(args.run, args.seed)
    C = cfg.latentChannels

    def batch(seed, step):
        """(unit-scale latents, latent object mask, text ids) with every scene's text kept."""
        return denoise_check.measured_batch(geometry, seed, step, AE, stats, cfg, dec["upscale"], drop_text=False)

    tensors, _ = load_file(args.model, widen=False)
    mismatch = train.decoder_mismatch(tensors, AE, stats)
    if mismatch:
        sys.exit(f"{args.model}: {mismatch}: the model was trained on other latents than --run {args.run}'s")
    W = {k: v.detach().clone().requires_grad_() for k, v in tensors.items() if not k.startswith("decoder.")}
    opt = torch.optim.Adam(W.values(), lr=args.lr)

    def x0_error(x0, ids, seed):
        eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))
        v = bm.forward(eps, [PURE_NOISE_T] * x0.shape[0], bm.encode_text(ids, W), W, cfg)
        return ((-v - x0) ** 2).sum(dim=2, keepdim=True)                  # a = 0, σ = 1: x0 = −v

    measured = batch(HELD_OUT_SEED, HELD_OUT_STEP)
    print(f"on object pixels, answering the mean scores {denoise_check.mean_answer_error([measured]):.3f}, "
          f"answering each frame's background {denoise_check.background_answer_error([measured]):.3f}")
    for step in range(args.steps + 1):
        if step % 50 == 0:
            with torch.no_grad():
                x0, mask, ids = measured
                e = x0_error(x0, ids, 12345)
            print(f"step {step:4d}: x0 MSE on the measured batch, object {(e * mask).sum() / (mask.sum() * C):.3f} "
                  f"background {(e * (1 - mask)).sum() / ((1 - mask).sum() * C):.3f}", flush=True)
        if step == args.steps:
            break
        x0, mask, ids = measured if args.memorise else batch(args.seed, TRAIN_STEP + step)
        weights = train.latent_object_weights(mask.flatten(0, 1), args.object_weight).reshape(mask.shape)
        loss = (weights * x0_error(x0, ids, step)).sum() / (C * weights.sum())
        opt.zero_grad()
        loss.backward()
        opt.step()


if __name__ == "__main__":
    main()

"""How well does a model file denoise, object pixels apart from background? For each model: the mean squared error of
its x0 estimate (x0 = a·x_t − σ·v, what the sampler takes from it) on unit-scale latents, at five noise levels of
the default 20-step grid, over latent pixels an object covers and over the rest, next to what copying the input
(x0 = x_t / a) and answering 0, the latents' mean, on object pixels would score. A sampler can only keep an
object that the model denoises better than noise.

  /usr/bin/python3 tools/train/denoise_check.py --run tools/train/runs/NAME MODEL.safetensors [MODEL2 ...]
  /usr/bin/python3 tools/train/denoise_check.py --run tools/train/runs/NAME tools/train/runs/NAME/dit.pt

--run names the training run whose autoencoder (ae.pt) made the models' latents: its encoder turns the world's
frames into the latents the model is asked to recover. The batches are training-distribution stories from a seed
and steps train.py never uses (the same for every model), with the noise seeded by the noise level.
"""
import argparse
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import data  # noqa: E402
import train  # noqa: E402
from batched_model import ref  # noqa: E402
from safetensors_io import load_file  # noqa: E402  (tools/reference)

NOISE_STEPS = (0, 5, 10, 15, 19)   # indices on the 20-step grid: t = 999, 749, 499, 249, 49
BATCH_SEED, BATCH_STEP = 7, 50_000_000


def x0_errors(W, batches, cfg, grid):
    """[(t, object MSE, background MSE, copy-the-input MSE, share of frames whose strongest deviation is on an
    object)] for each noise level of NOISE_STEPS."""
    t_grid, a_grid, s_grid = grid
    rows = []
    for i in NOISE_STEPS:
        a, s = float(a_grid[i]), float(s_grid[i])
        err = {True: 0.0, False: 0.0}
        count = {True: 0.0, False: 0.0}
        strongest_hits = frames = 0
        for x0, mask, ids in batches:
            eps = torch.randn(x0.shape, generator=torch.Generator().manual_seed(i))
            x_t = a * x0 + s * eps
            with torch.no_grad():
                v = bm.forward(x_t, [t_grid[i]] * x0.shape[0], bm.encode_text(ids, W), W, cfg)
            e = ((a * x_t - s * v - x0) ** 2).sum(dim=2, keepdim=True)              # summed over channels
            hits, count_frames = strongest_on_object(a * x_t - s * v, mask)
            strongest_hits += hits
            frames += count_frames
            for on_object, m in ((True, mask), (False, 1 - mask)):
                err[on_object] += (e * m).sum().item()
                count[on_object] += m.sum().item() * x0.shape[2]
        copy = s * s / (a * a) if a > 0 else float("inf")                              # E[(σ/a · ε)²]
        rows.append((t_grid[i], err[True] / count[True], err[False] / count[False], copy, strongest_hits / frames))
    return rows


def strongest_on_object(x0_estimate, mask):
    """(frames whose latent pixel farthest from the frame's background, its per-channel median, lies on an object;
    frames holding an object). Where a model draws its object, not how well: at t = 999 a model that places objects
    from the text scores high; one that draws none scores about the share of pixels objects cover."""
    strongest = ((x0_estimate - frame_background(x0_estimate)) ** 2).sum(dim=2).flatten(2).argmax(dim=2)     # (B, T)
    on_mask = mask[:, :, 0].flatten(2)
    holds = on_mask.sum(dim=2) > 0
    hits = on_mask.gather(2, strongest[..., None])[..., 0]
    return (hits * holds).sum().item(), holds.sum().item()


def frame_background(latents):
    """[..., C, h, w] → [..., C, 1, 1]: each frame's background latent, its per-channel median over the frame's latent
    pixels (objects cover a few of 96)."""
    return latents.flatten(-2).median(dim=-1).values[..., None, None]


def object_area(batches):
    """The share of latent pixels objects cover, in frames that hold one: the strongest-pixel score of chance."""
    covered = sum(mask.sum().item() for _, mask, _ in batches)
    frames = sum((mask.flatten(2).sum(2) > 0).sum().item() for _, mask, _ in batches)
    return covered / (frames * batches[0][1].shape[-1] * batches[0][1].shape[-2])


def measured_batch(geometry, seed, step, AE, stats, cfg, upscale, drop_text=True):
    """A denoising batch as (unit-scale latents [B, T, C, h, w], latent object mask [B, T, 1, h, w], text ids);
    drop_text=False keeps every scene's text (no uncond stories or scenes)."""
    drops = {} if drop_text else {"drop_story": 0, "drop_scene": 0}
    frames, ids, _ = data.dit_batch(geometry, seed, step, **drops)
    return latents_and_mask(frames, AE, stats, cfg, upscale) + (ids,)


def latents_and_mask(frames, AE, stats, cfg, upscale):
    """Frames [B, T, 3, H, W] → (unit-scale latents [B, T, C, h, w], latent object mask [B, T, 1, h, w])."""
    B, T = frames.shape[:2]
    mask = train.latent_object_mask(frames.flatten(0, 1), upscale)
    return (train.normalised_latents(frames, AE, stats, cfg, upscale),
            mask.reshape(B, T, 1, cfg.latentHeight, cfg.latentWidth))


def answer_error(batches, answer):
    """The x0 MSE on object pixels of answering `answer(x0)` for every latent pixel of the batches."""
    err = count = 0.0
    for x0, mask, _ in batches:
        err += (((x0 - answer(x0)) ** 2).sum(dim=2, keepdim=True) * mask).sum().item()
        count += mask.sum().item() * x0.shape[2]
    return err / count


def mean_answer_error(batches):
    """Answering 0, the latents' mean: what a model that knows nothing of objects scores on object pixels."""
    return answer_error(batches, torch.zeros_like)


def background_answer_error(batches):
    """Answering each frame's background latent everywhere: what a model that draws the right background and no
    object scores on object pixels. It is above answering the mean (objects differ from their background more than
    from the average latent), so a model that learnt backgrounds first scores worse than the mean on object pixels
    before it draws any object: the mean alone is not the bar."""
    return answer_error(batches, frame_background)


def file_weights(path, AE, stats, run):
    """The DiT and text-encoder weights of a model file whose decoder is `run`'s autoencoder (else an error)."""
    tensors, _ = load_file(path, widen=False)
    mismatch = train.decoder_mismatch(tensors, AE, stats)
    if mismatch:
        sys.exit(f"{path}: {mismatch}: the model was trained on other latents than --run {run}'s")
    return {k: v for k, v in tensors.items() if not k.startswith("decoder.")}


def checkpoint_weights(path):
    """The weights a running dit phase is training, read from its checkpoint: a run can be checked without an export.
    An export writes the EMA instead, which with its warm-up (train.run_phase) averages about the last tenth of the
    steps (a mean lag of 30 steps at step 300). A checkpoint holds no decoder, so it must come from --run's own dit
    phase; an ae.pt (no EMA) is refused."""
    checkpoint = train.load_checkpoint(path)
    if checkpoint is None or checkpoint.get("ema") is None:
        sys.exit(f"{path}: not a dit.pt checkpoint of train.py (expected the denoiser's EMA beside its weights)")
    print(f"{path}: the weights being trained, at step {checkpoint['step']}")
    return {k: v.detach() for k, v in checkpoint["params"].items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="+", help="model files exported by the run, or its dit.pt (the trained weights)")
    p.add_argument("--run", required=True, help="the training run folder whose ae.pt made the models' latents")
    p.add_argument("--seed", type=int, default=1, help="the run's --seed (its latent normalisation depends on it)")
    p.add_argument("--batches", type=int, default=3, help="denoising batches of about 24 scenes")
    args = p.parse_args()
    cfg, dec, geometry, AE, stats = train.run_autoencoder(args.run, args.seed)
    batches = [measured_batch(geometry, BATCH_SEED, BATCH_STEP + k, AE, stats, cfg, dec["upscale"])
               for k in range(args.batches)]
    zero, background, chance = mean_answer_error(batches), background_answer_error(batches), object_area(batches)
    grid = ref.sampler_schedule(20, 0.0, 1.0)[:3]
    for path in args.models:
        W = checkpoint_weights(path) if path.endswith(".pt") else file_weights(path, AE, stats, args.run)
        print(f"{path}: x0 MSE a latent value (unit scale), object pixels / background, and what copying the input "
              f"scores; on object pixels, answering 0 (the mean) scores {zero:.3f}, answering each frame's "
              f"background {background:.3f}; strongest deviation on an object by chance {chance:.0%}")
        for t, obj, bg, copy, strongest in x0_errors(W, batches, train.config_of(W, cfg), grid):
            print(f"  t = {t:3d}   object {obj:6.3f}   background {bg:6.3f}   copy {copy:7.3f}   "
                  f"strongest deviation on an object {strongest:4.0%}")


if __name__ == "__main__":
    main()

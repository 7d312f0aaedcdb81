"""Does an object's colour reach a later scene whose text does not say it? Tunes a dit.pt checkpoint's weights on
two-scene stories (the world's own: scene 2 leaves the colour of an object seen in scene 1 unsaid 70% of the
time) and measures, on held-out two-scene stories at t = 999 (x0 from the text alone), the colour the model draws
where each object is: said colours (the scene's own text names them) against carried ones (only an earlier scene
does). The colour is read where the world draws the object, so a misplaced object does not count against its colour.

  /usr/bin/python3 tools/train/carry_check.py --run tools/train/runs/o1 --from tools/train/runs/p4/dit.pt \
      [--ttt-base-lr 4] [--steps 200] [--every 50]

--ttt-base-lr runs the same weights with another TTT inner learning rate (docs/MODEL.md's TttBaseLr; the model
file's config holds it, so the engine runs either): the Tiny preset's 0.1 moves the inner weights little in a
story (tools/reference's goldens use 4 for that reason), and the inner weights are the only memory that spans the
whole story. Chance for a carried colour is about 1 in 6 (an object's colour differs from its background).
"""
import argparse
import os
import sys
import types

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import train  # noqa: E402
from tokenizer import encode_ids  # noqa: E402

DATA_OFFSET = 60_000_000   # batch steps train.py's phases never reach: new stories, not the checkpoint's
EVAL_SEED = sb.EVAL_SEEDS.start + 300_000


def held_out_stories(geometry, count):
    """Two-scene eval stories whose second scene shows an object (said or carried)."""
    stories, seed = [], EVAL_SEED
    while len(stories) < count:
        story = sb.generate_story(seed, 2, "eval", geometry, geometry.text_tokens)
        if story.scenes[1].objects:
            stories.append(story)
        seed += 1
    return stories


def drawn_colour(rgb, geometry, obj):
    """The palette colour nearest the median of the decoded pixels [H, W, 3] inside the inner half of the object's
    disc at its start (where the world draws its core)."""
    x, y, r = geometry.object_disc(obj, 0.0)
    ys, xs = np.mgrid[0:rgb.shape[0], 0:rgb.shape[1]].astype(np.float32) + 0.5
    core = (xs - x) ** 2 + (ys - y) ** 2 <= (0.5 * r) ** 2
    return sf.nearest_colour(np.median(rgb[core], axis=0))


def colour_scores(W, cfg, stories, geometry, decoder, upscale):
    """(said right, said, carried right, carried) over the stories' objects at their scenes' start frames."""
    ids = torch.tensor([[encode_ids(s.text, geometry.vocabulary_size, geometry.text_tokens) for s in st.scenes]
                        for st in stories])
    noise = torch.randn(len(stories), cfg.frames(2), cfg.latentChannels, cfg.latentHeight, cfg.latentWidth,
                        generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        x0 = -bm.forward(noise, [999] * len(stories), bm.encode_text(ids, W), W, cfg)   # a = 0, σ = 1: x0 = −v
        counts = [0, 0, 0, 0]
        for b, story in enumerate(stories):
            for k, scene in enumerate(story.scenes):
                f = cfg.framesPerSegment * k + 1                                         # the scene's start
                rgb = bm.decode(x0[b, f][None], decoder, upscale)[0].permute(1, 2, 0).numpy()
                for obj in scene.objects:
                    slot = 0 if obj.colour_said else 2
                    counts[slot] += drawn_colour(rgb, geometry, obj) == obj.colour
                    counts[slot + 1] += 1
    return counts


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="the training run whose ae.pt made the checkpoint's latents")
    p.add_argument("--from", dest="checkpoint", required=True, help="a dit.pt of that run (its EMA is tuned)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--ttt-base-lr", type=float, default=0.0, help="TttBaseLr to run and tune with (0: the config's)")
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--object-weight", type=float, default=10.0)
    p.add_argument("--stories", type=int, default=48)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg, dec, geometry, AE, stats = train.run_autoencoder(args.run, args.seed)
    checkpoint = train.load_checkpoint(args.checkpoint)
    if checkpoint is None or checkpoint.get("ema") is None:
        sys.exit(f"{args.checkpoint}: not a dit.pt checkpoint of train.py")
    W = {k: v.detach().clone().requires_grad_() for k, v in checkpoint["ema"].items()}
    cfg = train.config_of(W, cfg)
    if args.ttt_base_lr:
        cfg.tttBaseLr = args.ttt_base_lr
    decoder = train.export_decoder(AE, stats)
    stories = held_out_stories(geometry, args.stories)
    loss_fn = train.denoiser_loss(types.SimpleNamespace(seed=args.seed), cfg, dec, geometry, AE, stats, W,
                                  args.object_weight, lambda step: DATA_OFFSET + step, lambda step: ((2, 16),),
                                  pure_noise_at=lambda step: True)
    opt = torch.optim.AdamW(W.values(), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.0)
    print(f"{args.checkpoint} (step {checkpoint['step']}), TttBaseLr {cfg.tttBaseLr}, {cfg.layers} blocks; "
          f"colour where each object is, at t = 999, {len(stories)} held-out two-scene stories")
    for step in range(args.steps + 1):
        if step % args.every == 0:
            said_right, said, carried_right, carried = colour_scores(W, cfg, stories, geometry, decoder,
                                                                     dec["upscale"])
            print(f"  step {step:4d}: said colours {said_right}/{said} ({said_right / said:.0%}), carried "
                  f"{carried_right}/{carried} ({carried_right / carried:.0%})", flush=True)
        if step == args.steps:
            break
        torch.manual_seed(args.seed * 1_000_003 + step)
        train.optimiser_step(opt, W, loss_fn(step))


if __name__ == "__main__":
    main()

"""Does the DiT learn where the world's own text puts an object, from pure noise? cell_word_check.py's question on
the storyboard world's scenes: one-scene training stories (optionally only those with one object that stays where
the text says it starts), their frames through a run's encoder, trained at t = 999 only (x0 = −v) from init_dit,
with object latent pixels and their ring weighted 10× as train.py weights them. Every 25 steps it prints the
object pixels' x0 error of this batch (answering 0, the latents' mean, scores about 1.0 at step 0) and how often
a frame's strongest deviation from its background lies on an object (chance: the ~8% objects cover).

  /usr/bin/python3 tools/train/world_place_check.py --run tools/train/runs/full [--scenes static] [--steps 400]

--scenes static: one object that stays, its start said ("On a red background, a blue ball at the top left sits.");
one: one object, any motion; two: two objects; any: every one-scene story. --relative: the target is each frame's
latents minus its background (the per-channel median), so nothing but the object is left to draw, as in
cell_word_check.py. --layers, --batch: a deeper model, more stories a step ("Depth (session 7)").
Measured in tools/train/README.md ("The world at pure noise"). Nothing is written.
"""
import argparse
import os
import random
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import denoise_check as dc  # noqa: E402
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import train  # noqa: E402
from tokenizer import encode_ids  # noqa: E402

PURE_NOISE_T, OBJECT_WEIGHT = 999, 10.0


def wanted(scene, scenes):
    """Whether a generated one-scene story's scene belongs to the --scenes selection."""
    if scenes == "any":
        return True
    if scenes == "two":
        return len(scene.objects) == 2
    if len(scene.objects) != 1:
        return False
    return scenes == "one" or (scene.objects[0].motion == "stays" and scene.objects[0].start_said)


def world_batch(rng, batch, scenes, geometry, cfg, AE, stats, upscale):
    """(latents [B, T, C, h, w], latent object mask [B, T, 1, h, w], text ids [B, 1, Lt]) of `batch` training
    stories."""
    stories = []
    while len(stories) < batch:
        story = sb.generate_story(rng.randrange(sb.TRAIN_SEEDS.start, sb.TRAIN_SEEDS.stop), 1, "train", geometry,
                                  geometry.text_tokens)
        if wanted(story.scenes[0], scenes):
            stories.append(story)
    frames = np.stack([sf.render_latent_frames(geometry, s) for s in stories])
    frames = torch.from_numpy(frames).permute(0, 1, 4, 2, 3).contiguous()                # (B, T, 3, H, W)
    ids = [[encode_ids(s.scenes[0].text, geometry.vocabulary_size, geometry.text_tokens)] for s in stories]
    return dc.latents_and_mask(frames, AE, stats, cfg, upscale) + (torch.tensor(ids),)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="a train.py run folder whose ae.pt encodes the frames")
    p.add_argument("--scenes", choices=("static", "one", "two", "any"), default="static")
    p.add_argument("--relative", action="store_true", help="the target is the latents minus each frame's background")
    p.add_argument("--qk-gain", type=float, default=3.0, help="init_dit's qk_gain")
    p.add_argument("--text-positions", choices=("random", "sinusoidal"), default="random")
    p.add_argument("--layers", type=int, default=0, help="blocks instead of the shipped config's (a deeper preset)")
    p.add_argument("--batch", type=int, default=16, help="stories a step")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    cfg, dec, geometry, AE, stats = train.run_autoencoder(args.run, args.seed)
    if args.layers:
        cfg.layers = args.layers
    W = train.init_dit(args.seed, cfg, geometry.vocabulary_size, 1.0, args.text_positions, args.qk_gain)
    opt = torch.optim.Adam(W.values(), lr=args.lr)
    rng, g = random.Random(args.seed), torch.Generator().manual_seed(args.seed)
    started = time.time()
    for step in range(args.steps + 1):
        x0, mask, ids = world_batch(rng, args.batch, args.scenes, geometry, cfg, AE, stats, dec["upscale"])
        if args.relative:
            x0 = x0 - dc.frame_background(x0)
        v = bm.forward(torch.randn(x0.shape, generator=g), [PURE_NOISE_T] * args.batch, bm.encode_text(ids, W), W, cfg)
        weights = train.latent_object_weights(mask.flatten(0, 1), OBJECT_WEIGHT).reshape(mask.shape)
        loss = (weights * (v + x0) ** 2).sum() / (cfg.latentChannels * weights.sum())
        if step % 25 == 0:
            x0_estimate = -v.detach()
            hits, frames = dc.strongest_on_object(x0_estimate, mask)
            error = dc.answer_error([(x0, mask, ids)], lambda _: x0_estimate)
            print(f"step {step:4d}: object error {error:.3f}, strongest deviation on an object {hits / frames:4.0%}  "
                  f"({time.time() - started:.0f} s)", flush=True)
        train.optimiser_step(opt, W, loss)


if __name__ == "__main__":
    main()

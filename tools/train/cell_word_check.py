"""Can the DiT learn to draw where a word says, from pure noise? The smallest form of what the storyboard asks: each
scene's text is one word out of 9, and the picture (every frame) is a 2 × 2-latent-pixel blob of one fixed colour
at the cell that word stands for (corners, edge middles and centre of the 4 × 6 patch grid), on a zero background.
Trained at t = 999 only (x0 = −v), from init_dit (the model of docs/MODEL.md, the Tiny config of the shipped file),
with the blob's pixels weighted 10×; every 25 steps it prints the blob error and how often the strongest pixel of
the prediction lies on the blob (9 cells of 2 × 2 in 96 pixels: 11% when the model paints all nine at once).

  /usr/bin/python3 tools/train/cell_word_check.py [--rope-gain 3] [--qk-gain 3] [--steps 400] [--sentence]

--sentence: the text is the cell's name as the storyboard says it ("top left", "centre", "bottom"; the grid's nine
cells map to the nine blob cells) at a random place among 6–14 distractor words of the world's vocabulary (colours,
kinds, verbs), tokenised as `ttt render` does: a step towards the world, where the place is a phrase in a sentence.
--colour (with --sentence): the blob takes one of 8 colours (fixed latent vectors), named as "<colour> ball" at
another random place of the sentence: place and colour have to be combined, as for a world's object.

--one-colour-steps N (with --colour): every blob in the palette's first colour for the first N steps, a curriculum.

Measured in tools/train/README.md ("Where the text says", "The world at pure noise"): one word is learnt in 200–250
steps at the shipped recipe's initialisation, 75–150 with --rope-gain 3 (init_dit's attention q/k LayerNorm gain on
the fastest RoPE pairs); --sentence in ~150 at either gain; --sentence --colour is still far off after 1,000, finds
the place sooner with --qk-gain 3 but not the colour, and loses what --one-colour-steps taught once the colours
come. Nothing is written.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
import storyboard as sb  # noqa: E402
import storyboard_frames as sf  # noqa: E402
import train  # noqa: E402
from batched_model import ref  # noqa: E402
from tokenizer import encode_ids  # noqa: E402

CELLS = [(row, col) for row in (0, 1, 3) for col in (0, 2, 5)]   # patch rows 0..3, patch columns 0..5
BATCH, PURE_NOISE_T, BLOB_WEIGHT = 16, 999, 10.0
DISTRACTORS = list(sb.COLOURS + sb.KINDS) + "the a on moves slides rolls background sits from to and".split()


def sentence_ids(rng, cells, vocabulary, tokens, colours=None):
    """[B, 1, Lt] ids: each cell's storyboard name among random distractor words, as the C# tokenizer cuts them;
    with `colours` (indices into storyboard.COLOURS), "<colour> ball" at another random place."""
    names = [sb.CELL_NAMES[(col, row)] for row in range(3) for col in range(3)]      # CELLS' order: row-major 3 x 3
    texts = []
    for k in cells.tolist():
        words = [DISTRACTORS[i] for i in rng.integers(0, len(DISTRACTORS), 6 + int(rng.integers(0, 9)))]
        at = int(rng.integers(0, len(words) + 1))
        words = words[:at] + [names[k]] + words[at:]
        if colours is not None:
            at = int(rng.integers(0, len(words) + 1))
            words = words[:at] + [sb.COLOURS[int(colours[len(texts)])] + " ball"] + words[at:]
        texts.append(" ".join(words))
    return torch.tensor([[encode_ids(t, vocabulary, tokens)] for t in texts])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rope-gain", type=float, default=1.0, help="init_dit's rope_gain")
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sentence", action="store_true", help="the cell's storyboard name among distractor words")
    p.add_argument("--colour", action="store_true", help="with --sentence: the blob's colour named in the sentence")
    p.add_argument("--layers", type=int, default=0, help="blocks instead of the shipped config's (a deeper preset)")
    p.add_argument("--qk-gain", type=float, default=1.0,
                   help="init_dit's qk_gain: every attention q/k LayerNorm γ (sharper attention from step 1)")
    p.add_argument("--one-colour-steps", type=int, default=0,
                   help="with --colour: the first N steps draw every blob in the palette's first colour (a curriculum)")
    args = p.parse_args()
    if args.colour and not args.sentence:
        p.error("--colour needs --sentence (the colour is named in the sentence)")
    if args.one_colour_steps and not args.colour:
        p.error("--one-colour-steps needs --colour (without it every blob has one colour anyway)")
    torch.set_num_threads(args.threads)
    meta = sf.read_metadata(train.BASE_MODEL)
    cfg = ref.TttConfig.from_json(meta["ttt_config"])
    if args.layers:
        cfg.layers = args.layers
    C, h, w, Lt, frames = cfg.latentChannels, cfg.latentHeight, cfg.latentWidth, cfg.textTokensPerSegment, cfg.frames(1)
    g = torch.Generator().manual_seed(args.seed)
    vocabulary = sf.Geometry.from_model(train.BASE_MODEL).vocabulary_size
    W = train.init_dit(args.seed, cfg, vocabulary, args.rope_gain, qk_gain=args.qk_gain)
    rng = np.random.default_rng(args.seed)
    opt = torch.optim.Adam(W.values(), lr=args.lr)
    colour = torch.randn(C, generator=g)
    colour *= 1.5 * C ** 0.5 / colour.norm()                                # 1.5 RMS a channel, as an object's latent
    words = torch.randint(3, W["text_encoder.token_embedding"].shape[0], (len(CELLS),), generator=g)
    shapes = torch.zeros(len(CELLS), 1, h, w)                                # 1 on each cell's blob
    for k, (row, col) in enumerate(CELLS):
        shapes[k, :, 2 * row:2 * row + 2, 2 * col:2 * col + 2] = 1
    # The palette has its own generator, so g's stream (cells, noise) stays that of the modes without --colour.
    palette = torch.randn(len(sb.COLOURS), C, generator=torch.Generator().manual_seed(args.seed + 1))
    palette *= 1.5 * C ** 0.5 / palette.norm(dim=1, keepdim=True)
    started = time.time()
    for step in range(args.steps + 1):
        cells = torch.randint(0, len(CELLS), (BATCH,), generator=g)
        colours = torch.randint(0, len(sb.COLOURS), (BATCH,), generator=g) if args.colour else None
        if colours is not None and step < args.one_colour_steps:
            colours = torch.zeros_like(colours)
        if args.sentence:
            ids = sentence_ids(rng, cells, vocabulary, Lt, colours)
        else:
            ids = torch.zeros(BATCH, 1, Lt, dtype=torch.long)             # [start, word, end], then padding
            ids[:, 0, 0], ids[:, 0, 1], ids[:, 0, 2] = 1, words[cells], 2
        blob = shapes[cells][:, None].expand(BATCH, frames, 1, h, w)
        paint = colour.expand(BATCH, C) if colours is None else palette[colours]
        x0 = blob * paint[:, None, :, None, None]
        noise = torch.randn(x0.shape, generator=g)
        v = bm.forward(noise, [PURE_NOISE_T] * BATCH, bm.encode_text(ids, W), W, cfg)
        err = (-v - x0) ** 2
        if step % 25 == 0:
            strongest = (v.detach() ** 2).sum(2).flatten(2).argmax(2)          # (BATCH, frames)
            on_blob = blob[:, :, 0].flatten(2).gather(2, strongest[..., None]).mean().item()
            print(f"step {step:4d}: blob error {(err * blob).sum().item() / (C * blob.sum().item()):.3f}, strongest pixel "
                  f"on the blob {on_blob:4.0%}  ({time.time() - started:.0f} s)", flush=True)
        loss = (err * (1 + (BLOB_WEIGHT - 1) * blob)).mean()
        train.optimiser_step(opt, W, loss)


if __name__ == "__main__":
    main()

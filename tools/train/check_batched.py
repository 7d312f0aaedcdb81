"""batched_model.forward == the reference forward (tools/reference/ttt_model.py) on random Tiny weights, for
1, 2 and 3 segments and a batch of stories at different timesteps; and the decoder port's shapes.
Run: /usr/bin/python3 tools/train/check_batched.py (a few seconds). Fails above 1e-5 relative error, the golden
tests' tolerance."""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import batched_model as bm  # noqa: E402
from batched_model import ref  # noqa: E402
from random_weights import random_weights  # noqa: E402  (tools/reference, on the path through batched_model)


def main():
    torch.manual_seed(0)
    cfg = ref.TttConfig.tiny()
    cfg.textTokensPerSegment = 40   # the shipped Tiny model's text length
    cfg.tttBaseLr = 4.0             # as the goldens: inner updates large enough to matter
    W = random_weights(cfg, 1234)
    worst = 0.0
    for n in (1, 2, 3):
        B, T = 3, cfg.frames(n)
        x = torch.randn(B, T, cfg.latentChannels, cfg.latentHeight, cfg.latentWidth)
        text = torch.randn(B, n, cfg.textTokensPerSegment, cfg.textDim)
        ts = [999, 617, 3]
        got = bm.forward(x, ts, text, W, cfg)
        for i in range(B):
            want, _ = ref.forward(x[i], ts[i], text[i], W, cfg)
            err = ((got[i] - want).abs().max() / want.abs().max()).item()
            worst = max(worst, err)
            print(f"n={n} story {i} t={ts[i]}: relative maxdiff {err:.2e}")
    ok = worst < 1e-5
    print("ok" if ok else "FAIL", f"worst {worst:.2e}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

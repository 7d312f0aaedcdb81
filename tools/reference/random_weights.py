"""Random weights for the golden tests, chosen so that every parameter measurably changes the outputs."""
import torch

import ttt_model as M


def _std_linear(shape):
    return 1.0 / (shape[1] if len(shape) == 2 else shape[1] * shape[2] * shape[3]) ** 0.5


def random_weights(cfg, seed):
    """{name: float32 tensor} for every name of MODEL.md §3, drawn in sorted-name order from one generator."""
    g = torch.Generator().manual_seed(seed)
    D, d, Dt = cfg.width, cfg.headDim, cfg.timeEmbedDim

    def randn(shape, std, mean=0.0):
        return (torch.randn(shape, generator=g, dtype=torch.float64) * std + mean).to(torch.float32)

    W = {}
    for name, shape in sorted(M.weight_shapes(cfg).items()):
        leaf = name.split(".")[-1]
        if name.endswith("ttt.W1"):
            W[name] = randn(shape, 0.3 / d ** 0.5)
        elif name.endswith("ttt.W2"):
            W[name] = randn(shape, 0.3 / (4 * d) ** 0.5)
        elif name.endswith("ttt.b1") or name.endswith("ttt.b2"):
            W[name] = randn(shape, 0.05)
        elif name.endswith("ttt.ln_weight"):
            W[name] = randn(shape, 0.1, 1.0)
        elif name.endswith("ttt.ln_bias"):
            W[name] = randn(shape, 0.1)
        elif name.endswith("lr_gate.weight"):
            W[name] = randn(shape, 1.0 / D ** 0.5)
        elif name.endswith("lr_gate.bias"):
            W[name] = randn(shape, 0.5)
        elif leaf.startswith("gate_"):
            W[name] = randn(shape, 0.7)
        elif "ada" in name and leaf == "weight":
            W[name] = randn(shape, 0.5 / Dt ** 0.5)
        elif "norm" in name and leaf == "weight":  # norm1, norm2, attn.norm_q/k, ttt.post_norm, final_norm
            W[name] = randn(shape, 0.1, 1.0)
        elif leaf == "weight":  # linear layers (and patch_embed, a linear over C·p·p inputs)
            W[name] = randn(shape, _std_linear(shape))
        elif leaf == "bias":
            W[name] = randn(shape, 0.1)
        else:
            raise KeyError(f"no init rule for {name}")
    return W

"""Checks the closed-form inner gradient of ttt_model.inner_grads against torch autograd, in float64.

Loss: Σ_j η_j ℓ_j, ℓ_j = ½‖LN_h(f_MLP(k_j; W)) − Tg_j‖², LN_h(u) = γ⊙(u − μ)/sqrt(var + eps) + β,
f_MLP(k) = gelu(k·W1 + b1)·W2 + b2. Gradient w.r.t. W1, b1, W2, b2.
Prints the max relative error per parameter; exits non-zero if any is above 1e-10.
Run: /usr/bin/python3 tools/reference/check_gradient.py
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ttt_model as M  # noqa: E402

TOL = 1e-10


def autograd_grads(state, Kb, Tg, eta, gamma, beta, eps):
    params = [p.clone().requires_grad_(True) for p in state]
    W1, b1, W2, b2 = params
    Z2 = M.gelu(Kb @ W1 + b1) @ W2 + b2
    mu = Z2.mean(dim=-1, keepdim=True)
    var = ((Z2 - mu) ** 2).mean(dim=-1, keepdim=True)
    Y = gamma * (Z2 - mu) / torch.sqrt(var + eps) + beta
    loss_j = 0.5 * ((Y - Tg) ** 2).sum(dim=-1)
    total = (eta * loss_j).sum()
    return torch.autograd.grad(total, params)


def rel_err(a, b):
    return ((a - b).abs().max() / max(b.abs().max().item(), 1e-30)).item()


def run_checks(verbose=True):
    g = torch.Generator().manual_seed(1234)
    dt = torch.float64
    worst = 0.0
    cases = [(16, 16, "full mini-batch m=b=16"), (16, 7, "partial mini-batch m=7"), (64, 64, "full mini-batch m=b=64"),
             (16, 1, "single token m=1")]
    for d, m, label in cases:
        hdim = 4 * d
        state = (torch.randn(d, hdim, generator=g, dtype=dt) * (0.5 / d ** 0.5),
                 torch.randn(hdim, generator=g, dtype=dt) * 0.1,
                 torch.randn(hdim, d, generator=g, dtype=dt) * (0.5 / hdim ** 0.5),
                 torch.randn(d, generator=g, dtype=dt) * 0.1)
        Kb = M.l2_normalise(torch.randn(m, d, generator=g, dtype=dt))
        Tg = torch.randn(m, d, generator=g, dtype=dt)
        eta = torch.rand(m, generator=g, dtype=dt) * 0.05
        gamma = 1.0 + 0.1 * torch.randn(d, generator=g, dtype=dt)
        beta = 0.1 * torch.randn(d, generator=g, dtype=dt)
        eps = 1e-6
        closed, _ = M.inner_grads(state, Kb, Tg, eta, gamma, beta, eps)
        auto = autograd_grads(state, Kb, Tg, eta, gamma, beta, eps)
        errs = [rel_err(c, a) for c, a in zip(closed, auto)]
        worst = max(worst, *errs)
        if verbose:
            print(f"  gradient check ({label}, d={d}): max rel err "
                  + ", ".join(f"{n}={e:.2e}" for n, e in zip(("W1", "b1", "W2", "b2"), errs)))
    return worst


def main():
    torch.set_num_threads(1)
    print("check_gradient: closed-form inner gradient vs torch.autograd (float64)")
    worst = run_checks()
    ok = worst <= TOL
    print(f"check_gradient: worst max relative error {worst:.3e} (limit {TOL:.0e}) -> {'OK' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The bar of adamw_optimizer's performance gate (baseline sandbox only): a plain AdamW, written
as the algorithm reads (Loshchilov & Hutter 2019, Algorithm 2), one parameter at a time with
whole-tensor operations that allocate their results (no in-place fusion, no foreach): the
plain vectorised O(n) solution the statement's R13 compares against."""

from __future__ import annotations

import torch


class AdamW(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):  # fmt: skip
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad))  # fmt: skip

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m = beta1 * state["exp_avg"] + (1 - beta1) * g
                v = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
                state["exp_avg"], state["exp_avg_sq"] = m, v
                if group["amsgrad"]:
                    v = torch.maximum(state["max_exp_avg_sq"], v)
                    state["max_exp_avg_sq"] = v
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                p.copy_(p * (1 - lr * wd) - lr * m_hat / (v_hat.sqrt() + eps))

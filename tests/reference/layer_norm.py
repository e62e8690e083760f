#!/usr/bin/python3
"""Reference values for soma's LayerNormalization (tests/layers/layer_norm_test.cpp), from PyTorch.

Each case normalises over a block of consecutive axes (Keras' `axis`, counted with the batch axis).
F.layer_norm normalises over trailing dims, so the block is moved to the end and the results moved back;
its weight and bias are Keras' gamma and beta, shaped like the block. rms_scaling follows Keras 3's
formula, x * gamma / sqrt(var + epsilon) with the biased variance over the block, written here with
torch ops. Gradients of sum(y * dy) with respect to x, gamma and beta come from autograd, in float64.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/layer_norm.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * 0.8


cases = []


def case(name, shape, axes, epsilon=1e-3, center=True, scale=True, rms=False, seed=0.0):
    x = values(shape, 1.0 + seed) * 3 + 1
    block = tuple(shape[a] for a in axes)
    gamma, beta = values(block, 2.0 + seed) + 1, values(block, 3.0 + seed)
    dy = values(shape, 6.0 + seed)
    # Move the block to the end: the other axes keep their order in front of it.
    rest = [d for d in range(len(shape)) if d not in axes]
    perm = rest + list(axes)
    inv_perm = list(np.argsort(perm))
    xt = torch.from_numpy(np.transpose(x, perm).copy()).requires_grad_()
    g = torch.from_numpy(gamma).requires_grad_()
    b = torch.from_numpy(beta).requires_grad_()
    dims = tuple(range(len(rest), len(shape)))
    if rms:
        var = xt.var(dim=dims, unbiased=False, keepdim=True)
        y = xt * torch.rsqrt(var + epsilon) * g
    else:
        y = F.layer_norm(xt, block, g if scale else None, b if center else None, eps=epsilon)
    (y * torch.from_numpy(np.transpose(dy, perm).copy())).sum().backward()
    inputs = {"x": x, "dy": dy}
    outputs = {"y": np.transpose(y.detach().numpy(), inv_perm), "dx": np.transpose(xt.grad.numpy(), inv_perm)}
    if scale or rms:
        inputs["gamma"] = gamma
        outputs["dgamma"] = g.grad.numpy()
    if center and not rms:
        inputs["beta"] = beta
        outputs["dbeta"] = b.grad.numpy()
    cases.append((name, inputs, outputs,
                  f"axis={','.join(map(str, axes))} epsilon={epsilon} center={int(center)} scale={int(scale)} "
                  f"rms_scaling={int(rms)}"))


case("last_axis_3d", (4, 7, 13), (2,))
case("last_two_axes_4d", (3, 4, 5, 6), (2, 3), seed=0.5)
case("first_feature_axis_4d_strided", (3, 4, 5, 6), (1,), epsilon=1e-5, seed=1.0)
case("middle_block_4d_strided", (2, 5, 3, 4), (1, 2), seed=1.5)
case("all_feature_axes_4d", (2, 3, 4, 5), (1, 2, 3), seed=2.0)
case("rms_scaling_last_axis", (5, 9), (1,), rms=True, seed=2.5)
case("rms_scaling_strided", (3, 4, 6), (1,), rms=True, seed=3.0)
case("no_scale", (6, 11), (1,), scale=False, seed=3.5)
case("no_center", (6, 11), (1,), center=False, seed=4.0)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "layer_norm.txt"), "w") as f:
    f.write("# soma LayerNormalization references: written by layer_norm.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

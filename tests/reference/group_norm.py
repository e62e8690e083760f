#!/usr/bin/python3
"""Reference values for soma's GroupNormalization (tests/layers/group_norm_test.cpp), from PyTorch.

F.group_norm(x, groups, weight=gamma, bias=beta, eps) normalises channels-first input (axis 1); other
channel axes are moved to position 1 and back. This is Keras 3's formula (mean and biased variance per
sample and group, then gamma[c] and beta[c]). Gradients of sum(y * dy) with respect to x, gamma and
beta come from autograd, in float64.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/group_norm.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape)


cases = []


def case(name, shape, axis, groups, epsilon=1e-3, center=True, scale=True, seed=0.0):
    ndim = len(shape)
    axis = axis % ndim
    x0 = values(shape, 1.0 + seed) * 3 + 0.5
    c = shape[axis]
    gamma, beta = values((c,), 2.0 + seed) + 1.2, values((c,), 3.0 + seed)
    dy = values(shape, 6.0 + seed)
    x = torch.from_numpy(x0).requires_grad_()
    g = torch.from_numpy(gamma).requires_grad_()
    b = torch.from_numpy(beta).requires_grad_()
    xt = torch.movedim(x, axis, 1)
    # torch 1.13's group_norm backward fails with a bias but no weight: a constant weight of ones instead.
    weight = g if scale else torch.ones(c)
    y = F.group_norm(xt, groups, weight, b if center else None, eps=epsilon)
    y = torch.movedim(y, 1, axis)
    (y * torch.from_numpy(dy)).sum().backward()
    inputs = {"x": x0, "dy": dy}
    outputs = {"y": y.detach().numpy(), "dx": x.grad.numpy()}
    if scale:
        inputs["gamma"], outputs["dgamma"] = gamma, g.grad.numpy()
    if center:
        inputs["beta"], outputs["dbeta"] = beta, b.grad.numpy()
    cases.append((name, inputs, outputs,
                  f"axis={axis if axis != ndim - 1 else -1} groups={groups} epsilon={epsilon} center={int(center)} "
                  f"scale={int(scale)}"))


case("channels_last_2d", (3, 4, 5, 6), -1, 3)
case("channels_first_2d", (2, 6, 4, 5), 1, 2, seed=0.5)
case("sequence_one_group", (3, 7, 8), -1, 1, seed=1.0)
case("instance_norm", (2, 5, 4), -1, 4, epsilon=1e-5, seed=1.5)
case("middle_axis_no_center", (2, 3, 6, 4), 2, 3, center=False, seed=2.0)
case("dense_no_scale", (5, 12), -1, 4, scale=False, seed=2.5)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "group_norm.txt"), "w") as f:
    f.write("# soma GroupNormalization references: written by group_norm.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

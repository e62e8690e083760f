#!/usr/bin/python3
"""Reference values for soma's UnitNormalization (tests/layers/unit_norm_test.cpp), from PyTorch.

F.normalize(x, p=2, dim=axes, eps=1e-12) = x / max(||x||, eps): Keras 3's ops.normalize(order=2,
epsilon=1e-12). The gradient of sum(y * dy) with respect to x comes from autograd, in float64.
One case has an all-zero row, where the norm is clamped.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/unit_norm.py
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


def case(name, shape, axes, seed=0.0, zero_row=False):
    x0 = values(shape, 1.0 + seed) * 2
    if zero_row:
        x0[0] = 0.0
    x = torch.from_numpy(x0).requires_grad_()
    y = F.normalize(x, p=2.0, dim=axes, eps=1e-12)
    dy = values(shape, 5.0 + seed)
    (y * torch.from_numpy(dy)).sum().backward()
    cases.append((name, {"x": x0, "dy": dy}, {"y": y.detach().numpy(), "dx": x.grad.numpy()},
                  f"axis={','.join(map(str, axes))}"))


case("last_axis", (5, 9), (1,))
case("middle_axis_3d", (3, 7, 4), (1,), seed=0.5)
case("block_4d", (2, 3, 4, 5), (2, 3), seed=1.0)
case("first_two_4d", (2, 3, 4, 5), (1, 2), seed=1.5)
case("zero_row", (4, 6), (1,), seed=2.0, zero_row=True)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "unit_norm.txt"), "w") as f:
    f.write("# soma UnitNormalization references: written by unit_norm.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

#!/usr/bin/python3
"""Reference values for soma's BatchNormalization (tests/layers/batch_norm_test.cpp), from PyTorch.

Each case normalises over one axis of the input (Keras' `axis`, counted with the batch axis): PyTorch's
F.batch_norm normalises over dim 1, so the input is moved to put that axis second, and the results moved
back. Training mode uses the batch's mean and biased variance (Keras 3 and PyTorch agree), inference mode
given moving statistics. Gradients of sum(y * seed) with respect to x, gamma and beta come from autograd,
everything in float64. Keras 3 updates the moving variance with the biased variance (PyTorch's
running_var would use the unbiased one), so the moving statistics are computed here from Keras' formula.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/batch_norm.py
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


def case(name, shape, axis, training, momentum=0.99, epsilon=1e-3, seed=0.0):
    x = values(shape, 1.0 + seed) * 3 + 1
    c = shape[axis]
    gamma, beta = values((c,), 2.0 + seed) + 1, values((c,), 3.0 + seed)
    moving_mean, moving_var = values((c,), 4.0 + seed), values((c,), 5.0 + seed) ** 2 + 0.5
    dy = values(shape, 6.0 + seed)
    xt = torch.from_numpy(np.moveaxis(x, axis, 1).copy()).requires_grad_()
    g, b = torch.from_numpy(gamma).requires_grad_(), torch.from_numpy(beta).requires_grad_()
    if training:
        y = F.batch_norm(xt, None, None, g, b, training=True, eps=epsilon)
    else:
        y = F.batch_norm(xt, torch.from_numpy(moving_mean), torch.from_numpy(moving_var), g, b, training=False,
                         eps=epsilon)
    (y * torch.from_numpy(np.moveaxis(dy, axis, 1).copy())).sum().backward()
    reduce = tuple(d for d in range(len(shape)) if d != axis)
    if training:
        new_mean = moving_mean * momentum + x.mean(reduce) * (1 - momentum)
        new_var = moving_var * momentum + x.var(reduce) * (1 - momentum)
    else:
        new_mean, new_var = moving_mean, moving_var
    cases.append((name, {"x": x, "gamma": gamma, "beta": beta, "moving_mean": moving_mean,
                         "moving_variance": moving_var, "dy": dy},
                  {"y": np.moveaxis(y.detach().numpy(), 1, axis), "dx": np.moveaxis(xt.grad.numpy(), 1, axis),
                   "dgamma": g.grad.numpy(), "dbeta": b.grad.numpy(), "new_moving_mean": new_mean,
                   "new_moving_variance": new_var},
                  f"axis={axis} training={int(training)} momentum={momentum} epsilon={epsilon}"))


case("channels_last_4d_training", (3, 4, 5, 6), 3, True)
case("channels_last_4d_inference", (3, 4, 5, 6), 3, False, seed=0.5)
case("channels_first_4d_training", (2, 5, 3, 7), 1, True, momentum=0.9, seed=1.0)
case("channels_first_4d_inference", (2, 5, 3, 7), 1, False, seed=1.5)
case("middle_axis_3d_training", (4, 7, 3), 1, True, epsilon=1e-5, seed=2.0)
case("axis_2_of_4d_training", (2, 3, 9, 2), 2, True, seed=2.5)
case("dense_2d_training_odd", (37, 13), 1, True, seed=3.0)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "batch_norm.txt"), "w") as f:
    f.write("# soma BatchNormalization references: written by batch_norm.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

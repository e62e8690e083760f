#!/usr/bin/python3
"""Reference values for soma's reshaping layers (tests/layers/reshaping_test.cpp), from PyTorch.

Permute: x.permute(0, *dims) with Keras' 1-based dims. ZeroPadding: F.pad, whose pad list runs from the
last axis backwards. Cropping: slicing. RepeatVector: x[:, None, :].expand(-1, n, -1). UpSampling ("nearest"):
repeat_interleave along each spatial axis. The gradient of
sum(y * dy) with respect to x comes from autograd, in float64.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/reshaping.py
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


def run(name, shape, fn, options, seed=0.0):
    x = torch.from_numpy(values(shape, 1.0 + seed)).requires_grad_()
    y = fn(x)
    dy = values(tuple(y.shape), 4.0 + seed)
    (y * torch.from_numpy(dy)).sum().backward()
    cases.append((name, {"x": x.detach().numpy(), "dy": dy}, {"y": y.detach().numpy(), "dx": x.grad.numpy()}, options))


def spatial_axes(rank, channels_first, ndim):
    first = 2 if channels_first else 1
    return list(range(first, first + rank))


def pad(x, pads, channels_first):
    axes = spatial_axes(len(pads), channels_first, x.ndim)
    spec = [0] * (2 * x.ndim)
    for a, (before, after) in zip(axes, pads):
        k = x.ndim - 1 - a  # F.pad lists the last axis first
        spec[2 * k], spec[2 * k + 1] = before, after
    return F.pad(x, spec)


def crop(x, crops, channels_first):
    axes = spatial_axes(len(crops), channels_first, x.ndim)
    index = [slice(None)] * x.ndim
    for a, (before, after) in zip(axes, crops):
        index[a] = slice(before, x.shape[a] - after)
    return x[tuple(index)]


def pads_option(p):
    return ";".join(f"{a},{b}" for a, b in p)


run("permute_3d", (3, 4, 5), lambda x: x.permute(0, 2, 1), "layer=Permute dims=2,1")
run("permute_4d_odd", (2, 3, 5, 7), lambda x: x.permute(0, 3, 1, 2), "layer=Permute dims=3,1,2", seed=0.5)
run("repeat_vector", (4, 7), lambda x: x[:, None, :].expand(-1, 5, -1), "layer=RepeatVector n=5", seed=1.5)
for layer, rank, shape, amounts, cf, seed in [
    ("ZeroPadding1D", 1, (3, 5, 4), ((2, 1),), False, 2.0),
    ("ZeroPadding1D", 1, (3, 4, 5), ((0, 3),), True, 2.1),
    ("ZeroPadding2D", 2, (2, 5, 4, 3), ((1, 2), (3, 0)), False, 2.2),
    ("ZeroPadding2D", 2, (2, 3, 5, 4), ((2, 2), (1, 1)), True, 2.3),
    ("ZeroPadding3D", 3, (2, 3, 4, 2, 3), ((1, 0), (0, 2), (1, 1)), False, 2.4),
    ("ZeroPadding3D", 3, (2, 3, 3, 4, 2), ((1, 1), (2, 0), (0, 1)), True, 2.5),
]:
    run(f"{layer}_{'cf' if cf else 'cl'}_{len(cases)}", shape, lambda x: pad(x, amounts, cf),
        f"layer={layer} amounts={pads_option(amounts)} channels_first={int(cf)}", seed=seed)
for layer, rank, shape, amounts, cf, seed in [
    ("Cropping1D", 1, (3, 7, 4), ((2, 1),), False, 3.0),
    ("Cropping2D", 2, (2, 7, 6, 3), ((1, 2), (3, 0)), False, 3.1),
    ("Cropping2D", 2, (2, 3, 7, 6), ((2, 2), (1, 1)), True, 3.2),
    ("Cropping3D", 3, (2, 5, 4, 6, 3), ((1, 0), (0, 2), (2, 1)), False, 3.3),
    ("Cropping3D", 3, (2, 3, 4, 5, 6), ((1, 1), (2, 0), (0, 3)), True, 3.4),
]:
    run(f"{layer}_{'cf' if cf else 'cl'}_{len(cases)}", shape, lambda x: crop(x, amounts, cf),
        f"layer={layer} amounts={pads_option(amounts)} channels_first={int(cf)}", seed=seed)

def upsample(x, size, channels_first):
    for a, f in zip(spatial_axes(len(size), channels_first, x.ndim), size):
        x = x.repeat_interleave(f, dim=a)
    return x


for layer, shape, size, cf, seed in [
    ("UpSampling1D", (3, 5, 4), (3,), False, 4.0),
    ("UpSampling2D", (2, 3, 4, 3), (2, 3), False, 4.1),
    ("UpSampling2D", (2, 3, 4, 5), (3, 1), True, 4.2),
    ("UpSampling3D", (2, 2, 3, 2, 3), (2, 1, 3), False, 4.3),
    ("UpSampling3D", (2, 3, 2, 3, 2), (1, 2, 2), True, 4.4),
]:
    run(f"{layer}_{'cf' if cf else 'cl'}_{len(cases)}", shape, lambda x: upsample(x, size, cf),
        f"layer={layer} size={','.join(map(str, size))} channels_first={int(cf)}", seed=seed)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "reshaping.txt"), "w") as f:
    f.write("# soma reshaping-layer references: written by reshaping.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

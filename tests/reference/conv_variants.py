#!/usr/bin/python3
"""Reference values for soma's grouped, 3-D, transposed, depthwise and separable convolutions
(tests/layers/conv_variants_test.cpp), from PyTorch in float64.

Weight-layout mapping (Keras -> PyTorch), for rank r spatial axes:
  Conv (k..., in/groups, out)      -> F.conv{r}d weight (out, in/groups, k...): permute(r+1, r, 0..r-1)
  Depthwise (k..., C, M)           -> grouped conv weight (C*M, 1, k...) with groups=C, output c*M + m
  Separable: depthwise as above, then pointwise (1..., C*M, F) -> (F, C*M, 1...)
  Transposed (k..., out, in)       -> see below.
TensorFlow's "same" padding (the odd pixel after) is applied with F.pad before a "valid" convolution.
The transposed convolution is computed the way Keras' JAX backend does it, independently of the
TensorFlow-style cropping soma implements: the input dilated by the stride (zeros between samples),
padded by keras/src/backend/common/backend_utils.py's
_convert_conv_transpose_padding_args_from_keras_to_jax (negative pads crop), then a valid correlation
with the spatially flipped kernel. Gradients of sum(y * dy) come from autograd.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/conv_variants.py
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.8):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * scale


def tf_same(n, k, stride, dilation=1):
    out = math.ceil(n / stride)
    total = max(0, (out - 1) * stride + (k - 1) * dilation + 1 - n)
    return total // 2, total - total // 2


def jax_transpose_pads(k, stride, dilation, padding, output_padding):
    k = (k - 1) * dilation + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        return k - 1, k - 1 + op
    pad_len = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, k - 1)
    return left, pad_len - left


def fpad(x, pads):  # pads: per spatial axis (before, after), x channels-first; negative crops
    spec = []
    for before, after in reversed(pads):
        spec += [before, after]
    return F.pad(x, spec)


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
cases = []


def to_cf(x, r):
    return x.permute(0, r + 1, *range(1, r + 1))


def to_cl(y, r):
    return y.permute(0, *range(2, r + 2), 1)


def conv_cf(x, w_torch, r, stride, dilation, padding, groups):
    ks = w_torch.shape[2:]
    if padding == "same":
        x = fpad(x, [tf_same(x.shape[2 + i], ks[i], stride[i], dilation[i]) for i in range(r)])
    return CONV[r](x, w_torch, None, stride, 0, dilation, groups)


def keras_to_torch(k, r):  # (k..., in, out) -> (out, in, k...)
    return k.permute(r + 1, r, *range(r))


def transposed_cf(x, k, r, stride, dilation, padding, output_padding):
    # Dilate the input by the stride.
    n, c = x.shape[:2]
    sizes = [(x.shape[2 + i] - 1) * stride[i] + 1 for i in range(r)]
    xd = torch.zeros((n, c, *sizes), dtype=x.dtype)
    index = [slice(None), slice(None)] + [slice(None, None, stride[i]) for i in range(r)]
    xd[tuple(index)] = x
    ks = k.shape[:r]
    op = output_padding or [None] * r
    xd = fpad(xd, [jax_transpose_pads(ks[i], stride[i], dilation[i], padding, op[i]) for i in range(r)])
    # Keras (k..., out, in) -> correlation weight (out, in, k...) flipped in space.
    w = k.permute(r, r + 1, *range(r)).flip(list(range(2, 2 + r)))
    return CONV[r](xd, w, None, 1, 0, dilation)


def run(name, layer, r, x_shape, weights, fn, options, cf=False, seed=0.0):
    x = torch.from_numpy(values(x_shape, 1.0 + seed)).requires_grad_()
    ws = {wn: torch.from_numpy(values(shape, 2.0 + seed + i, 0.5)).requires_grad_()
          for i, (wn, shape) in enumerate(weights)}
    xcf = x if cf else to_cf(x, r)
    ycf = fn(xcf, ws)
    if "bias" in ws:
        ycf = ycf + ws["bias"].reshape(1, -1, *([1] * r))
    if "activation=relu" in options:
        ycf = torch.relu(ycf)
    y = ycf if cf else to_cl(ycf, r)
    if "keepdims=0" in options:
        y = y.reshape(y.shape[0], -1)
    dy = values(tuple(y.shape), 4.0 + seed)
    (y * torch.from_numpy(dy)).sum().backward()
    tensors = {"x": x.detach().numpy(), "dy": dy, "y": y.detach().numpy(), "dx": x.grad.numpy()}
    for wn, w in ws.items():
        tensors[wn] = w.detach().numpy()
        tensors["d" + wn] = w.grad.numpy()
    fmt = "channels_first" if cf else "channels_last"
    cases.append((name, tensors, f"layer={layer} data_format={fmt} " + options))


def lst(v):
    return ",".join(map(str, v))


# Conv with groups, and Conv3D.
for name, layer, r, xs, k, f, g, stride, dil, pad, cf in [
    ("conv2d_groups", "Conv2D", 2, (2, 6, 5, 4), (3, 3), 6, 2, (1, 1), (1, 1), "same", False),
    ("conv2d_groups_cf", "Conv2D", 2, (2, 6, 5, 7), (3, 2), 9, 3, (2, 2), (1, 1), "valid", True),
    ("conv1d_groups", "Conv1D", 1, (2, 9, 6), (2,), 3, 3, (2,), (1,), "valid", False),
    ("conv3d_same", "Conv3D", 3, (2, 5, 4, 6, 3), (3, 2, 3), 4, 1, (2, 1, 2), (1, 1, 1), "same", False),
    ("conv3d_dilated_cf", "Conv3D", 3, (1, 2, 6, 5, 5), (2, 2, 3), 3, 1, (1, 1, 1), (2, 1, 1), "valid", True),
]:
    cin = xs[1] if cf else xs[-1]
    run(name, layer, r, xs, [("kernel", (*k, cin // g, f)), ("bias", (f,))],
        lambda x, w, r=r, stride=stride, dil=dil, pad=pad, g=g: conv_cf(x, keras_to_torch(w["kernel"], r), r,
                                                                      stride, dil, pad, g),
        f"filters={f} kernel={lst(k)} strides={lst(stride)} dilation={lst(dil)} padding={pad} groups={g}", cf,
        seed=len(cases) * 0.3)

# Transposed convolutions; output_padding "none" is Keras' None.
for name, layer, r, xs, k, f, stride, dil, pad, op, cf in [
    ("conv2dT_same_s2", "Conv2DTranspose", 2, (2, 4, 5, 3), (3, 3), 4, (2, 2), (1, 1), "same", None, False),
    ("conv2dT_valid_s2", "Conv2DTranspose", 2, (2, 4, 3, 2), (3, 2), 3, (2, 2), (1, 1), "valid", None, False),
    ("conv2dT_same_op", "Conv2DTranspose", 2, (1, 3, 4, 2), (4, 3), 3, (2, 3), (1, 1), "same", (1, 2), False),
    ("conv2dT_valid_op", "Conv2DTranspose", 2, (1, 3, 3, 2), (3, 2), 2, (2, 3), (1, 1), "valid", (1, 0), False),
    ("conv2dT_k_below_s", "Conv2DTranspose", 2, (1, 3, 3, 2), (2, 1), 2, (3, 2), (1, 1), "valid", None, False),
    ("conv2dT_dilated_cf", "Conv2DTranspose", 2, (2, 3, 4, 4), (2, 3), 2, (1, 1), (2, 2), "same", None, True),
    ("conv1dT_same_op", "Conv1DTranspose", 1, (2, 5, 3), (3,), 4, (2,), (1,), "same", (1,), False),
    ("conv3dT_same", "Conv3DTranspose", 3, (1, 2, 3, 3, 2), (2, 3, 2), 3, (2, 1, 2), (1, 1, 1), "same", None, False),
]:
    cin = xs[1] if cf else xs[-1]
    opt = f"output_padding={lst(op)}" if op else "output_padding=none"
    run(name, layer, r, xs, [("kernel", (*k, f, cin)), ("bias", (f,))],
        lambda x, w, r=r, stride=stride, dil=dil, pad=pad, op=op: transposed_cf(x, w["kernel"], r, stride, dil,
                                                                              pad, op),
        f"filters={f} kernel={lst(k)} strides={lst(stride)} dilation={lst(dil)} padding={pad} {opt}", cf,
        seed=len(cases) * 0.3)


def depthwise_cf(x, k, r, stride, dil, pad):  # Keras (k..., C, M) -> (C*M, 1, k...), groups C
    c, m = k.shape[r], k.shape[r + 1]
    w = k.reshape(*k.shape[:r], 1, c * m).permute(r + 1, r, *range(r))
    return conv_cf(x, w, r, stride, dil, pad, c)


for name, layer, r, xs, k, m, stride, dil, pad, act, cf in [
    ("depthwise2d_s2_same", "DepthwiseConv2D", 2, (2, 7, 6, 3), (3, 3), 2, (2, 2), (1, 1), "same", "activation=linear", False),
    ("depthwise2d_cf_dilated", "DepthwiseConv2D", 2, (2, 4, 7, 7), (3, 2), 1, (1, 1), (2, 2), "valid", "activation=linear", True),
    ("depthwise2d_relu", "DepthwiseConv2D", 2, (2, 5, 5, 4), (3, 3), 3, (1, 1), (1, 1), "same", "activation=relu", False),
    ("depthwise1d", "DepthwiseConv1D", 1, (2, 8, 3), (3,), 3, (2,), (1,), "valid", "activation=linear", False),
]:
    cin = xs[1] if cf else xs[-1]
    run(name, layer, r, xs, [("kernel", (*k, cin, m)), ("bias", (cin * m,))],
        lambda x, w, r=r, stride=stride, dil=dil, pad=pad: depthwise_cf(x, w["kernel"], r, stride, dil, pad),
        f"depth_multiplier={m} kernel={lst(k)} strides={lst(stride)} dilation={lst(dil)} padding={pad} {act}", cf,
        seed=len(cases) * 0.3)

for name, layer, r, xs, k, m, f, stride, dil, pad, act, cf in [
    ("separable2d", "SeparableConv2D", 2, (2, 6, 5, 3), (3, 3), 2, 5, (1, 1), (1, 1), "same", "activation=relu", False),
    ("separable2d_cf_s2", "SeparableConv2D", 2, (2, 3, 7, 6), (3, 2), 1, 4, (2, 2), (1, 1), "valid", "activation=linear", True),
    ("separable1d", "SeparableConv1D", 1, (2, 9, 4), (3,), 2, 3, (2,), (1,), "same", "activation=linear", False),
]:
    cin = xs[1] if cf else xs[-1]
    run(name, layer, r, xs,
        [("depthwise_kernel", (*k, cin, m)), ("pointwise_kernel", (*([1] * r), cin * m, f)), ("bias", (f,))],
        lambda x, w, r=r, stride=stride, dil=dil, pad=pad: CONV[r](
            depthwise_cf(x, w["depthwise_kernel"], r, stride, dil, pad), keras_to_torch(w["pointwise_kernel"], r)),
        f"filters={f} depth_multiplier={m} kernel={lst(k)} strides={lst(stride)} dilation={lst(dil)} "
        f"padding={pad} {act}", cf, seed=len(cases) * 0.3)



def pool3d_cf(x, pool, stride, pad, is_max):
    if pad == "same":
        pads = [tf_same(x.shape[2 + i], pool[i], stride[i]) for i in range(3)]
        if is_max:
            return F.max_pool3d(fpad(x, pads).masked_fill(fpad(torch.ones_like(x), pads) == 0, -math.inf), pool,
                                stride)
        # TensorFlow averages over the window's elements inside the input.
        return F.avg_pool3d(fpad(x, pads), pool, stride) / F.avg_pool3d(fpad(torch.ones_like(x), pads), pool, stride)
    return (F.max_pool3d if is_max else F.avg_pool3d)(x, pool, stride)


for name, layer, xs, pool, stride, pad, cf in [
    ("maxpool3d", "MaxPooling3D", (2, 4, 5, 4, 3), (2, 2, 2), (2, 2, 2), "valid", False),
    ("maxpool3d_same_cf", "MaxPooling3D", (2, 3, 5, 4, 5), (3, 2, 2), (2, 1, 2), "same", True),
    ("avgpool3d_same", "AveragePooling3D", (2, 5, 3, 4, 2), (2, 3, 2), (2, 2, 1), "same", False),
    ("avgpool3d_cf", "AveragePooling3D", (1, 2, 4, 6, 5), (2, 3, 2), (1, 3, 2), "valid", True),
]:
    run(name, layer, 3, xs, [], lambda x, w, pool=pool, stride=stride, pad=pad, m=layer.startswith("Max"):
        pool3d_cf(x, pool, stride, pad, m),
        f"pool={lst(pool)} strides={lst(stride)} padding={pad}", cf, seed=len(cases) * 0.3)
for name, layer, xs, keep, cf in [
    ("gap3d", "GlobalAveragePooling3D", (2, 3, 4, 2, 3), 0, False),
    ("gmp3d_cf_keepdims", "GlobalMaxPooling3D", (2, 3, 2, 4, 3), 1, True),
]:
    def glob(x, w, m=layer.startswith("GlobalMax"), keep=keep):
        y = x.amax(dim=(2, 3, 4), keepdim=True) if m else x.mean(dim=(2, 3, 4), keepdim=True)
        return y
    run(name, layer, 3, xs, [], glob, f"keepdims={keep}", cf, seed=len(cases) * 0.3)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "conv_variants.txt"), "w") as out:
    out.write("# soma convolution-variant references: written by conv_variants.py from PyTorch (float64). "
              "Do not edit.\n# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, tensors, options in cases:
        out.write(f"case {name}\noptions {options.strip()}\n")
        for tname, t in tensors.items():
            t = np.asarray(t)
            out.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} "
                      f"{' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        out.write("end\n")
print(f"wrote {len(cases)} cases")

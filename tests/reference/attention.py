#!/usr/bin/python3
"""Reference values for soma's MultiHeadAttention (tests/layers/attention_test.cpp), from PyTorch.

Keras 3's MultiHeadAttention written with torch ops in float64, weights in Keras' layout:
  query/key/value kernels (dim, heads, head_dim) and biases (heads, head_dim), attention_output kernel
  (heads, value_dim, out) and bias (out);
  q = einsum("...d,dhk->...hk"), scores = softmax(q·k / sqrt(key_dim)) over the keys with masked scores set
  to -1e9 (Keras' Softmax layer uses `where`), out = einsum over heads and value_dim.
The attended axes are flattened (a trailing block before the features), as Keras' einsum equations do.
Gradients of sum(y * dy) (+ sum(scores * ds) when the scores are returned) for every input and weight
come from autograd. Masks: query/value sequence masks (batch, steps), an explicit attention_mask
(batch, T, S), the causal mask; all combined with AND as Keras' _compute_attention_mask.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/attention.py
"""
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.8):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * scale


cases = []


def case(name, q_shape, v_shape, heads, key_dim, value_dim=None, k_shape=None, out_dim=None, use_bias=True,
         causal=False, scores_out=False, attention_mask=None, query_mask=None, value_mask=None, axes_first=1,
         seed=0.0):
    value_dim = value_dim or key_dim
    k_shape = k_shape or v_shape
    out_dim = out_dim or q_shape[-1]
    t = torch.from_numpy
    q = t(values(q_shape, 1 + seed)).requires_grad_()
    v = t(values(v_shape, 2 + seed)).requires_grad_()
    k = t(values(k_shape, 3 + seed)).requires_grad_() if k_shape is not v_shape else v
    w = {
        "query_kernel": values((q_shape[-1], heads, key_dim), 4 + seed, 0.5),
        "key_kernel": values((k_shape[-1], heads, key_dim), 5 + seed, 0.5),
        "value_kernel": values((v_shape[-1], heads, value_dim), 6 + seed, 0.5),
        "output_kernel": values((heads, value_dim, out_dim), 7 + seed, 0.5),
    }
    if use_bias:
        w["query_bias"] = values((heads, key_dim), 8 + seed, 0.3)
        w["key_bias"] = values((heads, key_dim), 9 + seed, 0.3)
        w["value_bias"] = values((heads, value_dim), 10 + seed, 0.3)
        w["output_bias"] = values((out_dim,), 11 + seed, 0.3)
    W = {n: t(a).requires_grad_() for n, a in w.items()}
    B = q_shape[0]
    lead = q_shape[1:axes_first]  # axes not attended over
    T = int(np.prod(q_shape[axes_first:-1]))
    S = int(np.prod(v_shape[axes_first:-1]))
    L = int(np.prod(lead)) if lead else 1

    def project(x, kern, bias, steps):
        y = torch.einsum("...d,dhk->...hk", x, W[kern])
        if use_bias:
            y = y + W[bias]
        return y.reshape(B * L, steps, heads, -1)

    qp = project(q, "query_kernel", "query_bias", T)
    kp = project(k, "key_kernel", "key_bias", S)
    vp = project(v, "value_kernel", "value_bias", S)
    scores = torch.einsum("bthd,bshd->bhts", qp, kp) / np.sqrt(key_dim)
    mask = torch.ones(B * L, 1, T, S, dtype=torch.bool)
    if attention_mask is not None:
        mask = mask & (t(attention_mask) != 0).reshape(B * L, 1, T, S)
    if query_mask is not None:
        mask = mask & (t(query_mask) != 0).reshape(B, 1, T, 1)
    if value_mask is not None:
        mask = mask & (t(value_mask) != 0).reshape(B, 1, 1, S)
    if causal:
        mask = mask & torch.tril(torch.ones(T, S, dtype=torch.bool)).reshape(1, 1, T, S)
    scores = torch.where(mask, scores, torch.tensor(-1e9))
    probs = torch.softmax(scores, dim=-1)
    o = torch.einsum("bhts,bshd->bthd", probs, vp)
    y = torch.einsum("bthd,hdo->bto", o, W["output_kernel"])
    if use_bias:
        y = y + W["output_bias"]
    y = y.reshape(*q_shape[:-1], out_dim)
    scores_shape = (B, *lead, heads, *q_shape[axes_first:-1], *v_shape[axes_first:-1])
    probs_k = probs.reshape(B, *lead, heads, T, S).reshape(scores_shape) if lead else probs.reshape(scores_shape)
    dy = values(tuple(y.shape), 12 + seed)
    loss = (y * t(dy)).sum()
    inputs = {"query": q.detach().numpy(), "value": v.detach().numpy(), "dy": dy, **w}
    if k is not v:
        inputs["key"] = k.detach().numpy()
    if scores_out:
        ds = values(scores_shape, 13 + seed)
        loss = loss + (probs_k * t(ds)).sum()
        inputs["ds"] = ds
    if attention_mask is not None:
        inputs["attention_mask"] = attention_mask
    if query_mask is not None:
        inputs["query_mask"] = query_mask
    if value_mask is not None:
        inputs["value_mask"] = value_mask
    loss.backward()
    outputs = {"y": y.detach().numpy(), "dquery": q.grad.numpy(), "dvalue": v.grad.numpy()}
    if k is not v:
        outputs["dkey"] = k.grad.numpy()
    if scores_out:
        outputs["scores"] = probs_k.detach().numpy()
    for n_, p in W.items():
        outputs["d" + n_] = p.grad.numpy()
    opts = (f"heads={heads} key_dim={key_dim} value_dim={value_dim} out={out_dim} use_bias={int(use_bias)} "
            f"causal={int(causal)} scores={int(scores_out)} attention_axes={axes_first}")
    cases.append((name, inputs, outputs, opts))


case("self_attention", (2, 5, 6), (2, 5, 6), heads=2, key_dim=3)
case("cross_attention_own_key", (3, 4, 5), (3, 6, 3), heads=3, key_dim=2, value_dim=4, k_shape=(3, 6, 2),
     out_dim=7, seed=0.5)
mask = (values((2, 5, 7), 20.0) > -0.3).astype(np.float64)
case("causal_masked_scores", (2, 5, 4), (2, 7, 4), heads=2, key_dim=4, causal=True, scores_out=True,
     attention_mask=mask, seed=1.0)
qm = np.array([[1, 1, 1, 0], [1, 0, 0, 0]], dtype=np.float64)  # masked queries: whole rows masked
vm = np.array([[1, 1, 0, 1, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=np.float64)
case("sequence_masks_no_bias", (2, 4, 3), (2, 6, 3), heads=1, key_dim=5, use_bias=False, query_mask=qm,
     value_mask=vm, scores_out=True, seed=1.5)
case("image_attention_all_axes", (2, 3, 2, 4), (2, 3, 2, 4), heads=2, key_dim=2, scores_out=True, seed=2.0)
case("image_attention_last_axis", (2, 3, 4, 5), (2, 3, 2, 5), heads=2, key_dim=3, axes_first=2, scores_out=True,
     seed=2.5)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "attention.txt"), "w") as f:
    f.write("# soma MultiHeadAttention references: written by attention.py from PyTorch (float64). Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

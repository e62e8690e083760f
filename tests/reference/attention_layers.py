#!/usr/bin/python3
"""Reference values for soma's Attention and AdditiveAttention (tests/layers/attention_layers_test.cpp).

Keras 3's formulas (keras/src/layers/attention/attention.py, additive_attention.py) in torch ops, float64:
  dot:      scores = q·kᵀ, times the scalar `scale` if use_scale
  concat:   scores = concat_score_weight * sum(tanh(scale * (q + k)))   (scale only if use_scale)
  additive: scores = sum(scale * tanh(q + k)), scale of dim values       (1 without use_scale)
  scores -= 1e9 where the value's mask is 0 or (causal) j > i; weights = softmax over the keys;
  out = weights·v, times the query's mask.
Gradients of sum(y * dy) (+ sum(weights * ds) when the scores are returned) for every input and weight.
No case masks a whole row: Keras' `scores -= 1e9` gives float32 rows that are uniform only by rounding,
which float64 would not reproduce.

Run with the Debian interpreter:  /usr/bin/python3 tests/reference/attention_layers.py
"""
import os

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def values(shape, seed, scale=0.8):
    n = int(np.prod(shape))
    return np.sin(0.37 * np.arange(n) + seed).reshape(shape) * scale


cases = []


def case(name, mode, q_shape, v_shape, k_dim_same=True, own_key=False, use_scale=False, causal=False,
         scores_out=False, query_mask=None, value_mask=None, seed=0.0):
    t = torch.from_numpy
    B, T, D = q_shape
    S = v_shape[1]
    q = t(values(q_shape, 1 + seed)).requires_grad_()
    v = t(values(v_shape, 2 + seed)).requires_grad_()
    k = t(values((B, S, D), 3 + seed)).requires_grad_() if own_key else v
    w = {}
    if mode == "additive":
        if use_scale:
            w["scale"] = values((D,), 4 + seed, 0.6)
    else:
        if use_scale:
            w["scale"] = np.array(0.7 + 0.1 * seed)
        if mode == "concat":
            w["concat_score_weight"] = np.array(1.3 - 0.1 * seed)
    W = {n: t(np.asarray(a, dtype=np.float64)).requires_grad_() for n, a in w.items()}
    if mode == "dot":
        scores = q @ k.transpose(1, 2)
        if use_scale:
            scores = scores * W["scale"]
    else:
        s = q.unsqueeze(-2) + k.unsqueeze(-3)  # (B, T, S, D)
        if mode == "concat":
            inner = W["scale"] * s if use_scale else s
            scores = W["concat_score_weight"] * torch.tanh(inner).sum(-1)
        else:
            scale = W["scale"] if use_scale else 1.0
            scores = (scale * torch.tanh(s)).sum(-1)
    mask = torch.ones(B, T, S, dtype=torch.bool)
    if value_mask is not None:
        mask = mask & (t(value_mask) != 0).reshape(B, 1, S)
    if causal:
        mask = mask & torch.tril(torch.ones(T, S, dtype=torch.bool)).reshape(1, T, S)
    scores = scores - 1e9 * (~mask).double()
    weights = torch.softmax(scores, dim=-1)
    y = weights @ v
    if query_mask is not None:
        y = y * t(query_mask).reshape(B, T, 1)
    dy = values(tuple(y.shape), 12 + seed)
    loss = (y * t(dy)).sum()
    inputs = {"query": q.detach().numpy(), "value": v.detach().numpy(), "dy": dy, **w}
    if own_key:
        inputs["key"] = k.detach().numpy()
    if scores_out:
        ds = values((B, T, S), 13 + seed)
        loss = loss + (weights * t(ds)).sum()
        inputs["ds"] = ds
    if query_mask is not None:
        inputs["query_mask"] = query_mask
    if value_mask is not None:
        inputs["value_mask"] = value_mask
    loss.backward()
    outputs = {"y": y.detach().numpy(), "dquery": q.grad.numpy(), "dvalue": v.grad.numpy()}
    if own_key:
        outputs["dkey"] = k.grad.numpy()
    if scores_out:
        outputs["scores"] = weights.detach().numpy()
    for n_, p in W.items():
        outputs["d" + n_] = p.grad.numpy().reshape(-1)
    for n_ in list(inputs):
        if n_ in w:
            inputs[n_] = np.asarray(inputs[n_]).reshape(-1)
    opts = f"mode={mode} use_scale={int(use_scale)} causal={int(causal)} scores={int(scores_out)}"
    cases.append((name, inputs, outputs, opts))


qm = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=np.float64)
vm = np.array([[1, 1, 0, 1, 0], [1, 0, 1, 1, 1]], dtype=np.float64)
case("dot", "dot", (2, 4, 3), (2, 5, 6), own_key=True)
case("dot_scaled_causal_scores", "dot", (2, 5, 4), (2, 5, 4), use_scale=True, causal=True, scores_out=True,
     seed=0.5)
case("dot_scaled_masks", "dot", (2, 4, 3), (2, 5, 3), use_scale=True, query_mask=qm, value_mask=vm, seed=1.0)
case("concat_scaled_masks_scores", "concat", (2, 4, 3), (2, 5, 2), own_key=True, use_scale=True, query_mask=qm,
     value_mask=vm, scores_out=True, seed=1.5)
case("concat", "concat", (3, 2, 5), (3, 4, 5), seed=2.0)
case("additive_scaled_key_masks", "additive", (2, 4, 6), (2, 5, 3), own_key=True, use_scale=True,
     query_mask=qm, value_mask=vm, scores_out=True, seed=2.5)
case("additive_unscaled_causal", "additive", (2, 5, 3), (2, 5, 3), causal=True, seed=3.0)
case("additive_scaled_long", "additive", (1, 7, 33), (1, 9, 33), use_scale=True, seed=3.5)

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "attention_layers.txt"), "w") as f:
    f.write("# soma Attention/AdditiveAttention references: written by attention_layers.py from PyTorch (float64). "
            "Do not edit.\n")
    f.write("# case NAME | options ... | tensor NAME rank dims... values... | end\n")
    for name, inputs, outputs, options in cases:
        f.write(f"case {name}\noptions {options}\n")
        for tname, t in list(inputs.items()) + list(outputs.items()):
            t = np.asarray(t)
            f.write(f"tensor {tname} {t.ndim} {' '.join(map(str, t.shape))} {' '.join(f'{v:.9g}' for v in t.ravel())}\n")
        f.write("end\n")
print(f"wrote {len(cases)} cases")

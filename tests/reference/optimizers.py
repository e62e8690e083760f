#!/usr/bin/python3
"""Reference values for soma's optimizers (tests/optimizers/reference_test.cpp).

Computes a few update steps of SGD and Adam from the tf.keras 2 (optimizer_v2) formulas, RMSprop from Keras 3's, and of
AdamW, Adagrad and Nadam from the Keras 3 formulas, in
float64 numpy, for a small parameter vector with fixed gradients per step, and writes them to
optimizers.txt next to this script. It also cross-checks the formulas against PyTorch where the two
libraries share the math, and prints where (and by how much) they differ.

Run with the Debian interpreter, which has numpy and torch:  /usr/bin/python3 tests/reference/optimizers.py

The tf.keras 2 update rules (lr_t = lr / (1 + decay * iterations), iterations counted before the step):
  SGD        momentum == 0:  p -= lr_t * g
             otherwise:      v = momentum * v - lr_t * g
                             p += momentum * v - lr_t * g   (nesterov)   or   p += v
  RMSprop    (Keras 3's rule, with the time-based decay of lr_t)
             a = rho * a + (1 - rho) * g^2 ;  centered: mg = rho * mg + (1 - rho) * g,  d = a - mg^2, else d = a
             inc = lr_t * g / sqrt(d + eps)   (tf.keras 2 used g / (sqrt(d) + eps) without momentum)
             momentum == 0:  p -= inc ;  otherwise:  mom = momentum * mom + inc ;  p -= mom
  Adam       t = iterations + 1 ;  m = b1 * m + (1 - b1) * g ;  v = b2 * v + (1 - b2) * g^2
             amsgrad: vhat = max(vhat, v), used in place of v below
             p -= lr_t * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)

The Keras 3 rules (no time-based decay):
  AdamW      p -= lr * weight_decay * p, then Adam's step
  Adagrad    a starts at initial_accumulator_value ;  a += g^2 ;  p -= lr * g / sqrt(a + eps)
  Nadam      u_t = b1 * (1 - 0.5 * 0.96^(0.004 t)) ;  U_t = u_1 * ... * u_t
             m, v as Adam ;  m_hat = u_{t+1} m / (1 - U_{t+1}) + (1 - u_t) g / (1 - U_t)
             p -= lr * m_hat / (sqrt(v / (1 - b2^t)) + eps)
"""
import math
import os

import numpy as np

STEPS = 5
SIZE = 7


def f32(x):
    """The float32 value a C++ `float` literal of x holds, as a Python float."""
    return float(np.float32(x))


def inputs():
    """Initial parameters and per-step gradients, all float32-representable.

    The gradients mix magnitudes on purpose: element 5 is tiny (1e-6 scale), so that where epsilon is
    added (inside or outside the square root, before or after bias correction) changes the result, and
    element 6 is zero on some steps.
    """
    rng = np.random.default_rng(20240607)
    p0 = rng.uniform(-1.0, 1.0, SIZE).astype(np.float32)
    grads = rng.uniform(-1.0, 1.0, (STEPS, SIZE)).astype(np.float32)
    grads[:, 4] *= 10.0  # a large gradient
    grads[:, 5] *= 1e-6  # a tiny one: epsilon dominates
    grads[1, 6] = 0.0
    grads[3, 6] = 0.0
    return p0.astype(np.float64), grads.astype(np.float64)


def sgd(p0, grads, learning_rate=0.01, momentum=0.0, nesterov=False, decay=0.0):
    p, v, out = p0.copy(), np.zeros_like(p0), []
    for it, g in enumerate(grads):
        lr = learning_rate / (1.0 + decay * it)
        if momentum == 0.0:
            p = p - lr * g
        else:
            v = momentum * v - lr * g
            p = p + (momentum * v - lr * g if nesterov else v)
        out.append(p.copy())
    return out


def rmsprop(p0, grads, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, decay=0.0):
    p, a, mg, mom, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0), []
    for it, g in enumerate(grads):
        lr = learning_rate / (1.0 + decay * it)
        a = rho * a + (1.0 - rho) * g * g
        d = a
        if centered:
            mg = rho * mg + (1.0 - rho) * g
            d = a - mg * mg
        inc = lr * g / np.sqrt(d + epsilon)  # Keras 3: epsilon inside the square root, with or without momentum
        if momentum == 0.0:
            p = p - inc
        else:
            mom = momentum * mom + inc
            p = p - mom
        out.append(p.copy())
    return out


def adam(p0, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, decay=0.0):
    p, m, v, vhat, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0), []
    for it, g in enumerate(grads):
        lr = learning_rate / (1.0 + decay * it)
        t = it + 1
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        if amsgrad:
            vhat = np.maximum(vhat, v)
        lr_t = lr * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        p = p - lr_t * m / (np.sqrt(vhat if amsgrad else v) + epsilon)
        out.append(p.copy())
    return out


def adamw(p0, grads, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
          amsgrad=False):
    p, m, v, vhat, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), np.zeros_like(p0), []
    for it, g in enumerate(grads):
        t = it + 1
        p = p - p * weight_decay * learning_rate
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        if amsgrad:
            vhat = np.maximum(vhat, v)
        lr_t = learning_rate * math.sqrt(1.0 - beta_2**t) / (1.0 - beta_1**t)
        p = p - lr_t * m / (np.sqrt(vhat if amsgrad else v) + epsilon)
        out.append(p.copy())
    return out


def adagrad(p0, grads, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    p, a, out = p0.copy(), np.full_like(p0, initial_accumulator_value), []
    for g in grads:
        a = a + g * g
        p = p - learning_rate * g / np.sqrt(a + epsilon)
        out.append(p.copy())
    return out


def nadam(p0, grads, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, torch_1_13_bug=False):
    p, m, v, out = p0.copy(), np.zeros_like(p0), np.zeros_like(p0), []
    u_product = 1.0
    for it, g in enumerate(grads):
        t = it + 1
        u_t = beta_1 * (1.0 - 0.5 * 0.96 ** (t * 0.004))
        u_next = beta_1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * 0.004))
        u_product = u_product * u_t  # Keras updates its u_product variable before the variables
        u_product_next = u_product * u_next
        if torch_1_13_bug:  # torch < 2.0: U_t * u_t * u_{t+1}, and U in a float32 tensor
            u_product = f32(u_product)
            u_product_next = f32(f32(u_product * u_t) * u_next)
        m = beta_1 * m + (1.0 - beta_1) * g
        v = beta_2 * v + (1.0 - beta_2) * g * g
        m_hat = u_next * m / (1.0 - u_product_next) + (1.0 - u_t) * g / (1.0 - u_product)
        v_hat = v / (1.0 - beta_2**t)
        p = p - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        out.append(p.copy())
    return out


# name, optimizer, options (as the C++ options struct spells them; absent = Keras default).
CASES = [
    ("sgd_plain", "sgd", {"learning_rate": 0.1}),
    ("sgd_default", "sgd", {}),
    ("sgd_momentum", "sgd", {"learning_rate": 0.1, "momentum": 0.9}),
    ("sgd_nesterov_decay", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "decay": 0.1}),
    ("rmsprop_default", "rmsprop", {}),
    ("rmsprop_lr", "rmsprop", {"learning_rate": 0.05, "rho": 0.8}),
    ("rmsprop_centered", "rmsprop", {"learning_rate": 0.01, "centered": True}),
    ("rmsprop_momentum", "rmsprop", {"learning_rate": 0.01, "momentum": 0.9}),
    ("rmsprop_centered_momentum_decay", "rmsprop",
     {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "decay": 0.05}),
    ("adam_default", "adam", {}),
    ("adam_lr", "adam", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4}),
    ("adam_amsgrad", "adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("adam_decay", "adam", {"learning_rate": 0.1, "decay": 0.2}),
    ("adamw_default", "adamw", {}),
    ("adamw_lr_wd", "adamw", {"learning_rate": 0.1, "weight_decay": 0.5, "beta_1": 0.8, "beta_2": 0.95}),
    ("adamw_amsgrad", "adamw", {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True, "epsilon": 1e-4}),
    ("adagrad_default", "adagrad", {}),
    ("adagrad_lr", "adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    ("adagrad_zero_init", "adagrad", {"learning_rate": 0.05, "initial_accumulator_value": 0.0}),
    ("nadam_default", "nadam", {}),
    ("nadam_lr", "nadam", {"learning_rate": 0.1, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-4}),
]
FUNCS = {"sgd": sgd, "rmsprop": rmsprop, "adam": adam, "adamw": adamw, "adagrad": adagrad, "nadam": nadam}


def keras_kwargs(opts):
    # Hyperparameters as the C++ float fields hold them.
    return {k: (v if isinstance(v, bool) else f32(v)) for k, v in opts.items()}


def fmt(x):
    return repr(float(x))


def write(path, p0, grads):
    lines = [
        "# soma optimizer reference values: written by optimizers.py from the tf.keras 2 (SGD, RMSprop, Adam)",
        "# and Keras 3 (AdamW, Adagrad, Nadam) formulas in float64.",
        "# Do not edit; rerun the script. Format (whitespace-separated, one record per line):",
        "#   size N | steps S | init p0[0..N) | grad k g_k[0..N) (k = 1..S)",
        "#   case NAME OPTIMIZER | option KEY VALUE (bools are 0/1) | expect k p_k[0..N) | end",
        f"size {SIZE}",
        f"steps {STEPS}",
        "init " + " ".join(fmt(x) for x in p0),
    ]
    for k, g in enumerate(grads, 1):
        lines.append(f"grad {k} " + " ".join(fmt(x) for x in g))
    for name, opt, opts in CASES:
        lines.append(f"case {name} {opt}")
        for key, value in opts.items():
            lines.append(f"option {key} {int(value) if isinstance(value, bool) else repr(value)}")
        for k, p in enumerate(FUNCS[opt](p0, grads, **keras_kwargs(opts)), 1):
            lines.append(f"expect {k} " + " ".join(fmt(x) for x in p))
        lines.append("end")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def torch_run(make, p0, grads, lrs=None):
    import torch

    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    out = []
    for it, g in enumerate(grads):
        if lrs is not None:
            for group in opt.param_groups:
                group["lr"] = lrs[it]
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().copy())
    return out


def max_diff(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))


def cross_check(p0, grads):
    try:
        import torch
    except ImportError:
        print("torch not available: cross-checks skipped")
        return
    O = torch.optim
    print("Cross-checks against PyTorch", torch.__version__, "(max |difference| of parameters over", STEPS, "steps)")

    def report(what, diff, same, tol=1e-12):
        verdict = "same math" if same else "differs"
        print(f"  {what:<62} {diff:10.3e}  {verdict}")
        if same:
            assert diff < tol, what

    # SGD: torch keeps buf = momentum * buf + g and steps p -= lr * (buf | g + momentum * buf); Keras keeps
    # v = momentum * v - lr * g. v == -lr * buf while lr is constant, so the parameters agree.
    report("SGD plain, lr 0.1",
           max_diff(sgd(p0, grads, 0.1), torch_run(lambda ps: O.SGD(ps, lr=0.1), p0, grads)), True)
    report("SGD momentum 0.9, lr 0.1",
           max_diff(sgd(p0, grads, 0.1, 0.9), torch_run(lambda ps: O.SGD(ps, lr=0.1, momentum=0.9), p0, grads)),
           True)
    report("SGD nesterov momentum 0.9, lr 0.1",
           max_diff(sgd(p0, grads, 0.1, 0.9, True),
                    torch_run(lambda ps: O.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), p0, grads)), True)
    # With a changing learning rate the velocities differ: Keras' v carries old learning rates, torch's buf
    # does not.
    lrs = [0.1 / (1 + 0.1 * it) for it in range(STEPS)]
    report("SGD nesterov 0.9 with decay 0.1 (time-based lr in torch too)",
           max_diff(sgd(p0, grads, 0.1, 0.9, True, 0.1),
                    torch_run(lambda ps: O.SGD(ps, lr=0.1, momentum=0.9, nesterov=True), p0, grads, lrs)), False)

    # RMSprop: torch's alpha is rho and square_avg starts at zero, but torch keeps g / (sqrt(a) + eps) where
    # Keras 3 writes g / sqrt(a + eps): equal with eps 0, different otherwise.
    report("RMSprop rho 0.9 eps 1e-7 (eps placement differs)",
           max_diff(rmsprop(p0, grads, 0.01), torch_run(lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.9, eps=1e-7),
                                                         p0, grads)), False)
    report("RMSprop rho 0.9 with eps 0",
           max_diff(rmsprop(p0[:5], grads[:, :5], 0.01, epsilon=0.0),
                    torch_run(lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.9, eps=0.0), p0[:5], grads[:, :5])), True)
    report("RMSprop centered with eps 0",
           max_diff(rmsprop(p0[:5], grads[:, :5], 0.01, centered=True, epsilon=0.0),
                    torch_run(lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.9, eps=0.0, centered=True), p0[:5],
                              grads[:, :5])), True)
    report("RMSprop momentum 0.9 with eps 0",
           max_diff(rmsprop(p0[:5], grads[:, :5], 0.01, momentum=0.9, epsilon=0.0),
                    torch_run(lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.9, eps=0.0, momentum=0.9), p0[:5],
                              grads[:, :5])), True)

    # Adam: Keras adds eps to sqrt(v) ("epsilon hat"), torch to sqrt(v / (1 - b2^t)).
    report("Adam default (eps placement differs)",
           max_diff(adam(p0, grads), torch_run(lambda ps: O.Adam(ps, lr=0.001, eps=1e-7), p0, grads)), False)
    report("Adam with eps 0",
           max_diff(adam(p0, grads, epsilon=0.0), torch_run(lambda ps: O.Adam(ps, lr=0.001, eps=0.0), p0, grads)),
           True)
    report("Adam amsgrad with eps 0",
           max_diff(adam(p0, grads, 0.1, amsgrad=True, epsilon=0.0),
                    torch_run(lambda ps: O.Adam(ps, lr=0.1, eps=0.0, amsgrad=True), p0, grads)), True)
    # Keras' eps equals torch's eps * sqrt(1 - b2^t), a different value each step: no constant matches.
    report("Adam, torch eps = 1e-7 / sqrt(1 - b2^1) (matches step 1 only)",
           max_diff(adam(p0, grads)[:1],
                    torch_run(lambda ps: O.Adam(ps, lr=0.001, eps=1e-7 / math.sqrt(1 - 0.999)), p0, grads[:1])),
           True)

    # AdamW: torch decays p by (1 - lr * wd) before the Adam step, as Keras 3; only eps placement differs.
    report("AdamW wd 0.5 with eps 0",
           max_diff(adamw(p0, grads, 0.1, 0.5, epsilon=0.0),
                    torch_run(lambda ps: O.AdamW(ps, lr=0.1, weight_decay=0.5, eps=0.0), p0, grads)), True)
    report("AdamW default (eps placement differs)",
           max_diff(adamw(p0, grads), torch_run(lambda ps: O.AdamW(ps, lr=0.001, weight_decay=0.004, eps=1e-7),
                                                 p0, grads)), False)
    # Adagrad: Keras 3 divides by sqrt(a + eps), torch by sqrt(a) + eps; same otherwise.
    report("Adagrad init 0.1 with eps 0",
           max_diff(adagrad(p0, grads, 0.1, 0.1, 0.0),
                    torch_run(lambda ps: O.Adagrad(ps, lr=0.1, initial_accumulator_value=0.1, eps=0.0), p0, grads)),
           True)
    report("Adagrad default (eps inside the sqrt in Keras 3)",
           max_diff(adagrad(p0, grads),
                    torch_run(lambda ps: O.Adagrad(ps, lr=0.001, initial_accumulator_value=0.1, eps=1e-7), p0,
                              grads)), False)
    # Nadam: torch's NAdam (momentum_decay 4e-3) is the same algorithm, eps placement included, except
    # that torch before 2.0 computed U_{t+1} as U_t * u_t * u_{t+1} (fixed upstream in 2.0).
    torch_nadam_bug = tuple(int(x) for x in torch.__version__.split(".")[:1]) < (2,)
    # (torch's float32 U then limits the agreement to ~1e-9 of the step size.)
    tol = 1e-8 if torch_nadam_bug else 1e-12
    report(f"Nadam default{' (torch < 2.0 bug emulated)' if torch_nadam_bug else ''}",
           max_diff(nadam(p0, grads, torch_1_13_bug=torch_nadam_bug),
                    torch_run(lambda ps: O.NAdam(ps, lr=0.001, eps=1e-7), p0, grads)), True, tol)
    report("Nadam lr 0.1 b1 0.8 b2 0.95 eps 1e-4",
           max_diff(nadam(p0, grads, 0.1, 0.8, 0.95, 1e-4, torch_1_13_bug=torch_nadam_bug),
                    torch_run(lambda ps: O.NAdam(ps, lr=0.1, betas=(0.8, 0.95), eps=1e-4), p0, grads)), True, tol)
    if torch_nadam_bug:
        report("Nadam default against this torch's NAdam as it is",
               max_diff(nadam(p0, grads), torch_run(lambda ps: O.NAdam(ps, lr=0.001, eps=1e-7), p0, grads)),
               False)


def main():
    p0, grads = inputs()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizers.txt")
    write(path, p0, grads)
    print("wrote", path)
    cross_check(p0, grads)


if __name__ == "__main__":
    main()

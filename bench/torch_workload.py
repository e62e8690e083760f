"""The PyTorch twin of bench/workload.cpp: the same seed workloads (as ../shared/peers/torch_seed_models.py
defines them), the same data and the same protocol: a warm-up of a few steps, one timed training epoch,
one timed inference pass over the test set at batch 1000, then peak resident memory.

Usage: /usr/bin/python3 bench/torch_workload.py WORKLOAD THREADS [DATA_DIR] [WARMUP_STEPS]
"""
import gzip
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

name, threads = sys.argv[1], int(sys.argv[2])
data_dir = (sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] and name != "transformer" else "/usr/share/datasets/fashion-mnist").rstrip("/")
warmup_steps = int(sys.argv[4]) if len(sys.argv) > 4 else 50
torch.set_num_threads(threads)
torch.manual_seed(0)


def idx(stem):
    path = f"{data_dir}/{stem}"
    opener = gzip.open if os.path.exists(path + ".gz") else open
    with opener(path + ".gz" if os.path.exists(path + ".gz") else path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def bands(images, labels):
    # As bench/workload.cpp: mean brightness of eight horizontal bands; label 1 for classes 5..9.
    x = np.empty((images.shape[0], 8), np.float32)
    for b in range(8):
        r0, r1 = b * 28 // 8, (b + 1) * 28 // 8
        x[:, b] = images[:, r0:r1, :].reshape(images.shape[0], -1).astype(np.float32).sum(1) / (255.0 * 28 * (r1 - r0))
    return torch.from_numpy(x), torch.from_numpy((labels >= 5).astype(np.float32)).unsqueeze(1)


def imdb(path, maxlen=200, max_tokens=20000):
    """The IMDB reviews as examples/imdb_data.hpp prepares them: even reviews train, odd ones test;
    "<br />" and ASCII punctuation removed, ASCII lower case, split on whitespace; a vocabulary of padding,
    "[UNK]" and the most frequent training words (ties: first seen first); cut or padded at the front."""
    import json
    import string
    with open(path, "rb") as f:
        reviews = json.load(f)
    drop = bytes(string.punctuation, "ascii")

    def tokens(text):
        return text.encode("utf-8").replace(b"<br />", b" ").translate(None, drop).lower().split()

    texts = [tokens(r["t"]) for r in reviews]
    labels = np.array([r["s"] for r in reviews], np.int64)
    counts, first = {}, {}
    for i in range(0, len(texts), 2):
        for t in texts[i]:
            counts[t] = counts.get(t, 0) + 1
            first.setdefault(t, len(first))
    vocab = sorted(counts, key=lambda t: (-counts[t], first[t]))[:max_tokens - 2]
    index = {t: i + 2 for i, t in enumerate(vocab)}

    def pad(seqs):
        out = np.zeros((len(seqs), maxlen), np.int64)
        for i, s in enumerate(seqs):
            ids = [index.get(t, 1) for t in s][-maxlen:]
            if ids:
                out[i, maxlen - len(ids):] = ids
        return torch.from_numpy(out)

    return (pad(texts[0::2]), torch.from_numpy(labels[0::2]), pad(texts[1::2]), torch.from_numpy(labels[1::2]),
            len(vocab) + 2)


class Transformer(nn.Module):
    """Keras' Transformer recipe (examples/transformer_model.hpp): key_dim 32 per head, so not
    nn.MultiheadAttention (whose heads split embed_dim); the attention as batched matmuls."""

    def __init__(self, vocab, maxlen=200, embed=32, heads=2, ff=32):
        super().__init__()
        self.heads, self.dk = heads, embed
        self.tok, self.pos = nn.Embedding(vocab, embed), nn.Embedding(maxlen, embed)
        self.q, self.k, self.v = (nn.Linear(embed, heads * embed) for _ in range(3))
        self.o = nn.Linear(heads * embed, embed)
        self.ln1, self.ln2 = nn.LayerNorm(embed, eps=1e-6), nn.LayerNorm(embed, eps=1e-6)
        self.ffn = nn.Sequential(nn.Linear(embed, ff), nn.ReLU(), nn.Linear(ff, embed))
        self.drop = nn.Dropout(0.1)
        self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(embed, 20), nn.ReLU(), nn.Dropout(0.1), nn.Linear(20, 2))

    def forward(self, ids):
        b, t = ids.shape
        x = self.tok(ids) + self.pos.weight[:t]
        split = lambda y: y.view(b, t, self.heads, self.dk).transpose(1, 2)  # (b, heads, t, dk)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        p = torch.softmax(q @ k.transpose(-1, -2) / self.dk ** 0.5, dim=-1)
        a = self.o((p @ v).transpose(1, 2).reshape(b, t, -1))
        out1 = self.ln1(x + self.drop(a))
        h = self.ln2(out1 + self.drop(self.ffn(out1)))
        return self.head(h.mean(1))


if name == "transformer":
    path = os.path.join(sys.argv[3], "reviews.json") if len(sys.argv) > 3 and sys.argv[3] else os.path.join(
        os.environ.get("SOMA_DATA_HOME", os.path.expanduser("~/.soma/datasets")), "imdb", "reviews.json")
    xtr, ytr, xte, yte, vocab = imdb(path)
    net = Transformer(vocab)
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    lossf, bs = nn.CrossEntropyLoss(), 32
else:
    tr_img, tr_lab = idx("train-images-idx3-ubyte"), idx("train-labels-idx1-ubyte").astype(np.int64)
    te_img, te_lab = idx("t10k-images-idx3-ubyte"), idx("t10k-labels-idx1-ubyte").astype(np.int64)

if name == "transformer":
    pass
elif name == "binary":
    xtr, ytr = bands(tr_img, tr_lab)
    xte, yte = bands(te_img, te_lab)
    net = nn.Sequential(nn.Linear(8, 10), nn.ReLU(), nn.Linear(10, 8), nn.ReLU(), nn.Linear(8, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    lossf, bs = nn.BCEWithLogitsLoss(), 32
else:
    xtr = torch.from_numpy(tr_img.reshape(-1, 784).astype(np.float32) / 255)
    xte = torch.from_numpy(te_img.reshape(-1, 784).astype(np.float32) / 255)
    ytr, yte = torch.from_numpy(tr_lab), torch.from_numpy(te_lab)
    lossf = nn.CrossEntropyLoss()
    if name == "mlp":
        net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        bs = 128
    elif name == "cnn":
        xtr, xte = xtr.reshape(-1, 1, 28, 28), xte.reshape(-1, 1, 28, 28)
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Conv2d(64, 64, 3), nn.ReLU(), nn.Flatten(), nn.Linear(576, 64),
                            nn.ReLU(), nn.Linear(64, 10))
        opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
        bs = 64
    elif name == "mobilenet":
        # examples/mobilenet_model.hpp: RandomFlip("horizontal") + RandomTranslation(0.1, 0.1) in training
        # (per-sample flip and a bilinear, reflect-padded shift via affine_grid/grid_sample), inverted
        # residual blocks with BatchNorm (Keras momentum 0.9 = PyTorch 0.1, epsilon 1e-3) and ReLU6.
        xtr, xte = xtr.reshape(-1, 1, 28, 28), xte.reshape(-1, 1, 28, 28)
        import torch.nn.functional as F

        def bn(c):
            return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)

        def conv_bn(i, o, k, act=True):
            layers = [nn.Conv2d(i, o, k, padding=k // 2, bias=False), bn(o)]
            return nn.Sequential(*layers, nn.ReLU6()) if act else nn.Sequential(*layers)

        class Block(nn.Module):
            def __init__(self, i, t, o, s):
                super().__init__()
                e = i * t
                self.expand = conv_bn(i, e, 1) if t != 1 else nn.Identity()
                self.dw = nn.Sequential(nn.Conv2d(e, e, 3, s, 1, groups=e, bias=False), bn(e), nn.ReLU6())
                self.project = conv_bn(e, o, 1, act=False)
                self.residual = s == 1 and i == o

            def forward(self, x):
                h = self.project(self.dw(self.expand(x)))
                return x + h if self.residual else h

        class MobileNet(nn.Module):
            def __init__(self):
                super().__init__()
                blocks, c = [], 32
                for t, o, s in [(1, 16, 1), (4, 24, 2), (4, 24, 1), (4, 32, 2), (4, 32, 1), (4, 64, 1)]:
                    blocks.append(Block(c, t, o, s))
                    c = o
                self.body = nn.Sequential(conv_bn(1, 32, 3), *blocks, conv_bn(64, 128, 1))
                self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(128, 10))

            def forward(self, x):
                if self.training:
                    n = x.shape[0]
                    flip = torch.rand(n) <= 0.5
                    x = torch.where(flip[:, None, None, None], x.flip(3), x)
                    theta = torch.zeros(n, 2, 3)
                    theta[:, 0, 0] = theta[:, 1, 1] = 1
                    theta[:, :, 2] = (torch.rand(n, 2) * 0.2 - 0.1) * 2  # normalised coordinates span 2
                    grid = F.affine_grid(theta, x.shape, align_corners=False)
                    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
                return self.head(self.body(x).mean((2, 3)))

        net = MobileNet()
        opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
        bs = 128
    elif name == "lstm":
        xtr, xte = xtr.reshape(-1, 28, 28), xte.reshape(-1, 28, 28)

        class LastStep(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm, self.fc = nn.LSTM(28, 128, batch_first=True), nn.Linear(128, 10)

            def forward(self, x):
                return self.fc(self.lstm(x)[0][:, -1])

        net = LastStep()
        opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
        bs = 128
    elif name == "small":
        net = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, nesterov=True)
        bs = 32
    else:
        raise SystemExit(f"unknown workload {name}")


def train(n_samples):
    net.train()
    perm = torch.randperm(n_samples)
    for i in range(0, n_samples, bs):
        idxs = perm[i:i + bs]
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(xtr[idxs]), ytr[idxs])
        loss.backward()
        opt.step()


def predict(x):
    net.eval()
    with torch.no_grad():
        return torch.cat([net(x[i:i + 1000]) for i in range(0, x.shape[0], 1000)])


n = xtr.shape[0]
train(min(n, bs * warmup_steps))
t0 = time.perf_counter()
train(n)
train_s = time.perf_counter() - t0
predict(xte[:1000])
t0 = time.perf_counter()
out = predict(xte)
infer_s = time.perf_counter() - t0
acc = ((out > 0).float() == yte).float().mean().item() if name == "binary" else (out.argmax(1) == yte).float().mean().item()
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(f"WORKLOAD impl=torch{threads} workload={name} train_sps={n / train_s:.0f} infer_sps={xte.shape[0] / infer_s:.0f} "
      f"peak_rss_mb={rss_mb:.1f} test_acc={acc:.4f}", flush=True)

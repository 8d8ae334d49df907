"""The paper CNN in PyTorch, timed like bench/backends.ts times tfjs (the peer for --compare-torch).

Usage: python3 bench/backends_torch.py THREADS TRAIN_STEPS LATENCY_RUNS THROUGHPUT_RUNS
       python3 bench/backends_torch.py paired THREADS ROUNDS WARMUP BATCHES ARCH:WIDTH ARCH:WIDTH
Prints one JSON object on stdout.

`paired` is the PyTorch reference of `fer time` (lib/eval/paired-timing-run.ts): the two models
(ARCH cnn or cnn-lstm, WIDTH the width multiplier of lib/models) in inference mode, timed with
the same interleaved protocol, at each batch size of BATCHES (comma-separated): WARMUP untimed
calls of each model, then ROUNDS rounds of one call of each, the order alternating (AB, BA, ...).
It prints each call's ms per image; the statistics are computed on the TypeScript side, so
both frameworks' numbers go through the same code. ROUNDS 0 only builds the models and prints
their parameter counts.
"""
import json
import math
import resource
import statistics
import sys
import time

import torch
from torch import nn


# (filters, kernel) of the conv blocks: lib/models/cnn.ts CNN_CONV_BLOCKS.
CONV_BLOCKS = [(64, 3), (128, 5), (512, 3), (512, 3)]


def scaled(width: int, mult: float) -> int:
    """lib/models/options.ts `scaled`: JavaScript's Math.round (half up, unlike Python's round), at least 1."""
    return max(1, math.floor(width * mult + 0.5))


def conv_block(cin: int, filters: int, k: int) -> list:
    """lib/models/blocks.ts convBlock: Conv2D(same) -> BN -> ReLU -> MaxPool 2 -> Dropout 0.25."""
    return [nn.Conv2d(cin, filters, k, padding=k // 2), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01),
            nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)]


def paper_cnn(width: float = 1.0) -> nn.Module:
    layers, cin = [], 1
    for filters, k in CONV_BLOCKS:
        layers += conv_block(cin, scaled(filters, width), k)
        cin = scaled(filters, width)
    layers.append(nn.Flatten())
    din = cin * 3 * 3
    for units in (256, 512):
        u = scaled(units, width)
        layers += [nn.Linear(din, u), nn.BatchNorm1d(u, eps=1e-3, momentum=0.01), nn.ReLU(), nn.Dropout(0.25)]
        din = u
    layers.append(nn.Linear(din, 7))  # softmax is inside CrossEntropyLoss
    return nn.Sequential(*layers)


class PaperCnnLstm(nn.Module):
    """lib/models/cnn-lstm.ts buildCnnLstm: the CNN's first 3 conv blocks (48x48 -> 6x6xC), the
    map read as 6 rows of 6*C values (tfjs's Reshape of the channels-last map), LSTM 160 (full
    sequence) -> LSTM 160 (last state), Dense 256 -> BN -> ReLU -> Dropout, Dense 7.

    Two differences that do not change the arithmetic's size: torch's LSTM gates use sigmoid
    where tfjs's default recurrent activation is hard sigmoid, and torch adds two bias vectors
    where tfjs adds one (keras_params counts them as one)."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        layers, cin = [], 1
        for filters, k in CONV_BLOCKS[:3]:
            layers += conv_block(cin, scaled(filters, width), k)
            cin = scaled(filters, width)
        self.features = nn.Sequential(*layers)
        units, dense = scaled(160, width), scaled(256, width)
        self.lstm1 = nn.LSTM(6 * cin, units, batch_first=True)
        self.lstm2 = nn.LSTM(units, units, batch_first=True)
        self.head = nn.Sequential(nn.Linear(units, dense), nn.BatchNorm1d(dense, eps=1e-3, momentum=0.01), nn.ReLU(),
                                  nn.Dropout(0.25), nn.Linear(dense, 7))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # N, C, 6, 6
        x = x.permute(0, 2, 3, 1).flatten(2)  # N, 6 rows, 6*C in channels-last order, as tfjs
        x, _ = self.lstm1(x)
        _, (h, _) = self.lstm2(x)
        return self.head(h[-1])


BUILDERS = {'cnn': paper_cnn, 'cnn-lstm': PaperCnnLstm}


def keras_params(model: nn.Module) -> int:
    """Parameters as Keras and lib/models count them: BatchNorm moving mean and variance
    included, and one LSTM bias where torch has two (bias_ih + bias_hh act as one sum)."""
    n = sum(p.numel() for p in model.parameters())
    n += sum(m.running_mean.numel() + m.running_var.numel()
             for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))
    return n - sum(p.numel() for name, p in model.named_parameters() if 'bias_hh' in name)


def paired(args: list) -> None:
    threads, rounds, warmup = (int(a) for a in args[:3])
    batches = [int(b) for b in args[3].split(',')]
    specs = [(arch, float(width)) for arch, width in (s.split(':') for s in args[4:6])]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    nets = [BUILDERS[arch](width) for arch, width in specs]
    # The tfjs models end in softmax; CrossEntropyLoss-style nets here do not, so add it.
    models = [nn.Sequential(n, nn.Softmax(dim=1)).eval() for n in nets]
    out = []
    with torch.inference_mode():
        for b in batches if rounds > 0 else []:
            x = torch.rand(b, 1, 48, 48)
            for m in models:
                for _ in range(warmup):
                    m(x)
            ms = [[], []]
            for r in range(rounds):
                for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                    t = time.perf_counter()
                    models[i](x)
                    ms[i].append((time.perf_counter() - t) * 1000 / b)
            out.append({'batchSize': b, 'msPerImage': ms})
    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'models': [{'architecture': a, 'widthMultiplier': w, 'params': keras_params(n)}
                   for (a, w), n in zip(specs, nets)],
        'batches': out,
    }))


def main() -> None:
    if sys.argv[1] == 'paired':
        paired(sys.argv[2:])
        return
    threads, steps, lat_runs, tp_runs = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = paper_cnn()
    # Keras counts BatchNorm moving mean/variance as parameters; add them for the same total.
    params = sum(p.numel() for p in model.parameters()) + sum(
        m.running_mean.numel() + m.running_var.numel() for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm))
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(64, 1, 48, 48)
    y = torch.randint(0, 7, (64,))

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    model.train()
    step()  # warm-up
    times, cpu = [], []
    for _ in range(steps):
        t, c = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    train_ms_per_img = statistics.median(times) * 1000 / 64

    model.eval()
    with torch.no_grad():
        one = torch.rand(1, 1, 48, 48)
        for _ in range(3):
            model(one)
        lat = []
        for _ in range(lat_runs):
            t = time.perf_counter()
            model(one)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        big = torch.rand(256, 1, 48, 48)
        model(big)
        tp = []
        for _ in range(tp_runs):
            t = time.perf_counter()
            model(big)
            tp.append(time.perf_counter() - t)
    print(json.dumps({
        'torch': torch.__version__,
        'threads': threads,
        'params': params,
        'trainMsPerImage': train_ms_per_img,
        'trainCpuMsPerImage': statistics.median(cpu) * 1000 / 64,
        'latencyMedianMs': statistics.median(lat),
        'latencyP95Ms': lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        'throughputImgPerS': 256 / statistics.median(tp),
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == '__main__':
    main()

"""The paper CNN in PyTorch, timed like bench/backends.ts times tfjs (the peer for --compare-torch).

Usage: python3 bench/backends_torch.py THREADS TRAIN_STEPS LATENCY_RUNS THROUGHPUT_RUNS
Prints one JSON object on stdout.
"""
import json
import resource
import statistics
import sys
import time

import torch
from torch import nn


def paper_cnn() -> nn.Module:
    layers, cin = [], 1
    for filters, k in [(64, 3), (128, 5), (512, 3), (512, 3)]:
        layers += [nn.Conv2d(cin, filters, k, padding=k // 2), nn.BatchNorm2d(filters, eps=1e-3, momentum=0.01),
                   nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25)]
        cin = filters
    layers.append(nn.Flatten())
    din = 512 * 3 * 3
    for units in (256, 512):
        layers += [nn.Linear(din, units), nn.BatchNorm1d(units, eps=1e-3, momentum=0.01), nn.ReLU(), nn.Dropout(0.25)]
        din = units
    layers.append(nn.Linear(din, 7))  # softmax is inside CrossEntropyLoss
    return nn.Sequential(*layers)


def main() -> None:
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

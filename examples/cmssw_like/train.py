"""Trains the high-purity track classifier on simulated tracks with PyTorch and exports it with
torch.onnx.export (dynamic batch) to examples/cmssw_like/track_classifier.onnx; prints the ROC AUC on held-out
tracks. The input standardisation is folded into the first layer before export.

    python examples/cmssw_like/train.py
"""

from pathlib import Path

import numpy as np
import torch

import sofie_soa as ss
from tracks import LAYOUT, gather, produce, roc_auc

HERE = Path(__file__).resolve().parent


def main(n_train: int = 200_000, n_test: int = 100_000) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(2026)
    train, test = ss.SoA.allocate(LAYOUT, n_train), ss.SoA.allocate(LAYOUT, n_test)
    y_train, y_test = produce(train, rng), produce(test, rng)
    x = gather(train)
    mean, std = x.mean(axis=0), x.std(axis=0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 32), torch.nn.ReLU(),
                              torch.nn.Linear(32, 1))
    xt = torch.from_numpy((x - mean) / std)
    yt = torch.from_numpy(y_train.astype(np.float32))[:, None]
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for epoch in range(8):
        for batch in torch.randperm(n_train).split(1024):
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt[batch]), yt[batch])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    with torch.no_grad():                      # fold (x - mean) / std into the first layer
        first = net[0]
        first.bias -= first.weight @ torch.from_numpy(mean / std)
        first.weight /= torch.from_numpy(std)
    model = torch.nn.Sequential(*net, torch.nn.Sigmoid()).eval()
    with torch.no_grad():
        score = model(torch.from_numpy(gather(test)))[:, 0].numpy()
    print(f"ROC AUC on {n_test} held-out tracks: {roc_auc(score, y_test):.4f}")
    path = HERE / "track_classifier.onnx"
    torch.onnx.export(model, torch.zeros(2, 8), path, input_names=["features"], output_names=["score"],
                      dynamic_axes={"features": {0: "N"}, "score": {0: "N"}}, dynamo=False)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

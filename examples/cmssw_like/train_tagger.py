"""Trains the jet tagger of the CMS-style chain — a ParticleNet from weaver-core (b / c / light, P = 64
candidates, kNN with k = 8) — briefly on simulated jets (jets.py) with PyTorch, and exports it with
torch.onnx.export (dynamic batch) to examples/cmssw_like/jet_tagger.onnx; prints the b-vs-light ROC AUC on
held-out jets. Needs torch and weaver-core (`pip install --no-deps weaver-core`: its model classes import without
its training stack).

    python examples/cmssw_like/train_tagger.py
"""

from pathlib import Path

import numpy as np
import torch

from jets import gather, produce
from tracks import roc_auc

HERE = Path(__file__).resolve().parent


def network():
    """ParticleNet with trim=False: weaver's SequenceTrimmer would cut each batch to its longest jet (a shape that
    depends on the data); a trigger reads a fixed P."""
    from weaver.nn.model.ParticleNet import ParticleNet
    return ParticleNet(input_dims=4, num_classes=3, conv_params=[(8, (16, 16, 16)), (8, (32, 32, 32))],
                       fc_params=[(32, 0.0)], for_inference=False, trim=False)


def tensors(n: int, rng: np.random.Generator):
    jets, cands = produce(n, rng)
    padded = gather(jets, cands)
    return ([torch.from_numpy(padded[k]) for k in ("points", "features", "mask")],
            torch.from_numpy(jets["flavour"].astype(np.int64)))


def main(n_train: int = 30_000, n_test: int = 10_000, epochs: int = 4) -> None:
    torch.manual_seed(0)
    rng = np.random.default_rng(2027)
    (x_train, y_train), (x_test, y_test) = tensors(n_train, rng), tensors(n_test, rng)
    net = network()
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for epoch in range(epochs):
        net.train()
        for batch in torch.randperm(n_train).split(256):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(*(x[batch] for x in x_train)), y_train[batch])
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}")
    net.for_inference = True  # a softmax head: the exported model gives probabilities
    net.eval()
    with torch.no_grad():
        prob = torch.cat([net(*(x[b] for x in x_test)) for b in torch.arange(n_test).split(1024)]).numpy()
    b_or_light = (y_test != 1).numpy()
    auc = roc_auc(prob[b_or_light, 0] / (prob[b_or_light, 0] + prob[b_or_light, 2]),
                  (y_test[b_or_light] == 0).numpy())
    print(f"b vs light ROC AUC on {n_test} held-out jets: {auc:.4f}")
    path = HERE / "jet_tagger.onnx"
    example = [x[:2] for x in x_test]
    names = ["points", "features", "mask"]
    torch.onnx.export(net, tuple(example), path, input_names=names, output_names=["probs"], dynamo=False,
                      dynamic_axes={n: {0: "N"} for n in names + ["probs"]}, opset_version=17)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

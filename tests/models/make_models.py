"""Exports the real-exporter test models of issue 14 from torch 2.13, with the legacy (TorchScript) and the default
(dynamo) exporter, into tests/models/<name>.<exporter>.onnx:

  deepsets     points [N, P, F] float32, mask [N, P] float32 -> score [N, 2]: a shared Linear on the 3-D input
               (phi), masked ReduceSum over P, rho MLP
  transformer  x [N, S, E] float32 -> y [N, S, E]: nn.TransformerEncoderLayer (batch_first, GELU, LayerNorm,
               attention as MatMul/Softmax/MatMul)
  boolmask     x [N, P, F] float32 -> y [N, P]: a ParticleNet-style boolean mask path (Cast to bool, Not, Where,
               Equal)
  view         x [N, C, H, W] float32 -> y [N, 3]: x.view(x.size(0), -1) shape arithmetic into a Linear
  calo_resnet  image [N, 1, 16, 16] float32 -> y [N, 2]: a calorimeter-image ResNet (Conv2d + BatchNorm + ReLU, a
               residual block, MaxPool, a depthwise Conv2d, AdaptiveAvgPool, Linear) (issue 15)
  conv1d_tagger  tracks [N, 16, 8] float32 -> y [N, 3]: DeepJet's 1x1 Conv1d stack over per-particle features,
               a strided Conv1d, AvgPool1d, Linear
  gru_tracks   hits [N, 10, 5] float32 -> y [N, 2]: a GRU track model (batch_first) on its last hidden state
  lstm_tracks  hits [N, 10, 5] float32 -> y [N, 2]: two stacked bidirectional LSTM layers, mean over hits
  deepjet      cpf [N, 16, 8] float32 -> y [N, 4]: DeepJet's shape: 1x1 Conv1d stack, an LSTM over the
               particles, dense head (issue 15)
  particlenet  points [N, 2, 16], features [N, 4, 16], mask [N, 1, 16] float32 -> y [N, 3]: weaver-core's
               ParticleNet (EdgeConv blocks: kNN by TopK on pairwise distances, neighbour gathers)
  part         x [N, 4, 16], v [N, 4, 16], mask [N, 1, 16] float32 -> y [N, 3]: weaver-core's ParticleTransformer
               (particle and pair embeddings, attention with the pair bias, class-attention blocks); legacy
               exporter only: torch.export stops at a data-dependent guard in its code (Eq(20*u0, 0))

    python3 tests/models/make_models.py [name ...]   (needs torch, onnxscript for the dynamo exporter, and
                                                     weaver-core: pip install --no-deps weaver-core)

The .onnx files are committed (a few kB each); tests/runtime/test_exported_models.py runs them. Weights come from
torch.manual_seed(0), so a rerun writes the same models.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).parent
P, F, S, E, C, H, W = 8, 4, 6, 16, 2, 3, 4


class DeepSets(nn.Module):
    def __init__(self):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(F, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.rho = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, points, mask):
        summed = (self.phi(points) * mask.unsqueeze(-1)).sum(dim=1)
        return self.rho(summed / mask.sum(dim=1, keepdim=True).clamp(min=1.0))


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(E, nhead=4, dim_feedforward=32, dropout=0.0, activation="gelu",
                                                batch_first=True)

    def forward(self, x):
        return self.layer(x)


class BoolMask(nn.Module):
    """ParticleNet's mask: points with all-zero features are padding."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(F, 1)

    def forward(self, x):
        mask = (x.abs().sum(dim=-1) != 0)                       # Cast-free bool from a comparison
        padded = torch.logical_not(mask)
        score = self.linear(x).squeeze(-1)
        score = torch.where(padded, torch.zeros_like(score), score)
        same = (score == 0).to(torch.float32)                    # Equal, Cast to float
        return score + same * mask.to(torch.float32)


class View(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(C * H * W, 3)

    def forward(self, x):
        return self.linear(torch.relu(x).view(x.size(0), -1))


class CaloResNet(nn.Module):
    def __init__(self, width: int = 8):
        super().__init__()
        def conv_bn(cin, cout, **kw):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False, **kw), nn.BatchNorm2d(cout))
        self.stem = nn.Sequential(conv_bn(1, width), nn.ReLU())
        self.block = nn.Sequential(conv_bn(width, width), nn.ReLU(), conv_bn(width, width))
        self.pool = nn.MaxPool2d(2)
        self.depthwise = nn.Sequential(nn.Conv2d(width, width, 3, padding=1, groups=width), nn.ReLU())
        self.head = nn.Linear(width, 2)

    def forward(self, image):
        x = self.stem(image)
        x = torch.relu(x + self.block(x))
        x = self.depthwise(self.pool(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Conv1dTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(16, 32, 1), nn.ReLU(), nn.Conv1d(32, 16, 1), nn.ReLU(),
                                      nn.Conv1d(16, 8, 3, stride=2, padding=1), nn.ReLU(), nn.AvgPool1d(2))
        self.head = nn.Linear(8 * 2, 3)

    def forward(self, tracks):
        return self.head(torch.flatten(self.features(tracks), 1))


class GRUTracks(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 16, batch_first=True)
        self.head = nn.Linear(16, 2)

    def forward(self, hits):
        _, last = self.gru(hits)
        return self.head(last[0])


class LSTMTracks(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(16, 2)

    def forward(self, hits):
        sequence, _ = self.lstm(hits)
        return self.head(sequence.mean(dim=1))


class DeepJet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv1d(16, 32, 1), nn.ReLU(), nn.Conv1d(32, 8, 1), nn.ReLU())
        self.lstm = nn.LSTM(8, 12, batch_first=True)
        self.head = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4), nn.Softmax(dim=-1))

    def forward(self, cpf):
        particles = self.features(cpf).transpose(1, 2)           # [N, P, 8]
        _, (last, _) = self.lstm(particles)
        return self.head(last[-1])


def _weaver() -> dict:
    """ParticleNet and ParticleTransformer from weaver-core (their classes import without its training stack),
    small configurations of the published architectures, 16 particles with masks of varying multiplicity."""
    from weaver.nn.model.ParticleNet import ParticleNet
    from weaver.nn.model.ParticleTransformer import ParticleTransformer
    particles = 16
    mask = (torch.arange(particles)[None, None, :] < torch.tensor([16, 9, 3, 12, 1])[:, None, None]).float()
    particlenet = ParticleNet(input_dims=4, num_classes=3, conv_params=[(4, (16, 16, 16)), (4, (32, 32, 32))],
                              fc_params=[(32, 0.0)], for_inference=True).eval()
    part = ParticleTransformer(input_dim=4, num_classes=3, pair_input_dim=4, embed_dims=(32, 64, 32),
                               pair_embed_dims=(16, 16, 16), num_heads=4, num_layers=2, num_cls_layers=1,
                               for_inference=True).eval()
    points, features = torch.randn(5, 2, particles) * mask, torch.randn(5, 4, particles) * mask
    momenta = torch.randn(5, 4, particles).abs() + 1
    return {
        "particlenet": (particlenet, (points, features, mask), ["points", "features", "mask"], ["y"]),
        "part": (part, (features, momenta, mask), ["x", "v", "mask"], ["y"]),
    }


def models(only: list | None = None) -> dict:
    """name -> (module, example inputs, input names, output names)."""
    torch.manual_seed(0)
    points = torch.randn(5, P, F)
    mask = (torch.rand(5, P) > 0.3).float()
    return {
        "deepsets": (DeepSets(), (points, mask), ["points", "mask"], ["score"]),
        "transformer": (Transformer().eval(), (torch.randn(5, S, E),), ["x"], ["y"]),
        "boolmask": (BoolMask(), (points * mask.unsqueeze(-1),), ["x"], ["y"]),
        "view": (View(), (torch.randn(5, C, H, W),), ["x"], ["y"]),
        "calo_resnet": (_trained_bn(CaloResNet()).eval(), (torch.randn(5, 1, 16, 16),), ["image"], ["y"]),
        "conv1d_tagger": (Conv1dTagger().eval(), (torch.randn(5, 16, 8),), ["tracks"], ["y"]),
        "gru_tracks": (GRUTracks().eval(), (torch.randn(5, 10, 5),), ["hits"], ["y"]),
        "lstm_tracks": (LSTMTracks().eval(), (torch.randn(5, 10, 5),), ["hits"], ["y"]),
        "deepjet": (DeepJet().eval(), (torch.randn(5, 16, 8),), ["cpf"], ["y"]),
        **(_weaver() if not only or {"particlenet", "part"} & set(only) else {}),
    }


def _trained_bn(module: nn.Module) -> nn.Module:
    """BatchNorm statistics and affine parameters away from their initial 0 / 1, as after training."""
    for bn in module.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            nn.init.uniform_(bn.weight, 0.5, 1.5)
            nn.init.uniform_(bn.bias, -0.2, 0.2)
    return module


def export(name: str, module, example, inputs: list, outputs: list, exporter: str) -> Path:
    path = HERE / f"{name}.{exporter}.onnx"
    if exporter == "legacy":
        torch.onnx.export(module, example, str(path), input_names=inputs, output_names=outputs, dynamo=False,
                          dynamic_axes={n: {0: "N"} for n in inputs + outputs}, opset_version=17)
    else:
        batch = torch.export.Dim("N", min=1, max=1 << 20)
        program = torch.onnx.export(module, example, input_names=inputs, output_names=outputs, dynamo=True,
                                    dynamic_shapes=[{0: batch} for _ in inputs], external_data=False)
        program.save(str(path), external_data=False)
    return path


LEGACY_ONLY = {"part"}


def main(only: list | None = None) -> None:
    for name, (module, example, inputs, outputs) in models(only).items():
        if only and name not in only:
            continue
        for exporter in ("legacy",) if name in LEGACY_ONLY else ("legacy", "dynamo"):
            print(export(name, module, example, inputs, outputs, exporter))


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])

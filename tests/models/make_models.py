"""Exports the real-exporter test models of issue 14 from torch 2.13, with the legacy (TorchScript) and the default
(dynamo) exporter, into tests/models/<name>.<exporter>.onnx:

  deepsets     points [N, P, F] float32, mask [N, P] float32 -> score [N, 2]: a shared Linear on the 3-D input
               (phi), masked ReduceSum over P, rho MLP
  transformer  x [N, S, E] float32 -> y [N, S, E]: nn.TransformerEncoderLayer (batch_first, GELU, LayerNorm,
               attention as MatMul/Softmax/MatMul)
  boolmask     x [N, P, F] float32 -> y [N, P]: a ParticleNet-style boolean mask path (Cast to bool, Not, Where,
               Equal)
  view         x [N, C, H, W] float32 -> y [N, 3]: x.view(x.size(0), -1) shape arithmetic into a Linear

    python3 tests/models/make_models.py       (needs torch and, for the dynamo exporter, onnxscript)

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


def models() -> dict:
    """name -> (module, example inputs, input names, output names)."""
    torch.manual_seed(0)
    points = torch.randn(5, P, F)
    mask = (torch.rand(5, P) > 0.3).float()
    return {
        "deepsets": (DeepSets(), (points, mask), ["points", "mask"], ["score"]),
        "transformer": (Transformer().eval(), (torch.randn(5, S, E),), ["x"], ["y"]),
        "boolmask": (BoolMask(), (points * mask.unsqueeze(-1),), ["x"], ["y"]),
        "view": (View(), (torch.randn(5, C, H, W),), ["x"], ["y"]),
    }


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


def main() -> None:
    for name, (module, example, inputs, outputs) in models().items():
        for exporter in ("legacy", "dynamo"):
            print(export(name, module, example, inputs, outputs, exporter))


if __name__ == "__main__":
    main()

"""Errors raised while compiling a model; each names the node, operator or file involved."""


class ModelError(ValueError):
    """The file is not a valid ONNX model, or the model has a shape or attribute this compiler cannot handle."""


class UnsupportedOperator(ModelError):
    """An operator (op type at an opset) that has no kernel here."""

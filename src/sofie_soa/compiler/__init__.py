"""The model compiler: ONNX -> IR (ir.py) -> passes (passes/, order in passes.PIPELINE) -> lowered kernel
launches (ops/) -> C++ session header (sofie_soa.codegen)."""

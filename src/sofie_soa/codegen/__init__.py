"""Code generation: lowering of the optimised IR to kernel launches (lowering.py) and the C++ session header
that wires the hand-written kernels together (emitter.py)."""

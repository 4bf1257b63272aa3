"""The alpaka back-ends a session can be built for: accelerator tag, enabling macro and extra flags."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Backend:
    name: str
    tag: str            # alpaka accelerator tag
    define: str         # the macro that enables the accelerator in alpaka
    flags: tuple = ()
    cuda: bool = False  # compiled by nvcc (sofie_soa.runtime.build)


BACKENDS = {
    b.name: b for b in [
        Backend("cpu_serial", "alpaka::TagCpuSerial", "ALPAKA_ACC_CPU_B_SEQ_T_SEQ_ENABLED"),
        Backend("cpu_threads", "alpaka::TagCpuThreads", "ALPAKA_ACC_CPU_B_SEQ_T_THREADS_ENABLED", ("-pthread",)),
        Backend("cpu_omp2_blocks", "alpaka::TagCpuOmp2Blocks", "ALPAKA_ACC_CPU_B_OMP2_T_SEQ_ENABLED", ("-fopenmp",)),
        # sm_80 (A100) and sm_90 (H100/H200) machine code, plus compute_90 PTX for newer GPUs.
        Backend("cuda", "alpaka::TagGpuCudaRt", "ALPAKA_ACC_GPU_CUDA_ENABLED",
                ("-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=[sm_90,compute_90]"),
                cuda=True),
    ]
}


def backend(name: str) -> Backend:
    """The Backend called `name`; ValueError listing the known ones otherwise."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown backend '{name}': expected one of {', '.join(BACKENDS)}") from None

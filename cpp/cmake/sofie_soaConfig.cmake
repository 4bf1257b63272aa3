# CMake package config of sofie_soa.
#   sofie_soa::core     header-only SoA core (layouts, views), C++17, no dependencies.
#   sofie_soa::runtime  kernels, allocators and generated sessions: sofie_soa::core plus alpaka. alpaka comes from
#                       the user first — an existing alpaka::alpaka target, else find_package(alpaka) (CMS software,
#                       spack, conda-forge) — else from the cache variables SOFIE_SOA_ALPAKA_INCLUDE_DIR and
#                       SOFIE_SOA_BOOST_INCLUDE_DIR (alpaka includes Boost.Predef), which
#                       `python -m sofie_soa --alpaka-include-dirs` prints (fetching alpaka once if needed). Without
#                       alpaka's own CMake, enable accelerators with its macros (ALPAKA_ACC_CPU_B_SEQ_T_SEQ_ENABLED,
#                       ...) on your targets.
#   SOFIE_SOA_CUDA=ON   (include-directory alpaka only; alpaka's own CMake has alpaka_ACC_GPU_CUDA_ENABLE) builds
#                       sofie_soa::runtime users for alpaka's CUDA back-end: enable the CUDA language in your
#                       project first. It defines ALPAKA_ACC_GPU_CUDA_ENABLED, adds nvcc's --expt-relaxed-constexpr
#                       and --extended-lambda, links CUDA::cudart, and takes curand_kernel.h (which alpaka's CUDA
#                       back-end includes) from SOFIE_SOA_CURAND_INCLUDE_DIR when the CUDA toolkit lacks it
#                       (`python -m sofie_soa --curand-include-dir`). Large GEMMs go to cuBLAS (SOFIE_SOA_CUBLAS,
#                       sofie_soa/runtime/gemm.hpp): the toolkit's CUDA::cublas, else the directory
#                       SOFIE_SOA_CUBLAS_ROOT holding include/cublas_v2.h and lib/libcublas.so*
#                       (`python -m sofie_soa --cublas-root`: the nvidia-cublas wheel); without either, the
#                       DenseKernel.
include("${CMAKE_CURRENT_LIST_DIR}/sofie_soaTargets.cmake")
set(sofie_soa_INCLUDE_DIR "${CMAKE_CURRENT_LIST_DIR}/../include")

if(NOT TARGET sofie_soa::runtime)
  add_library(sofie_soa::runtime INTERFACE IMPORTED)
  target_link_libraries(sofie_soa::runtime INTERFACE sofie_soa::core)
  set(SOFIE_SOA_ALPAKA_INCLUDE_DIR "" CACHE PATH "alpaka include directory (when no alpaka CMake package is used)")
  set(SOFIE_SOA_BOOST_INCLUDE_DIR "" CACHE PATH "Boost include directory for alpaka's Boost.Predef")
  if(NOT TARGET alpaka::alpaka AND NOT SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    find_package(alpaka CONFIG QUIET)
  endif()
  if(TARGET alpaka::alpaka)
    target_link_libraries(sofie_soa::runtime INTERFACE alpaka::alpaka)
  elseif(SOFIE_SOA_ALPAKA_INCLUDE_DIR)
    target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_ALPAKA_INCLUDE_DIR} ${SOFIE_SOA_BOOST_INCLUDE_DIR})
    find_package(Threads REQUIRED)
    target_link_libraries(sofie_soa::runtime INTERFACE Threads::Threads)
    option(SOFIE_SOA_CUDA "build sofie_soa::runtime users for alpaka's CUDA back-end" OFF)
    set(SOFIE_SOA_CURAND_INCLUDE_DIR "" CACHE PATH "directory of curand_kernel.h when the CUDA toolkit lacks it")
    set(SOFIE_SOA_CUBLAS_ROOT "" CACHE PATH "directory of include/cublas_v2.h and lib/libcublas.so* (no CUDA::cublas)")
    if(SOFIE_SOA_CUDA)
      find_package(CUDAToolkit REQUIRED)
      target_compile_definitions(sofie_soa::runtime INTERFACE ALPAKA_ACC_GPU_CUDA_ENABLED)
      target_compile_options(sofie_soa::runtime INTERFACE
                             $<$<COMPILE_LANGUAGE:CUDA>:--expt-relaxed-constexpr --extended-lambda>)
      target_link_libraries(sofie_soa::runtime INTERFACE CUDA::cudart)
      if(SOFIE_SOA_CURAND_INCLUDE_DIR)
        target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_CURAND_INCLUDE_DIR})
      endif()
      if(TARGET CUDA::cublas)
        target_link_libraries(sofie_soa::runtime INTERFACE CUDA::cublas)
        target_compile_definitions(sofie_soa::runtime INTERFACE SOFIE_SOA_CUBLAS)
      elseif(SOFIE_SOA_CUBLAS_ROOT)
        file(GLOB _sofie_soa_cublas "${SOFIE_SOA_CUBLAS_ROOT}/lib/libcublas.so*")
        if(NOT _sofie_soa_cublas)
          message(FATAL_ERROR "sofie_soa: no lib/libcublas.so* under SOFIE_SOA_CUBLAS_ROOT=${SOFIE_SOA_CUBLAS_ROOT}")
        endif()
        list(GET _sofie_soa_cublas 0 _sofie_soa_cublas)
        target_include_directories(sofie_soa::runtime INTERFACE ${SOFIE_SOA_CUBLAS_ROOT}/include)
        target_link_libraries(sofie_soa::runtime INTERFACE ${_sofie_soa_cublas})
        target_compile_definitions(sofie_soa::runtime INTERFACE SOFIE_SOA_CUBLAS)
      endif()
    endif()
  else()
    message(WARNING "sofie_soa: no alpaka found; sofie_soa::runtime needs alpaka::alpaka or SOFIE_SOA_ALPAKA_INCLUDE_DIR "
                    "(see `python -m sofie_soa --alpaka-include-dirs`)")
  endif()
endif()
